"""Validated option groups of the semantic cache."""

from __future__ import annotations

import math
from dataclasses import dataclass

from semroute.errors import ConfigError


def check_threshold(value: object, name: str = "threshold") -> float:
    """Return ``value`` as a float cosine in [-1, 1], or raise ``ConfigError``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{name} must be a number in [-1, 1], not {type(value).__name__}")
    result = float(value)
    if not -1.0 <= result <= 1.0:  # also rejects NaN
        raise ConfigError(f"{name} is a cosine in [-1, 1], got {value!r}")
    return result


def check_ttl(value: object, name: str = "ttl") -> float | None:
    """``None`` (never expires) or a positive number of seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{name} must be seconds (a number) or None, not {type(value).__name__}")
    if not (value > 0 and math.isfinite(value)):
        raise ConfigError(f"{name} must be a positive finite number of seconds, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class IndexConfig:
    """How the vector index searches one namespace.

    A namespace holding fewer than ``brute_force_below`` entries is searched
    exactly by one native pass (faster than HNSW there, measured by
    ``benchmarks/quality/cache_scale.py``); a larger one moves to an hnswlib graph
    with ``m`` links per node, ``ef_construction`` and search width
    ``ef_search`` over ``k`` candidates. The graph is built in a background
    thread (``background_build``) while exact search keeps serving.
    """

    brute_force_below: int = 512
    m: int = 16
    ef_construction: int = 100
    ef_search: int = 32
    k: int = 8
    background_build: bool = True

    def __post_init__(self) -> None:
        for name in ("brute_force_below", "m", "ef_construction", "ef_search", "k"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"IndexConfig.{name} must be a positive int, got {value!r}")
        if self.m < 2:
            raise ConfigError("IndexConfig.m must be >= 2")
        if self.ef_search < self.k:
            raise ConfigError("IndexConfig.ef_search must be >= k")


@dataclass(frozen=True, slots=True)
class CacheConfig:
    """The cache's policy: hit threshold, capacity caps, default TTL."""

    threshold: float = 0.95
    max_entries: int | None = 100_000
    max_bytes: int | None = None
    ttl: float | None = None
    store_none: bool = False
    namespace: str = "default"

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", check_threshold(self.threshold))
        object.__setattr__(self, "ttl", check_ttl(self.ttl))
        for name in ("max_entries", "max_bytes"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ConfigError(f"{name} must be a positive int or None, got {value!r}")
        if not isinstance(self.namespace, str):
            raise ConfigError("namespace must be a str")
