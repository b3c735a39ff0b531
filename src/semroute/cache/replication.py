"""Changes other processes made to a shared store (a ``ChangeFeed``), applied locally.

The feed reports every process's changes in the store's order, this one's too. An own
put is shadowing: until the feed confirms it (a put of its id), a put of the same query
the feed reports is older in the store's order and is skipped, and ``clear`` /
``delete_namespace`` spare it; so every process ends with the last write the store
received. A remote put never evicts here: the process that wrote it evicts (globally),
so several mirrors do not each evict for the same overflow.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np

from semroute.backends._base import Change, ChangeFeed
from semroute.cache import stored as _stored
from semroute.cache.blocks import Blocks
from semroute.cache.stats import StatsRecorder
from semroute.cache.store import EntryStore

# Remote changes are applied under the lock in slices of this many seconds at most, so
# a catch-up of thousands of entries delays a concurrent lookup by about one slice.
_APPLY_SLICE_S = 0.005


class Follower:
    """Polls (or is pushed) a feed's changes and applies them to the store and blocks.

    ``live()`` says whether the cache is ready and not closed; the cache's ``lock`` is
    taken around every slice of changes.
    """

    def __init__(
        self,
        feed: ChangeFeed,
        lock: threading.RLock,
        store: EntryStore,
        blocks: Blocks,
        stats: StatsRecorder,
        live: Callable[[], tuple[bool, bool]],
    ) -> None:
        self.feed = feed
        self.lock = lock
        self.store = store
        self.blocks = blocks
        self.stats = stats
        self.live = live  # () -> (ready, closed)
        self.inbox: deque[Change] = deque()  # polled, not applied yet
        # Own puts the feed has not confirmed yet: until then they shadow any older
        # put of the same query the feed reports (see apply).
        self.unconfirmed: set[int] = set()
        self.confirming = bool(getattr(feed, "confirms_own_writes", False))
        self.pushed = False  # the feed calls follow_from_feed from its own thread

    def listen(self) -> None:
        """Ask a feed that pushes (has ``listen``) to call us from its thread."""
        listen = getattr(self.feed, "listen", None)
        if callable(listen):
            listen(self.follow_from_feed)
            self.pushed = True

    def wrote(self, entry_id: int) -> None:
        """This process put ``entry_id``: it shadows older puts until the feed confirms it."""
        if self.confirming:
            self.unconfirmed.add(entry_id)

    def follow(self) -> None:
        """Apply every change a polled feed (SQLite) reported, before this lookup.

        All of them, not a slice: a lookup that starts after another process committed a
        delete must not serve the deleted answer. Pushed feeds (Redis) are applied in the
        feed's thread instead, slice by slice, so a long catch-up never runs in a lookup.
        """
        if self.pushed or not self.live()[0]:
            return
        self.apply_slice(None)

    def follow_from_feed(self) -> None:
        """Called from the feed's thread: apply every waiting change, slice by slice,
        letting lookups take the lock between slices."""
        while self.live()[0] and self.apply_slice():
            time.sleep(0)

    def apply_slice(self, budget_s: float | None = _APPLY_SLICE_S) -> bool:
        """Apply waiting changes for up to ``budget_s`` (None: all); True if some are left."""
        deadline = math.inf if budget_s is None else time.perf_counter() + budget_s
        with self.lock:
            if self.live()[1]:
                return False
            self.inbox.extend(self.feed.poll())
            inbox = self.inbox
            while inbox:
                self.apply(inbox.popleft())
                if time.perf_counter() >= deadline:
                    break
            return bool(inbox)

    def apply(self, change: Change) -> None:
        """One change from the feed, applied locally only: the store has it already."""
        store = self.store
        if change.kind == "put":
            if change.entry is None:  # the store ran this process's own put
                if change.entry_id is not None:
                    self.unconfirmed.discard(change.entry_id)
                return
            entry = change.entry
            self.unconfirmed.discard(entry.id)
            if entry.id in store.id_to_slot:
                return  # held already (a resync's snapshot): an id is never reused
            if entry.expires <= time.time():
                return
            decoded = _stored.decode(entry, store.dim)
            if decoded is None:
                self.stats.add("corrupt_entries")  # skipped: never served, never fatal
                return
            value, vector = decoded
            ns = store.namespaces.get(entry.namespace)
            old = ns.exact.get(entry.key) if ns is not None else None
            if old is not None and store.norm_of(old) == entry.norm:
                if int(store.table.ids[old]) in self.unconfirmed:
                    return  # this process wrote the query since: its put comes later
                store.remove(old, None, persist=False)  # the same query, answered elsewhere
            store.insert(entry, value, vector, persist=False)
        elif change.kind == "delete" and change.entry_id is not None:
            slot = store.id_to_slot.get(change.entry_id)
            if slot is not None:
                store.remove(slot, None, persist=False)
        elif change.kind == "delete_namespace" and change.namespace is not None:
            ns = store.namespaces.get(change.namespace)
            if ns is not None:
                for slot in store.slots_of(ns):
                    if int(store.table.ids[slot]) not in self.unconfirmed:
                        store.remove(slot, None, persist=False)
            self.blocks.drop(change.namespace)
        elif change.kind == "clear":
            table, keep = store.table, change.keep or frozenset()
            for slot in np.flatnonzero(table.alive != 0).tolist():
                entry_id = int(table.ids[slot])
                if entry_id not in self.unconfirmed and entry_id not in keep:
                    store.remove(slot, None, persist=False)
            if change.keep is None:  # a resync keeps blocks: the snapshot's were re-added
                self.blocks.clear()
        elif (
            change.kind == "block"
            and change.namespace is not None
            and change.query_norm is not None
            and change.matched_norm is not None
        ):
            self.blocks.add(change.namespace, change.query_norm, change.matched_norm)
