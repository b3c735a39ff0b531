"""Collapse concurrent identical misses into one call of the user's function.

One :class:`SingleFlight` is shared by every caller of a cache: threads, any number
of event loops, sync and async callers all join the same flight for a key. The
one exception avoids a deadlock: a caller never waits for a flight led from its
own thread unless both are tasks of the same event loop (a sync call made while
this thread leads, or a coroutine of another loop on it, runs ``fn`` itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Hashable
from typing import Any


class _Flight:
    __slots__ = ("done", "error", "joined", "loop", "result", "retry", "thread", "waiters")

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        # The leader was cancelled or interrupted: waiters try again rather than fail.
        self.retry = False
        self.thread = threading.get_ident()
        self.loop = loop  # the leader's loop when it is a coroutine, else None
        self.waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self.joined = 0  # callers that waited on this flight (tests use it to order events)


def _wake(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class SingleFlight:
    """Per key, the first caller runs ``fn``; callers arriving meanwhile wait for its outcome.

    >>> SingleFlight().do("k", lambda: 42)
    (42, False)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}

    def joined(self, key: Hashable) -> int | None:
        """How many callers joined ``key``'s flight so far; ``None`` when none is in flight."""
        with self._lock:
            flight = self._flights.get(key)
            return None if flight is None else flight.joined

    def _join(
        self, key: Hashable, loop: asyncio.AbstractEventLoop | None
    ) -> tuple[_Flight | None, bool]:
        """``(flight, leader)``; ``(None, False)`` when waiting could deadlock."""
        with self._lock:
            flight = self._flights.get(key)
            if flight is None:
                flight = self._flights[key] = _Flight(loop)
                return flight, True
            if flight.thread == threading.get_ident() and (loop is None or flight.loop is not loop):
                return None, False
            flight.joined += 1
            return flight, False

    def _land(self, key: Hashable, flight: _Flight) -> None:
        with self._lock:
            del self._flights[key]
            waiters, flight.waiters = flight.waiters, []
            # Set under the lock: a coroutine checks it there before queueing to be woken.
            flight.done.set()
        for loop, future in waiters:
            # A closed loop raises RuntimeError: nobody is left there to wake.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_wake, future)

    @staticmethod
    def _settle(flight: _Flight, error: BaseException) -> None:
        if isinstance(error, Exception):
            flight.error = error
        else:  # cancelled, KeyboardInterrupt...: not an outcome to hand to others
            flight.retry = True

    def do(self, key: Hashable, fn: Callable[[], Any]) -> tuple[Any, bool]:
        """Return ``(result, shared)``; ``shared`` is True for a caller that waited."""
        while True:
            flight, leader = self._join(key, None)
            if flight is None:
                return fn(), False
            if leader:
                break
            flight.done.wait()
            if flight.retry:
                continue
            if flight.error is not None:
                raise flight.error
            return flight.result, True
        try:
            flight.result = fn()
        except BaseException as exc:
            self._settle(flight, exc)
            raise
        finally:
            self._land(key, flight)
        return flight.result, False

    async def ado(self, key: Hashable, fn: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
        """The asyncio form of :meth:`do`; waiting never blocks the event loop."""
        loop = asyncio.get_running_loop()
        while True:
            flight, leader = self._join(key, loop)
            if flight is None:
                return await fn(), False
            if leader:
                break
            future: asyncio.Future[None] = loop.create_future()
            with self._lock:
                landed = flight.done.is_set()
                if not landed:
                    flight.waiters.append((loop, future))
            if not landed:
                try:
                    await future
                except BaseException:
                    with self._lock:
                        if (loop, future) in flight.waiters:
                            flight.waiters.remove((loop, future))
                    raise
            if flight.retry:
                continue
            if flight.error is not None:
                raise flight.error
            return flight.result, True
        try:
            flight.result = await fn()
        except BaseException as exc:
            self._settle(flight, exc)
            raise
        finally:
            self._land(key, flight)
        return flight.result, False
