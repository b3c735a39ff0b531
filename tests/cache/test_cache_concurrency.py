"""Single-flight in threads and asyncio, and a mixed-operation stress run."""

from __future__ import annotations

import asyncio
import random
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from semroute.cache.cache import SemanticCache
from semroute.cache.config import IndexConfig
from tests.fakes import FakeEncoder


def test_single_flight_threads_call_fn_once() -> None:
    cache = SemanticCache(encoder=FakeEncoder())
    calls = 0
    lock = threading.Lock()
    barrier = threading.Barrier(32)
    results: list[str] = []

    def llm(q: str) -> str:
        nonlocal calls
        with lock:
            calls += 1
        time.sleep(0.2)
        return "answer"

    def worker() -> None:
        barrier.wait()
        results.append(cache.get_or_call("same question?", llm))

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == 1
    assert results == ["answer"] * 32
    assert cache.stats.fn_calls == 1 and cache.stats.fn_calls_saved == 31


def test_single_flight_shares_the_exception_and_stores_nothing() -> None:
    # The leader fails only once the 7 others joined its flight: no timer decides the race.
    cache = SemanticCache(encoder=FakeEncoder())
    barrier = threading.Barrier(8)
    raised: list[BaseException] = []
    caught: list[BaseException] = []
    lock = threading.Lock()

    def llm(q: str) -> str:
        key = (cache._namespace_name(None), "flaky")
        deadline = time.monotonic() + 30  # a hang guard only; the test waits on the count
        while (cache._flight.joined(key) or 0) < 7 and time.monotonic() < deadline:
            time.sleep(0.001)
        exc = TimeoutError("upstream")
        raised.append(exc)
        raise exc

    def worker() -> None:
        barrier.wait()
        try:
            cache.get_or_call("flaky", llm)
        except TimeoutError as exc:
            with lock:
                caught.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(raised) == 1  # fn ran once, in the leader
    assert len(caught) == 8 and all(exc is raised[0] for exc in caught)  # the leader's own
    assert len(cache) == 0  # an exception is never cached
    assert cache.stats.fn_calls == 1


def test_single_flight_asyncio_calls_fn_once() -> None:
    cache = SemanticCache(encoder=FakeEncoder())
    calls = 0

    async def llm(q: str) -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return "async answer"

    async def main() -> list[str]:
        return await asyncio.gather(*(cache.aget_or_call("Same question", llm) for _ in range(20)))

    assert asyncio.run(main()) == ["async answer"] * 20
    assert calls == 1


def test_mixed_operations_from_many_threads_keep_the_cache_consistent() -> None:
    cache = SemanticCache(
        encoder=FakeEncoder(),
        max_entries=150,
        ttl=0.5,
        index=IndexConfig(brute_force_below=32),
    )
    words = [f"w{i}" for i in range(30)]
    failures: list[BaseException] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(300):
                q = " ".join(rng.sample(words, 3))
                ns = rng.choice(["a", "b", "c"])
                op = rng.random()
                if op < 0.4:
                    cache.put(q, q, namespace=ns)
                elif op < 0.8:
                    hit = cache.get(q, namespace=ns, threshold=0.9)
                    assert hit is None or hit.namespace == ns
                elif op < 0.95:
                    cache.delete(q, namespace=ns)
                else:
                    cache.invalidate(ns)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cache._wait_index()
    assert failures == []
    assert len(cache) <= 150
    table = cache._store.table
    assert int(table.alive.sum()) == len(cache) == len(cache._store.id_to_slot)
    assert sum(ns.partition.size for ns in cache._store.namespaces.values()) == len(cache)
    assert cache.stats.bytes == int(table.nbytes[table.alive != 0].sum())


def _wait_for(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.001)


