"""The cache's entries in memory: slots, the namespace registry, LRU, TTL and the caps.

``EntryStore`` owns the slot columns (:class:`~semroute.cache.table.SlotTable`), one
:class:`Namespace` (exact-key map + vector index) per namespace, the entry id -> slot map,
and the entry and byte counts; it writes through to the backend when asked to persist.
It takes no lock: the cache holds its lock around every call.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from semroute import _cachecore
from semroute._entry import Entry
from semroute.backends._base import Backend
from semroute.cache.code import exact, exact_form
from semroute.cache.config import CacheConfig, IndexConfig
from semroute.cache.index import Partition
from semroute.cache.stats import StatsRecorder
from semroute.cache.table import IntMap, SlotTable

FloatArray = npt.NDArray[np.float32]

# Bytes a stored entry costs besides its texts and vector: the hnswlib node
# (2*M links of 4 bytes at level 0, label, level) and the slot columns.
_FIXED_BYTES_PER_ENTRY = 256
_TOUCH_FLUSH = 1024
_SWEEP_EVERY_S = 1.0
_LRU_POOL = 64


class Namespace:
    """One namespace: its exact-key map and its vector index."""

    __slots__ = ("exact", "id", "name", "partition")

    def __init__(self, ns_id: int, name: str, partition: Partition) -> None:
        self.id = ns_id
        self.name = name
        self.partition = partition
        self.exact = IntMap()  # query key -> slot (no int objects per entry)


class EntryStore:
    """Slots, namespaces, LRU order, expiry and the ``max_entries`` / ``max_bytes`` caps."""

    def __init__(
        self,
        config: CacheConfig,
        index_config: IndexConfig,
        backend: Backend | None,
        stats: StatsRecorder,
    ) -> None:
        self.config = config
        self.index_config = index_config
        self.backend = backend
        self.stats = stats
        self.dim = 0  # set when the encoder is known, before the first insert
        self.table = SlotTable()
        self.namespaces: dict[str, Namespace] = {}
        self.ns_by_id: dict[int, Namespace] = {}
        self.next_ns_id = 0
        self.id_to_slot = IntMap()  # entry id -> slot (a dict would cost ~90 B/entry)
        self.entries = 0
        self.bytes = 0
        self.stamp = 0
        self.next_sweep = 0.0
        self.touches: dict[int, tuple[float, int]] = {}
        self.lru_pool: list[tuple[int, int]] = []  # (slot, stamp), oldest last

    # -- the namespace registry ---------------------------------------------------------

    def add_namespace(self, name: str, partition: Partition) -> Namespace:
        ns = Namespace(self.next_ns_id, name, partition)
        self.next_ns_id += 1
        self.namespaces[name] = ns
        self.ns_by_id[ns.id] = ns
        return ns

    def find(self, ns_name: str, key: int, norm: str) -> int | None:
        """The slot holding this exact (normalised) query, else ``None``.

        The key is a hash: the text is compared so a collision never answers."""
        ns = self.namespaces.get(ns_name)
        slot = ns.exact.get(key) if ns is not None else None
        if slot is None or self.norm_of(slot) != norm:
            return None
        return slot

    def norm_of(self, slot: int) -> str:
        # Recomputed (0.3 µs) rather than stored (~110 bytes per entry).
        return exact_form(self.table.queries[slot])

    def slots_of(self, ns: Namespace) -> list[int]:
        table = self.table
        return np.flatnonzero((table.alive != 0) & (table.ns_ids == ns.id)).tolist()

    # -- entries --------------------------------------------------------------------------

    def touch(self, slot: int, now: float) -> None:
        """A hit: the slot becomes the newest in LRU order; the store learns it in batches."""
        table = self.table
        self.stamp += 1
        table.stamps[slot] = self.stamp
        table.hits[slot] += 1
        if self.backend is not None:
            self.touches[int(table.ids[slot])] = (now, int(table.hits[slot]))
            if len(self.touches) >= _TOUCH_FLUSH:
                self.flush_touches()

    def flush_touches(self) -> None:
        if self.touches and self.backend is not None:
            updates = [(i, last, hits) for i, (last, hits) in self.touches.items()]
            self.touches = {}
            self.backend.touch(updates)

    @staticmethod
    def entry_bytes(entry: Entry) -> int:
        texts = len(entry.query) + len(entry.response)
        return texts + len(entry.vector) + _FIXED_BYTES_PER_ENTRY

    def insert(
        self,
        entry: Entry,
        value: object,
        vector: FloatArray,
        *,
        persist: bool,
        label: int | None = None,
    ) -> int:
        """Add ``entry``; returns its slot, or -1 when it alone exceeds ``max_bytes``."""
        nbytes = self.entry_bytes(entry)
        if self.config.max_bytes is not None and nbytes > self.config.max_bytes:
            return -1
        if entry.id in self.id_to_slot:
            self.remove(self.id_to_slot[entry.id], None, persist=False)
        # The key is recomputed, never read from the store: a row written under another
        # normaliser (an older version kept no factorial "!") must not answer another query.
        form, key = exact(entry.query)
        same = self.find(entry.namespace, key, form)
        if same is not None:
            # One entry per query: rows an older version keyed apart, or a peer's reply.
            self.remove(same, None, persist=False)
        ns = self.namespaces.get(entry.namespace)
        if ns is None:
            ns = self.add_namespace(entry.namespace, Partition(self.dim, self.index_config))
        if persist and self.backend is not None:
            self.backend.put(entry)
        table = self.table
        slot = table.alloc()
        table.alive[slot] = 1
        table.expires[slot] = entry.expires
        table.ns_ids[slot] = ns.id
        self.stamp += 1
        table.stamps[slot] = self.stamp
        table.hits[slot] = entry.hits
        table.created[slot] = entry.created
        table.ids[slot] = entry.id
        table.keys[slot] = key
        table.nbytes[slot] = nbytes
        table.queries[slot] = entry.query
        table.is_json[slot] = not isinstance(value, str)
        table.values[slot] = entry.response if table.is_json[slot] else value
        table.labels[slot] = (
            ns.partition.add(slot, vector) if label is None else ns.partition.attach(label, slot)
        )
        ns.exact[key] = slot
        self.id_to_slot[entry.id] = slot
        self.entries += 1
        self.bytes += nbytes
        return slot

    def remove(self, slot: int, reason: str | None, *, persist: bool = True) -> None:
        """Drop a slot; ``reason`` names the stats counter to bump (``None``: none)."""
        table = self.table
        ns = self.ns_by_id[int(table.ns_ids[slot])]
        ns.partition.remove(int(table.labels[slot]))
        key = int(table.keys[slot])
        if ns.exact.get(key) == slot:
            del ns.exact[key]
        entry_id = int(table.ids[slot])
        del self.id_to_slot[entry_id]
        self.touches.pop(entry_id, None)
        self.entries -= 1
        self.bytes -= int(table.nbytes[slot])
        table.free(slot)
        if ns.partition.size == 0:
            del self.namespaces[ns.name]
            del self.ns_by_id[ns.id]
        if reason is not None:
            self.stats.add(reason)
        if persist and self.backend is not None:
            self.backend.delete(entry_id)

    def clear(self) -> None:
        """Forget every entry and namespace (the backend is not touched)."""
        self.table = SlotTable()
        self.lru_pool = []
        self.namespaces.clear()
        self.ns_by_id.clear()
        self.id_to_slot.clear()
        self.touches.clear()
        self.entries = 0
        self.bytes = 0

    # -- expiry and the caps ----------------------------------------------------------------

    def over_caps(self) -> bool:
        max_entries, max_bytes = self.config.max_entries, self.config.max_bytes
        return (max_entries is not None and self.entries > max_entries) or (
            max_bytes is not None and self.bytes > max_bytes
        )

    def evict(self, now: float) -> None:
        """Sweep expired entries (at most once a second), then evict LRU until within caps."""
        table = self.table
        if now >= self.next_sweep:
            self.next_sweep = now + _SWEEP_EVERY_S
            expired = np.flatnonzero((table.alive != 0) & (table.expires <= now))
            for slot in expired.tolist():
                self.remove(slot, "expirations")
        while self.over_caps():
            if not self.lru_pool:
                # One scan finds the oldest _LRU_POOL entries; later evictions pop them.
                # Exact LRU: an entry outside the pool was newer than all of it at scan
                # time and stamps only grow; a pooled entry touched since is skipped.
                victims = _cachecore.lru_victims(table.stamps, table.alive, _LRU_POOL)
                self.lru_pool = [(s, int(table.stamps[s])) for s in victims.tolist()][::-1]
                if not self.lru_pool:
                    return
            slot, stamp = self.lru_pool.pop()
            if table.alive[slot] and table.stamps[slot] == stamp:
                self.remove(slot, "evictions")
