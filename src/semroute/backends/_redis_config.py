"""Validated settings and the counters of the Redis backend."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from semroute.errors import ConfigError


def _positive(name: str, value: object, *, integer: bool = False) -> None:
    kinds: tuple[type, ...] = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ConfigError(f"{name} must be a positive {'int' if integer else 'number'}")
    if not (value > 0 and math.isfinite(value)):  # type: ignore[operator, arg-type]
        raise ConfigError(f"{name} must be positive and finite, got {value!r}")


@dataclass(frozen=True, slots=True)
class RedisSettings:
    """How the backend talks to Redis; every field is validated on creation.

    ``socket_timeout`` and ``connect_timeout`` bound one Redis call (seconds).
    ``log_max`` is the approximate length the change stream is trimmed to: a
    process more than that many changes behind resynchronises from a snapshot.
    ``max_pending`` bounds the writes queued while Redis is down or slow; past
    it the oldest queued write is dropped and counted. ``close_timeout`` is how
    long ``close()`` waits for queued writes to reach Redis. ``expire_grace``
    is how long after its expiry time Redis keeps an entry (the cache stops
    serving it at the time itself; the margin absorbs clock skew between hosts).

    >>> RedisSettings(name="faq").log_max
    100000
    """

    name: str = "default"
    socket_timeout: float = 1.0
    connect_timeout: float = 1.0
    log_max: int = 100_000
    max_pending: int = 100_000
    close_timeout: float = 5.0
    expire_grace: float = 60.0
    block_ms: int = 100
    batch: int = 512

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or "}" in self.name:
            raise ConfigError(f"name must be a non-empty str without '}}', got {self.name!r}")
        for field in ("socket_timeout", "connect_timeout", "close_timeout", "expire_grace"):
            _positive(field, getattr(self, field))
        for field in ("log_max", "max_pending", "block_ms", "batch"):
            _positive(field, getattr(self, field), integer=True)


@dataclass(frozen=True, slots=True)
class RedisStats:
    """What the backend did since it was opened: ``backend.stats``.

    ``errors`` counts failed Redis calls (each retry counts); ``dropped_writes``
    writes given up (queue full, or still queued at ``close``); ``pending_writes``
    writes waiting for Redis now; ``corrupt_entries`` stored entries skipped as
    unreadable; ``resyncs`` snapshot reloads after falling behind the trimmed
    log or a store reset; ``lag_s`` the age of the last change received from
    another process (by the writer's clock); ``connected`` whether the last
    Redis call succeeded.
    """

    errors: int
    dropped_writes: int
    pending_writes: int
    written: int
    corrupt_entries: int
    changes_received: int
    resyncs: int
    degraded_opens: int
    lag_s: float
    connected: bool
    last_error: str | None


class Counters:
    """The mutable counters behind :class:`RedisStats`, shared by the backend's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.errors = 0
        self.dropped_writes = 0
        self.written = 0
        self.corrupt_entries = 0
        self.changes_received = 0
        self.resyncs = 0
        self.degraded_opens = 0
        self.lag_s = 0.0
        self.connected = True
        self.last_error: str | None = None

    def add(self, field: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, field, getattr(self, field) + n)

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self.errors += 1
            self.connected = False
            self.last_error = f"{type(exc).__name__}: {exc}"

    def ok(self) -> None:
        self.connected = True

    def snapshot(self, pending: int) -> RedisStats:
        with self._lock:
            return RedisStats(
                errors=self.errors,
                dropped_writes=self.dropped_writes,
                pending_writes=pending,
                written=self.written,
                corrupt_entries=self.corrupt_entries,
                changes_received=self.changes_received,
                resyncs=self.resyncs,
                degraded_opens=self.degraded_opens,
                lag_s=self.lag_s,
                connected=self.connected,
                last_error=self.last_error,
            )