def test_a_caller_that_missed_before_the_leader_stored_does_not_call_fn_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The race of issue #12 item 4, forced: B misses, the leader stores and leaves
    the flight, then B reaches the flight. B must find the stored answer there."""
    cache = SemanticCache(encoder=FakeEncoder())
    calls: list[str] = []
    b_missed = threading.Event()
    leader_done = threading.Event()
    lookup = cache._lookup

    def paused_lookup(*args: Any, **kwargs: Any) -> Any:
        result = lookup(*args, **kwargs)
        if threading.current_thread().name == "B":
            b_missed.set()
            leader_done.wait(10)
        return result

    monkeypatch.setattr(cache, "_lookup", paused_lookup)

    def llm(q: str) -> str:
        calls.append(q)
        return "answer"

    got: list[str] = []
    b = threading.Thread(target=lambda: got.append(cache.get_or_call("Q?", llm)), name="B")
    b.start()
    assert b_missed.wait(10)
    assert cache.get_or_call("Q?", llm) == "answer"  # the leader: calls fn and stores
    leader_done.set()
    b.join()
    assert got == ["answer"] and calls == ["Q?"]
    assert cache.stats.fn_calls == 1


def test_many_threads_with_a_short_switch_interval_call_fn_once_per_query() -> None:
    cache = SemanticCache(encoder=FakeEncoder(), max_entries=None)
    queries = [f"question number {i} about topic {i % 7}" for i in range(200)]
    counts: dict[str, int] = {}
    lock = threading.Lock()

    def llm(q: str) -> str:
        with lock:
            counts[q] = counts.get(q, 0) + 1
        return q.upper()

    def worker(seed: int) -> None:
        order = random.Random(seed).sample(queries, len(queries))
        for q in order:
            assert cache.get_or_call(q, llm, threshold=1.0) == q.upper()

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert counts == dict.fromkeys(queries, 1)


def test_sync_and_async_callers_share_one_flight() -> None:
    cache = SemanticCache(encoder=FakeEncoder())
    release = threading.Event()
    calls: list[str] = []

    def llm(q: str) -> str:
        calls.append(q)
        release.wait(10)
        return "shared"

    async def allm(q: str) -> str:
        calls.append("async " + q)
        return "async fn ran"

    got: list[str] = []
    leader = threading.Thread(target=lambda: got.append(cache.get_or_call("Q", llm)))
    leader.start()
    _wait_for(lambda: calls)

    async def follower() -> str:
        return await cache.aget_or_call("q", allm)

    # A coroutine on another thread's loop joins the sync leader's flight.
    other = threading.Thread(target=lambda: got.append(asyncio.run(follower())))
    other.start()
    _wait_for(lambda: cache._flight.joined(("default", "q")) == 1)
    release.set()
    leader.join()
    other.join()
    assert got == ["shared", "shared"] and calls == ["Q"]


def test_a_nested_call_for_the_same_key_runs_instead_of_deadlocking() -> None:
    cache = SemanticCache(encoder=FakeEncoder())

    def outer(q: str) -> str:
        # fn asks the cache for the same question on the leader's own thread.
        return "outer(" + cache.get_or_call(q, lambda q: "inner") + ")"

    assert cache.get_or_call("same", outer) == "outer(inner)"


def test_a_cancelled_async_leader_lets_its_waiters_retry() -> None:
    cache = SemanticCache(encoder=FakeEncoder())
    started = asyncio.Event
    calls: list[str] = []

    async def main() -> str:
        gate = started()

        async def slow(q: str) -> str:
            calls.append("slow")
            gate.set()
            await asyncio.sleep(10)
            return "never"

        async def fast(q: str) -> str:
            calls.append("fast")
            return "fast answer"

        leader = asyncio.create_task(cache.aget_or_call("q", slow))
        await gate.wait()
        follower = asyncio.create_task(cache.aget_or_call("q", fast))
        while cache._flight.joined(("default", "q")) != 1:
            await asyncio.sleep(0)
        leader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leader
        return await follower

    assert asyncio.run(main()) == "fast answer"
    assert calls == ["slow", "fast"]
