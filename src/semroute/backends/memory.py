"""A backend that keeps entries in a dict: nothing survives the process."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace

from semroute._entry import Entry
from semroute.backends._base import Block
from semroute.errors import BackendError, ConfigError


class MemoryBackend:
    """Entries in process memory; two caches given the same object share a store.

    >>> from semroute.backends import MemoryBackend
    >>> MemoryBackend().bind(model_id="m", dim=4)
    """

    def __init__(self) -> None:
        self._entries: dict[int, Entry] = {}
        self._blocks: set[Block] = set()
        self._meta: tuple[str, int] | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise BackendError("the memory backend is closed")

    def bind(self, *, model_id: str, dim: int) -> None:
        with self._lock:
            self._check_open()
            if self._meta is None:
                self._meta = (model_id, dim)
            elif self._meta != (model_id, dim):
                raise ConfigError(
                    f"store holds vectors of encoder {self._meta[0]!r} (dim {self._meta[1]}), "
                    f"not {model_id!r} (dim {dim})"
                )

    def load(self, namespace: str | None = None) -> Iterator[Entry]:
        with self._lock:
            self._check_open()
            entries = [e for e in self._entries.values() if namespace in (None, e.namespace)]
        return iter(entries)

    def put(self, entry: Entry) -> None:
        with self._lock:
            self._check_open()
            self._entries[entry.id] = entry

    def delete(self, entry_id: int) -> None:
        with self._lock:
            self._check_open()
            self._entries.pop(entry_id, None)

    def delete_namespace(self, namespace: str) -> None:
        with self._lock:
            self._check_open()
            for entry_id in [i for i, e in self._entries.items() if e.namespace == namespace]:
                del self._entries[entry_id]
            self._blocks = {b for b in self._blocks if b[0] != namespace}

    def clear(self) -> None:
        with self._lock:
            self._check_open()
            self._entries.clear()
            self._blocks.clear()

    def block(self, namespace: str, query_norm: str, matched_norm: str) -> None:
        with self._lock:
            self._check_open()
            self._blocks.add((namespace, query_norm, matched_norm))

    def load_blocks(self, namespace: str | None = None) -> Iterator[Block]:
        with self._lock:
            self._check_open()
            blocks = [b for b in self._blocks if namespace in (None, b[0])]
        return iter(blocks)

    def touch(self, updates: Sequence[tuple[int, float, int]]) -> None:
        with self._lock:
            self._check_open()
            for entry_id, last_access, hits in updates:
                entry = self._entries.get(entry_id)
                if entry is not None:
                    self._entries[entry_id] = replace(entry, last_access=last_access, hits=hits)

    def close(self) -> None:
        with self._lock:
            self._closed = True

    def __repr__(self) -> str:
        return f"MemoryBackend(entries={len(self._entries)})"
