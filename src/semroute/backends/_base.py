"""The narrow protocol every persistence backend implements.

A backend stores entries and gives them back; the cache owns serialisation
(JSON), the vector index, eviction and TTL. The cache calls ``bind`` once
before anything else, with the settings that shape its vectors, so a store
written by another encoder or schema is refused (``ConfigError``) instead of
mixing incompatible vectors.

A backend also keeps the matches ``SemanticCache.report_wrong`` blocked:
``(namespace, normalised query, normalised stored query)`` triples, added by
``block``, returned by ``load_blocks``, dropped with their namespace by
``delete_namespace`` and all of them by ``clear``.

Shared stores (Redis): a backend that other processes also write may
additionally implement :class:`ChangeFeed`; the cache then applies ``poll()``
results (puts, deletes and blocks, every process's) to its local index.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from semroute._entry import Entry

# 2 added the report_wrong blocks; a version-1 store is upgraded in place when opened.
SCHEMA_VERSION = 2

Block = tuple[str, str, str]
"""``(namespace, query_norm, matched_norm)``: never serve that stored query for that query."""


@runtime_checkable
class Backend(Protocol):
    """Where cache entries live between processes (or nowhere: ``MemoryBackend``)."""

    def bind(self, *, model_id: str, dim: int) -> None:
        """Record the encoder id and dim on first use; raise ``ConfigError`` on mismatch."""
        ...

    def load(self, namespace: str | None = None) -> Iterator[Entry]:
        """Every stored entry (of one namespace when given), in no particular order."""
        ...

    def put(self, entry: Entry) -> None:
        """Store ``entry`` durably, replacing any entry with the same id."""
        ...

    def delete(self, entry_id: int) -> None:
        """Remove one entry; a missing id is not an error."""
        ...

    def delete_namespace(self, namespace: str) -> None:
        """Remove every entry and every block of ``namespace``."""
        ...

    def clear(self) -> None:
        """Remove every entry and every block, keeping the store's settings."""
        ...

    def block(self, namespace: str, query_norm: str, matched_norm: str) -> None:
        """Record durably that ``matched_norm`` must never answer ``query_norm``; idempotent."""
        ...

    def load_blocks(self, namespace: str | None = None) -> Iterator[Block]:
        """Every recorded block (of one namespace when given), in no particular order."""
        ...

    def touch(self, updates: Sequence[tuple[int, float, int]]) -> None:
        """Persist ``(id, last_access, hits)`` so LRU order survives a restart; best effort."""
        ...

    def close(self) -> None:
        """Flush and release the store; further calls may raise ``BackendError``."""
        ...


@dataclass(frozen=True, slots=True)
class Change:
    """One change the store received: a put (with its entry), a delete or a block.

    A ``block`` carries ``namespace``, ``query_norm`` and ``matched_norm``;
    ``delete_namespace`` and ``clear`` drop blocks as well as entries. A put
    with ``entry_id`` and no ``entry`` confirms the reading process's own put of
    that id: the store ran it here, in its order (or gave it up). A ``clear``
    with ``keep`` ends a resynchronisation from a snapshot (whose entries and
    blocks were reported just before it): every entry whose id is not in
    ``keep`` goes, blocks stay.
    """

    kind: Literal["put", "delete", "delete_namespace", "clear", "block"]
    entry: Entry | None = None
    entry_id: int | None = None
    namespace: str | None = None
    query_norm: str | None = None
    matched_norm: str | None = None
    keep: frozenset[int] | None = None


@runtime_checkable
class ChangeFeed(Protocol):
    """Optional: a shared store reports changes made by other processes."""

    def poll(self) -> Sequence[Change]:
        """Changes since the last call, in the order the store received them,
        this process's own included (its puts as confirmations); empty when none.

        A feed whose class sets ``confirms_own_writes = True`` reports each own
        put (as a confirmation) once the store ran it, in the store's order; the
        cache then treats an own put as newer than any put of the same query the
        feed reports before confirming it (last writer wins everywhere). Such a
        feed must confirm every own put, or the query keeps this process's answer.
        """
        ...
