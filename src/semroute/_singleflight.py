"""Collapse concurrent identical misses into one call of the user's function."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Hashable
from typing import Any


class _Flight:
    __slots__ = ("done", "error", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class SingleFlight:
    """Per key, the first caller runs ``fn``; callers arriving meanwhile wait for its outcome.

    >>> SingleFlight().do("k", lambda: 42)
    (42, False)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}

    def do(self, key: Hashable, fn: Callable[[], Any]) -> tuple[Any, bool]:
        """Return ``(result, shared)``; ``shared`` is True for a caller that waited."""
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return flight.result, True
        try:
            flight.result = fn()
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()
        return flight.result, False


class AsyncSingleFlight:
    """The asyncio twin of :class:`SingleFlight`, per event loop."""

    def __init__(self) -> None:
        self._flights: dict[tuple[int, Hashable], asyncio.Future[Any]] = {}

    async def do(self, key: Hashable, fn: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
        loop = asyncio.get_running_loop()
        slot = (id(loop), key)
        future = self._flights.get(slot)
        if future is not None:
            # shield: one cancelled waiter must not cancel the leader's result for others.
            return await asyncio.shield(future), True
        future = loop.create_future()
        self._flights[slot] = future
        try:
            result = await fn()
        except BaseException as exc:
            if not future.done():
                future.set_exception(exc)
                # Retrieved here so a flight nobody joined does not log "never retrieved".
                future.exception()
            raise
        else:
            future.set_result(result)
            return result, False
        finally:
            self._flights.pop(slot, None)
