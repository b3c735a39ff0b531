"""The cache's per-slot columns: numpy arrays the native core scans, plus Python lists."""

from __future__ import annotations

import math
import mmap
from collections.abc import Iterator
from typing import Any, overload

import numpy as np
import numpy.typing as npt

# Columns from this size on get pages of their own (an anonymous private mapping)
# instead of malloc's heap: when a column doubles, the copy it outgrew is unmapped
# at once. From the heap it would stay resident (glibc keeps freed chunks below
# the top of the heap): ~140 bytes per entry measured at 200k entries, before.
_MAP_FROM_BYTES = 1 << 20
_MAP_FLAGS = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)


def column(n: int, dtype: type[np.generic], fill: float = 0) -> npt.NDArray[Any]:
    """A writable 1-d array of ``n`` items set to ``fill``; large ones own their pages."""
    nbytes = n * np.dtype(dtype).itemsize
    if nbytes < _MAP_FROM_BYTES or not hasattr(mmap, "MAP_ANONYMOUS"):
        return np.full(n, fill, dtype=dtype)
    # Anonymous pages read as zero and cost nothing until written.
    pages = mmap.mmap(-1, nbytes, flags=_MAP_FLAGS)
    out: npt.NDArray[Any] = np.frombuffer(pages, dtype=dtype, count=n)
    if fill != 0:
        out.fill(fill)
    return out


def grown(old: npt.NDArray[Any], n: int, fill: float = 0) -> npt.NDArray[Any]:
    """A copy of ``old`` extended to ``n`` items with ``fill``."""
    new = column(n, old.dtype.type, fill)
    new[: old.shape[0]] = old
    return new


class SlotTable:
    """Fixed-width metadata of every entry, one row per slot; freed slots are reused.

    Arrays double when full (a copy of a few bytes per slot: about 1 ms per
    100k slots), so a lookup always sees one consistent set of arrays.
    """

    def __init__(self, capacity: int = 64) -> None:
        self.capacity = 0
        self.alive: npt.NDArray[np.uint8] = np.zeros(0, dtype=np.uint8)
        self.expires: npt.NDArray[np.float64] = np.zeros(0, dtype=np.float64)
        self.ns_ids: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self.stamps: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.hits: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.created: npt.NDArray[np.float64] = np.zeros(0, dtype=np.float64)
        self.ids: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.keys: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        # A label indexes one namespace's graph: int32 holds 2**31 entries per namespace.
        self.labels: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self.nbytes: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        # 1 where values[slot] is JSON text (a byte, not a list item: 8 bytes and a pointer).
        self.is_json: npt.NDArray[np.uint8] = np.zeros(0, dtype=np.uint8)
        self.queries: list[str] = []
        # The response as given when it is a str (returned as is: str is immutable),
        # else its JSON text, decoded per hit so callers never share a mutable object.
        self.values: list[Any] = []
        self._free: list[int] = []
        self._high = 0
        self._grow(capacity)

    _ARRAYS = (
        "alive",
        "expires",
        "ns_ids",
        "stamps",
        "hits",
        "created",
        "ids",
        "keys",
        "labels",
        "nbytes",
        "is_json",
    )

    def _grow(self, capacity: int) -> None:
        for name in self._ARRAYS:
            setattr(self, name, grown(getattr(self, name), capacity))
        self.expires[self.capacity :] = math.inf
        extra = capacity - self.capacity
        self.queries.extend([""] * extra)
        self.values.extend([None] * extra)
        self.capacity = capacity

    def alloc(self) -> int:
        if self._free:
            return self._free.pop()
        if self._high == self.capacity:
            self._grow(2 * self.capacity)
        slot = self._high
        self._high += 1
        return slot

    def free(self, slot: int) -> None:
        self.alive[slot] = 0
        self.expires[slot] = math.inf
        self.queries[slot] = ""
        self.values[slot] = None
        self._free.append(slot)

    def reset(self) -> None:
        self.__init__(64)  # type: ignore[misc]


_M64 = (1 << 64) - 1
_FIB = 0x9E3779B97F4A7C15  # 2**64 / golden ratio: spreads ids that share low bits


