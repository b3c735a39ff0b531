"""Follow the change log in a background thread and hand changes to the cache.

A blocking XREAD wakes as soon as any process writes. Every change is reported
in the order Redis ran it, this process's own included, so every process ends
in the same state (the last write Redis received wins). An own put is reported
without its entry (the cache already holds it): it tells the cache that the
store's order has caught up with that write, which until then shadows any
older put of the same query (see ``OwnPuts``).

When the follower missed changes (the log was trimmed past it, the store was
flushed or restored from an older copy, a write was dropped, or Redis was down
when the cache opened), it reloads a snapshot and reports a put of every entry
and every block, then ``clear`` keeping the snapshot's ids: the cache drops
what else it had (but its own writes still in flight), so an entry deleted
meanwhile is never served, and an entry it keeps is never missing meanwhile.

Changes wait in memory; ``poll()`` drains them without I/O, and a listener (the
cache) is called from this thread whenever some are waiting, so a long
catch-up is applied here, in batches, never inside a caller's lookup.
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
from semroute.errors import ConfigError, CorruptStoreError

Snapshot = Callable[[], tuple[int, bytes | None, list[Entry], list[Block]]]

_BACKOFF_MIN_S = 0.02
_BACKOFF_MAX_S = 1.0


class OwnPuts:
    """This process's puts whose log record the follower has not read yet.

    Each is known by id, with its log position once Redis ran it; a dropped one
    waits for the next resync, which confirms it (the snapshot shows the truth).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seqs: dict[int, int | None] = {}
        self._dropped: list[int] = []

    def add(self, entry_id: int) -> None:
        with self._lock:
            self._seqs[entry_id] = None

    def ran(self, entry_id: int, seq: int) -> None:
        with self._lock:
            if entry_id in self._seqs:
                self._seqs[entry_id] = seq

    def drop(self, entry_id: int) -> None:
        with self._lock:
            if self._seqs.pop(entry_id, 0) != 0:
                self._dropped.append(entry_id)

    def confirm(self, entry_id: int) -> bool:
        """True (once) if ``entry_id`` was an own put awaiting its record."""
        with self._lock:
            return self._seqs.pop(entry_id, 0) != 0

    def settle(self, pos: int) -> list[int]:
        """Forget the puts Redis ran at or before log position ``pos`` (a snapshot taken
        there holds them or their successors) and the dropped ones; their ids."""
        with self._lock:
            done = [i for i, seq in self._seqs.items() if seq is not None and seq <= pos]
            for entry_id in done:
                del self._seqs[entry_id]
            done += self._dropped
            self._dropped = []
        return done


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
        prepare: Callable[[], object],
        snapshot: Snapshot,
        flush_writes: Callable[[], bool],
        own: OwnPuts,
        on_refused: Callable[[Exception], object],
    ) -> None:
        self._client = client
        self._keys = keys
        self._settings = settings
        self._counters = counters
        self._src = src
        self._dim = dim
        self._prepare = prepare  # checks the store's settings if Redis was down at open
        self._snapshot = snapshot
        self._flush_writes = flush_writes
        self._own = own
        self._on_refused = on_refused
        self._listener: Callable[[], object] | None = None
        self._need_resync = False
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
            self._drop_queued()
            self._pos, self._epoch = pos, epoch
            self._generation += 1
            self._need_resync = False
        self._start()

    def _drop_queued(self) -> None:
        """Forget the changes not polled yet, except the confirmations of own puts
        (their records were consumed: the cache would wait for them forever)."""
        kept = [c for c in self._changes if c.kind == "put" and c.entry is None]
        self._changes.clear()
        self._changes.extend(kept)

    def resync_soon(self) -> None:
        """Reload a snapshot at the next step (Redis down at open, a write dropped)."""
        self._need_resync = True
        self._start()

    def listen(self, listener: Callable[[], object] | None) -> None:
        """Call ``listener`` from this thread whenever changes wait for ``poll()``."""
        self._listener = listener

    def _start(self) -> None:
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
            self._hand_over()
            if len(self._changes) >= self._settings.log_max:
                # Nobody polls: stop reading; if the log is trimmed past us meanwhile,
                # the gap check below resynchronises once the cache polls again.
                self._stop.wait(0.05)
                continue
            try:
                if self._need_resync:
                    self._resync()
                else:
                    self._step()
            except (ConfigError, CorruptStoreError) as exc:
                # Redis came back holding another encoder's store: never write to it.
                self._counters.failed(exc)
                self._on_refused(exc)
                return
            except Exception as exc:  # Redis down or slow: count, back off, retry
                self._counters.failed(exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX_S)
            else:
                backoff = _BACKOFF_MIN_S

    def _hand_over(self) -> None:
        listener = self._listener
        if listener is not None and self._changes:
            try:
                listener()
            except Exception as exc:  # never let the cache's failure stop the follower
                self._counters.failed(exc)

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
                # A snapshot was loaded meanwhile and covers these, but the own puts
                # confirmed here have no other record left: keep their confirmations.
                self._changes.extend(c for c in changes if c.kind == "put" and c.entry is None)
                return
            self._changes.extend(changes)
            self._pos = expected
        self._counters.add("changes_received", len(changes))
        self._counters.add("corrupt_entries", corrupt)

    def _changes_of(self, messages: list[dict[bytes, bytes]]) -> tuple[list[Change], int]:
        """The changes in ``messages``, put entries fetched; and how many were damaged.

        An own put still awaited is reported without its entry (the cache holds
        it); one already settled by a resync is fetched like any other.
        """
        confirmed = {
            int(fields[b"id"])
            for fields in messages
            if fields.get(b"op") == b"put"
            and fields.get(b"src") == self._src
            and self._own.confirm(int(fields[b"id"]))
        }
        put_ids = [
            int(fields[b"id"])
            for fields in messages
            if fields.get(b"op") == b"put" and int(fields[b"id"]) not in confirmed
        ]
        entries: dict[int, Entry | None] = {}
        corrupt = 0
        for entry_id, entry, state in fetch(self._client, self._keys, put_ids, self._dim):
            # A missing entry was deleted or expired since: a later change says so.
            entries[entry_id] = entry
            corrupt += state == "corrupt"
        changes: list[Change] = []
        for fields in messages:
            op = fields.get(b"op")
            if op == b"put":
                entry_id = int(fields[b"id"])
                old = fields.get(b"old")
                if old:  # the entry this put replaced in Redis
                    changes.append(Change("delete", entry_id=int(old)))
                if entry_id in confirmed:
                    changes.append(Change("put", entry_id=entry_id))
                    continue
                entry = entries.get(entry_id)
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
        self._prepare()
        # Own writes still queued would be missing from the snapshot: send them first.
        self._flush_writes()
        pos, epoch, entries, blocks = self._snapshot()  # the position is read first
        # Every own put Redis ran before the position was read has its position
        # recorded once this flush returns: those at or before ``pos`` are in the
        # snapshot (or superseded there); the others' records are still to come.
        if not self._flush_writes():
            raise TimeoutError("queued writes could not be sent before the resync")
        settled = self._own.settle(pos)
        with self._lock:
            self._drop_queued()
            # Settled first, so the clear drops them unless the snapshot holds them.
            self._changes.extend(Change("put", entry_id=i) for i in settled)
            self._changes.extend(Change("put", entry=entry) for entry in entries)
            self._changes.extend(
                Change("block", namespace=ns, query_norm=query, matched_norm=matched)
                for ns, query, matched in blocks
            )
            self._changes.append(Change("clear", keep=frozenset(e.id for e in entries)))
            self._pos, self._epoch = pos, epoch
            self._generation += 1
            self._need_resync = False
        self._counters.add("resyncs")


def _log_messages(read: Any, log: bytes) -> list[tuple[bytes, dict[bytes, bytes]]]:
    """The log's messages in an XREAD reply, RESP2 (list) or RESP3 (dict, ``?protocol=3``)."""
    if isinstance(read, dict):
        found = read.get(log)
        return list(found[0]) if found else []
    return next((list(m) for stream, m in read or [] if stream == log), [])
