"""Validated option groups of the semantic cache."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import numpy as np

from semroute import _validate
from semroute._inputs import plain_text
from semroute.cache.guards.api import Guards
from semroute.errors import ConfigError, InputError


def _real(value: object) -> bool:
    """Any real number (``int``, ``float``, numpy scalars such as ``np.float32`` or
    ``np.int64``), but not a ``bool`` (``True`` is no threshold, nor a TTL)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _count(value: object) -> bool:
    """An integer (``int`` or a numpy integer), not a ``bool``."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def check_threshold(value: object, name: str = "threshold") -> float:
    """Return ``value`` as a float cosine in [-1, 1], or raise ``ConfigError``.

    >>> check_threshold(np.float32(0.9)) == float(np.float32(0.9))
    True
    """
    if not _real(value):
        raise ConfigError(f"{name} must be a number in [-1, 1], not {type(value).__name__}")
    result = float(value)  # type: ignore[arg-type]
    if not -1.0 <= result <= 1.0:  # also rejects NaN
        raise ConfigError(f"{name} is a cosine in [-1, 1], got {value!r}")
    return result


def check_guards(value: object, name: str = "guards") -> Guards:
    """A ``Guards``; ``None`` means every guard off (``Guards.none()``)."""
    if value is None:
        return Guards.none()
    if not isinstance(value, Guards):
        raise ConfigError(f"{name} must be a Guards or None, not {type(value).__name__}")
    return value


def check_band(value: object, name: str = "verify_band") -> tuple[float, float] | None:
    """``None`` (every semantic candidate) or a ``(low, high)`` cosine band, low <= high."""
    if value is None:
        return None
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ConfigError(f"{name} must be a (low, high) pair of cosines or None, got {value!r}")
    low = check_threshold(value[0], f"{name}[0]")
    high = check_threshold(value[1], f"{name}[1]")
    if low > high:
        raise ConfigError(f"{name} must have low <= high, got {value!r}")
    return (low, high)


def check_ttl(value: object, name: str = "ttl") -> float | None:
    """``None`` (never expires) or seconds up to ``MAX_TTL_S``; ``ConfigError`` otherwise."""
    return _validate.check_ttl(value, name, error=ConfigError)


#: The automatic search width: ``AUTO_EF_MIN`` up to ``AUTO_EF_FROM`` entries, then
#: growing as ``(size / AUTO_EF_FROM) ** AUTO_EF_POWER`` (see ``IndexConfig.ef_for``).
AUTO_EF_MIN = 32
AUTO_EF_FROM = 100_000
AUTO_EF_POWER = 0.7


@dataclass(frozen=True, slots=True)
class IndexConfig:
    """How the vector index searches one namespace.

    A namespace holding fewer than ``brute_force_below`` entries is searched
    exactly by one native pass (faster than HNSW there, measured by
    ``benchmarks/cache/cache_scale.py``); a larger one moves to an hnswlib graph
    with ``m`` links per node, ``ef_construction`` and a search width over ``k``
    candidates. The graph is built in a background thread (``background_build``)
    while exact search keeps serving.

    ``ef_search=None`` (the default) sizes the search width to the namespace:
    32 up to 100k entries, then ``32 * (size / 100k) ** 0.7`` (69 at 300k, 160 at
    1M), because a fixed width finds fewer near duplicates as the graph grows
    (measured on real embeddings: ef 32 finds 99.85 % of them at 100k, 98.35 % at
    1M, where ef 64 finds 99.25 %). An explicit ``ef_search`` fixes the width at
    every size: the automatic growth is then off, whether the value is above or
    below it.

    >>> IndexConfig().ef_for(1_000_000), IndexConfig(ef_search=48).ef_for(1_000_000)
    (160, 48)
    """

    brute_force_below: int = 512
    m: int = 16
    ef_construction: int = 100
    ef_search: int | None = None
    k: int = 8
    background_build: bool = True

    def __post_init__(self) -> None:
        for name in ("brute_force_below", "m", "ef_construction", "ef_search", "k"):
            value = getattr(self, name)
            if name == "ef_search" and value is None:
                continue
            if not _count(value) or value < 1:
                raise ConfigError(f"IndexConfig.{name} must be a positive int, got {value!r}")
            object.__setattr__(self, name, int(value))
        if self.m < 2:
            raise ConfigError("IndexConfig.m must be >= 2")
        if self.ef_search is not None and self.ef_search < self.k:
            raise ConfigError("IndexConfig.ef_search must be >= k")

    def ef_for(self, size: int) -> int:
        """The search width for a namespace of ``size`` entries (``ef_search`` if set)."""
        if self.ef_search is not None:
            return self.ef_search
        grown = AUTO_EF_MIN * (max(size, AUTO_EF_FROM) / AUTO_EF_FROM) ** AUTO_EF_POWER
        return max(self.k, AUTO_EF_MIN, int(grown))


@dataclass(frozen=True, slots=True)
class CacheConfig:
    """The cache's policy: hit threshold, capacity caps, default TTL, hit guards.

    ``guards`` run on semantic candidates at or above the threshold (never on an
    exact repeat); ``verify_band`` is the cosine band in which the ``verify``
    hook is asked (``None``: every semantic candidate).
    """

    threshold: float = 0.95
    max_entries: int | None = 100_000
    max_bytes: int | None = None
    ttl: float | None = None
    store_none: bool = False
    namespace: str = "default"
    guards: Guards = field(default_factory=Guards)
    verify_band: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", check_threshold(self.threshold))
        object.__setattr__(self, "guards", check_guards(self.guards))
        object.__setattr__(self, "verify_band", check_band(self.verify_band))
        object.__setattr__(self, "ttl", check_ttl(self.ttl))
        for name in ("max_entries", "max_bytes"):
            value = getattr(self, name)
            if value is not None:
                if not _count(value) or value < 1:
                    raise ConfigError(f"{name} must be a positive int or None, got {value!r}")
                object.__setattr__(self, name, int(value))
        try:
            object.__setattr__(self, "namespace", plain_text(self.namespace, "namespace"))
        except InputError as exc:
            raise ConfigError(str(exc)) from exc