class IntMap:
    """A ``dict[int, int]`` of signed 64-bit keys to slots, in two numpy columns.

    A dict of 1M int keys costs ~90 bytes per entry (its table plus a 48-byte int
    object per 63-bit key); this open-addressing table (linear probing, at most
    2/3 full, backward-shift deletion, so no tombstones) costs 12 bytes per cell,
    18-36 per entry, and no int object. It holds the entry-id map and each
    namespace's exact-key map; an operation costs about 1 µs instead of a dict's
    0.05, once per exact lookup and a few times per put.
    """

    __slots__ = ("_keys", "_mask", "_n", "_shift", "_slots")

    def __init__(self) -> None:
        self._n = 0
        self._alloc(16)

    def _alloc(self, size: int) -> None:
        self._keys: npt.NDArray[np.int64] = column(size, np.int64)
        self._slots: npt.NDArray[np.int32] = column(size, np.int32)  # slot + 1; 0: empty
        self._mask = size - 1
        self._shift = 64 - (size.bit_length() - 1)

    def _home(self, key: int) -> int:
        return (((key & _M64) * _FIB) & _M64) >> self._shift

    def _find(self, key: int) -> int:
        """The cell holding ``key``, or the empty cell that ends its probe."""
        keys, slots, mask = self._keys, self._slots, self._mask
        i = self._home(key)
        while slots[i] and keys[i] != key:
            i = (i + 1) & mask
        return i

    @overload
    def get(self, key: int) -> int | None: ...
    @overload
    def get(self, key: int, default: int) -> int: ...
    def get(self, key: int, default: int | None = None) -> int | None:
        stored = int(self._slots[self._find(key)])
        return stored - 1 if stored else default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and bool(self._slots[self._find(key)])

    def __getitem__(self, key: int) -> int:
        stored = int(self._slots[self._find(key)])
        if not stored:
            raise KeyError(key)
        return stored - 1

    def __setitem__(self, key: int, slot: int) -> None:
        if 3 * (self._n + 1) > 2 * (self._mask + 1):
            self._rehash(2 * (self._mask + 1))
        i = self._find(key)
        if not self._slots[i]:
            self._n += 1
            self._keys[i] = key
        self._slots[i] = slot + 1

    def __delitem__(self, key: int) -> None:
        keys, slots, mask = self._keys, self._slots, self._mask
        i = self._find(key)
        if not slots[i]:
            raise KeyError(key)
        slots[i] = 0
        self._n -= 1
        # Backward shift: pull later entries of the run into the hole unless their
        # home lies in (hole, j] (cyclically), so every probe still ends at a true gap.
        j = i
        while True:
            j = (j + 1) & mask
            if not slots[j]:
                return
            home = self._home(int(keys[j]))
            stays = (i < home <= j) if i <= j else (home > i or home <= j)
            if not stays:
                keys[i] = keys[j]
                slots[i] = slots[j]
                slots[j] = 0
                i = j

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[int]:
        return iter(self._keys[self._slots != 0].tolist())

    def values(self) -> list[int]:
        return (self._slots[self._slots != 0].astype(np.int64) - 1).tolist()  # type: ignore[no-any-return]

    def items(self) -> list[tuple[int, int]]:
        live = self._slots != 0
        return list(zip(self._keys[live].tolist(), (self._slots[live] - 1).tolist(), strict=True))

    def clear(self) -> None:
        self._n = 0
        self._alloc(16)

    def _rehash(self, size: int) -> None:
        live = self._slots != 0
        keys, slots = self._keys[live], self._slots[live]
        self._alloc(size)
        # Vectorised linear-probing insert: each round, every pending key claims the
        # cell it points at if free (one winner per cell); the others step on. A key
        # thus lands only after every cell from its home on is taken, as one by one.
        home = (keys.view(np.uint64) * np.uint64(_FIB)) >> np.uint64(self._shift)
        pos = home.astype(np.int64)
        pending = np.arange(keys.shape[0])
        owner = np.full(size, -1, dtype=np.int64)
        while pending.size:
            cells = pos[pending]
            claim = self._slots[cells] == 0
            bidders, bid_cells = pending[claim], cells[claim]
            owner[bid_cells] = bidders
            won = owner[bid_cells] == bidders
            winners, win_cells = bidders[won], bid_cells[won]
            self._keys[win_cells] = keys[winners]
            self._slots[win_cells] = slots[winners]
            placed = np.zeros(keys.shape[0], dtype=bool)
            placed[winners] = True
            pending = pending[~placed[pending]]
            pos[pending] = (pos[pending] + 1) & self._mask
