"""One stored cache entry, as the cache hands it to a backend and gets it back."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Entry:
    """A cached answer with everything needed to rebuild the index from it.

    ``response`` is JSON text (never pickle); ``vector`` is the unit embedding
    as little-endian float32 bytes; times are Unix seconds; ``expires`` is
    ``math.inf`` for an entry that never expires. ``id`` is a random positive
    63-bit integer, unique across processes sharing one store.
    """

    id: int
    namespace: str
    query: str
    norm: str
    key: int
    response: str
    vector: bytes
    created: float
    expires: float = math.inf
    last_access: float = 0.0
    hits: int = 0
