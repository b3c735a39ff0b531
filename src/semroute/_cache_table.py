"""The cache's per-slot columns: numpy arrays the native core scans, plus Python lists."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt


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
        self.labels: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.nbytes: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.queries: list[str] = []
        # The response as given when it is a str (returned as is: str is immutable),
        # else its JSON text, decoded per hit so callers never share a mutable object.
        self.values: list[Any] = []
        self.is_json: list[bool] = []
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
    )

    def _grow(self, capacity: int) -> None:
        for name in self._ARRAYS:
            old = getattr(self, name)
            new = np.zeros(capacity, dtype=old.dtype)
            new[: old.shape[0]] = old
            setattr(self, name, new)
        self.expires[self.capacity :] = math.inf
        extra = capacity - self.capacity
        self.queries.extend([""] * extra)
        self.values.extend([None] * extra)
        self.is_json.extend([False] * extra)
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
