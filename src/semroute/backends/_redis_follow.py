"""Follow the change log in a background thread and hand changes to ``poll()``.

A blocking XREAD wakes as soon as another process writes, so a change waits
in memory for the cache's next lookup, and ``poll()`` itself does no I/O (it
runs on the lookup path). When the follower missed changes (the log was
trimmed past it, or the store was flushed or restored from an older copy),
it reloads a snapshot and reports ``clear`` followed by a put of every entry
and every block: the cache drops what it had, so an entry deleted meanwhile is
never served, and the blocks it keeps are the store's.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from semroute._entry import Entry
from semroute.backends._base import Block, Change
from semroute.backends._redis_codec import fetch, split_block
from semroute.backends._redis_config import Counters, RedisSettings
from semroute.backends._redis_keys import Keys

Snapshot = Callable[[], tuple[int, bytes | None, list[Entry], list[Block]]]

_BACKOFF_MIN_S = 0.02
_BACKOFF_MAX_S = 1.0


class Follower:
    """Reads the log from a position; ``poll()`` drains what it read."""

    def __init__(
        self,
        client: Any,
        keys: Keys,
        settings: RedisSettings,
        counters: Counters,
        *,
        src: bytes,
        dim: int,
        snapshot: Snapshot,
        flush_writes: Callable[[], object],
    ) -> None:
        self._client = client
        self._keys = keys
        self._settings = settings
        self._counters = counters
        self._src = src
        self._dim = dim
        self._snapshot = snapshot
        self._flush_writes = flush_writes
        self._lock = threading.Lock()
        self._changes: deque[Change] = deque()
        self._pos = 0
        self._epoch: bytes | None = None
        self._generation = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake = keys.prefix + "wake:" + src.decode()

    def follow_from(self, pos: int, epoch: bytes | None) -> None:
        """Forget what was read; report changes after log position ``pos`` from now on."""
        with self._lock:
            self._changes.clear()
            self._pos, self._epoch = pos, epoch
            self._generation += 1
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="semroute-redis-follower", daemon=True
            )
            self._thread.start()

    def poll(self) -> Sequence[Change]:
        if not self._changes:  # the lookup path: no lock when there is nothing
            return ()
        with self._lock:
            changes = list(self._changes)
            self._changes.clear()
        return changes

    def stop(self, wake_client: Any) -> None:
        """Stop the thread; an entry on its private wake stream ends a blocked XREAD now."""
        self._stop.set()
        if self._thread is None:
            return
        try:
            wake_client.xadd(self._wake, {"stop": "1"}, maxlen=1)
            wake_client.delete(self._wake)
        except Exception as exc:  # Redis down: the XREAD times out by itself
            self._counters.failed(exc)
        self._thread.join()

    def _run(self) -> None:
        backoff = _BACKOFF_MIN_S
        while not self._stop.is_set():
            if len(self._changes) >= self._settings.log_max:
                # Nobody polls: stop reading; if the log is trimmed past us meanwhile,
                # the gap check below resynchronises once the cache polls again.
                self._stop.wait(0.05)
                continue
            try:
                self._step()
            except Exception as exc:  # Redis down or slow: count, back off, retry
                self._counters.failed(exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX_S)
            else:
                backoff = _BACKOFF_MIN_S

    def _step(self) -> None:
        with self._lock:
            pos, epoch, generation = self._pos, self._epoch, self._generation
        pipe = self._client.pipeline(transaction=False)
        pipe.xread(
            {self._keys.log: f"0-{pos}", self._wake: "$"},
            count=self._settings.batch,
            block=self._settings.block_ms,
        )
        pipe.hget(self._keys.meta, "epoch")
        pipe.get(self._keys.seq)
        read, now_epoch, seq = pipe.execute()
        self._counters.ok()
        if now_epoch != epoch or int(seq or 0) < pos:
            self._resync()  # flushed, or restored from an older copy
            return
        if self._stop.is_set():
            return
        messages = _log_messages(read, self._keys.log.encode())
        expected = pos
        wanted: list[tuple[int, dict[bytes, bytes]]] = []
        for message_id, fields in messages:
            number = int(message_id.split(b"-")[1])
            if number != expected + 1:
                self._resync()  # the log was trimmed past us
                return
            expected = number
            wanted.append((number, fields))
        if not wanted:
            return
        changes, corrupt = self._changes_of([fields for _, fields in wanted])
        with self._lock:
            if self._generation != generation:
                return  # a snapshot was loaded meanwhile and covers these
            self._changes.extend(changes)
            self._pos = expected
        self._counters.add("changes_received", len(changes))
        self._counters.add("corrupt_entries", corrupt)

    def _changes_of(self, messages: list[dict[bytes, bytes]]) -> tuple[list[Change], int]:
        """The changes other processes made, with put entries fetched; and how many were damaged."""
        mine = [fields.get(b"src") == self._src for fields in messages]
        put_ids = [
            int(fields[b"id"])
            for fields, own in zip(messages, mine, strict=True)
            if not own and fields.get(b"op") == b"put"
        ]
        entries: dict[int, Entry | None] = {}
        corrupt = 0
        for entry_id, entry, state in fetch(self._client, self._keys, put_ids, self._dim):
            # A missing entry was deleted or expired since: a later change says so.
            entries[entry_id] = entry
            corrupt += state == "corrupt"
        changes: list[Change] = []
        for fields, own in zip(messages, mine, strict=True):
            if own:
                continue
            op = fields.get(b"op")
            if op == b"put":
                entry = entries.get(int(fields[b"id"]))
                if entry is not None:
                    changes.append(Change("put", entry=entry))
            elif op == b"delete":
                changes.append(Change("delete", entry_id=int(fields[b"id"])))
            elif op == b"delete_namespace":
                namespace = fields[b"ns"].decode("utf-8", "surrogatepass")
                changes.append(Change("delete_namespace", namespace=namespace))
            elif op == b"clear":
                changes.append(Change("clear"))
            elif op == b"block":
                pair = split_block(fields.get(b"b", b""))
                if pair is None:
                    corrupt += 1
                    continue
                namespace = fields[b"ns"].decode("utf-8", "surrogatepass")
                changes.append(
                    Change("block", namespace=namespace, query_norm=pair[0], matched_norm=pair[1])
                )
        if messages:
            stamp = messages[-1].get(b"ts")
            if stamp is not None:
                self._counters.lag_s = max(0.0, time.time() - float(stamp))
        return changes, corrupt

    def _resync(self) -> None:
        # Own writes still queued would be missing from the snapshot, and own changes
        # are never echoed back: send them first so the mirror keeps them.
        self._flush_writes()
        pos, epoch, entries, blocks = self._snapshot()
        with self._lock:
            self._changes.clear()
            self._changes.append(Change("clear"))
            self._changes.extend(Change("put", entry=entry) for entry in entries)
            self._changes.extend(
                Change("block", namespace=ns, query_norm=query, matched_norm=matched)
                for ns, query, matched in blocks
            )
            self._pos, self._epoch = pos, epoch
            self._generation += 1
        self._counters.add("resyncs")


def _log_messages(read: Any, log: bytes) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """The log's messages in an XREAD reply, RESP2 (list) or RESP3 (dict, ``?protocol=3``)."""
    if isinstance(read, dict):
        found = read.get(log)
        return list(found[0]) if found else []
    return next((list(m) for stream, m in read or [] if stream == log), [])
