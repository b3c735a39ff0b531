"""SemanticCache.serve / aserve / embed: what adapters build on."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

import semroute
from semroute.cache.cache import SemanticCache, Served
from semroute.errors import InputError, InputTypeError
from tests.fakes import FakeEncoder


@pytest.fixture
def encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def cache(encoder: FakeEncoder) -> SemanticCache:
    return SemanticCache(encoder=encoder)


def wait_for(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.001)


def test_served_is_exported() -> None:
    assert semroute.Served is Served
    assert "Served" in semroute.__all__


def test_miss_then_exact_then_semantic(cache: SemanticCache) -> None:
    first = cache.serve("How do I reset my password?", lambda q: "Click Forgot.")
    assert (first.response, first.hit, first.shared, first.stored) == (
        "Click Forgot.",
        None,
        False,
        True,
    )
    assert first.embedding is not None
    np.testing.assert_array_equal(first.embedding, cache.embed("How do I reset my password?"))

    exact = cache.serve("how do i reset my password", lambda q: "never")
    assert exact.response == "Click Forgot." and exact.hit is not None and exact.hit.exact
    assert exact.embedding is None and not exact.stored and not exact.shared

    # Same words, another order: the fake encoder embeds it identically (cosine 1).
    semantic = cache.serve("my password: how do I reset", lambda q: "never")
    assert semantic.hit is not None and not semantic.hit.exact
    assert semantic.embedding is not None and semantic.response == "Click Forgot."


def test_store_if_false_returns_the_result_and_stores_nothing(cache: SemanticCache) -> None:
    seen: list[object] = []

    def keep(result: dict[str, object]) -> bool:
        seen.append(result)
        return False

    served = cache.serve("call a tool", lambda q: {"tool": "search"}, store_if=keep)
    assert served.response == {"tool": "search"} and not served.stored and served.hit is None
    assert seen == [{"tool": "search"}]
    assert len(cache) == 0 and cache.get("call a tool") is None
    # The next call runs fn again: nothing was cached.
    assert cache.serve("call a tool", lambda q: "second", store_if=keep).response == "second"
    assert cache.stats.fn_calls == 2


def test_store_if_true_stores_and_an_exception_from_it_propagates(cache: SemanticCache) -> None:
    assert cache.serve("q one", lambda q: "a", store_if=lambda r: True).stored
    assert cache.get("q one") is not None

    def broken(result: object) -> bool:
        raise LookupError("policy bug")

    with pytest.raises(LookupError):
        cache.serve("q two", lambda q: "b", store_if=broken)
    assert cache.get("q two") is None


def test_none_result_is_not_stored_without_store_none(cache: SemanticCache) -> None:
    served = cache.serve("nothing", lambda q: None)
    assert served.response is None and not served.stored and len(cache) == 0


def test_embedding_given_skips_the_encoder(cache: SemanticCache, encoder: FakeEncoder) -> None:
    vector = cache.embed("What is the capital of France?")
    before = encoder.calls
    served = cache.serve("What is the capital of France?", lambda q: "Paris", embedding=vector)
    assert served.stored and encoder.calls == before
    np.testing.assert_allclose(served.embedding, vector)  # type: ignore[arg-type]
    assert (
        cache.get_or_call("capital of France, what is the", lambda q: "x", embedding=vector)
        == "Paris"
    )
    assert encoder.calls == before


def test_bad_arguments_raise_before_fn_runs(cache: SemanticCache) -> None:
    calls: list[str] = []

    def fn(q: str) -> str:
        calls.append(q)
        return "x"

    with pytest.raises(InputTypeError):
        cache.serve("q", fn, store_if="yes")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        cache.serve("q", fn, embedding=np.zeros(3, dtype=np.float32))
    with pytest.raises(InputTypeError):
        cache.embed(3)  # type: ignore[arg-type]
    assert calls == []


def test_async_def_given_to_sync_serve_is_refused_before_it_runs(cache: SemanticCache) -> None:
    ran: list[str] = []

    async def llm(q: str) -> str:
        ran.append(q)
        return "x"

    with pytest.raises(InputTypeError):
        cache.serve("q", llm)  # type: ignore[arg-type]
    with pytest.raises(InputTypeError):
        cache.get_or_call("q", llm)  # type: ignore[arg-type]
    # A sync callable returning an awaitable is caught too, and not left un-awaited.
    with pytest.raises(InputTypeError):
        cache.get_or_call("q", lambda q: llm(q))
    assert ran == [] and len(cache) == 0


def test_sync_fn_given_to_aserve_is_refused(cache: SemanticCache) -> None:
    with pytest.raises(InputTypeError):
        asyncio.run(cache.aserve("q", lambda q: "not awaitable"))  # type: ignore[arg-type,return-value]
    assert len(cache) == 0


def test_waiters_of_a_flight_get_the_leaders_result() -> None:
    cache = SemanticCache(encoder=FakeEncoder())
    key = ("default", "same question")
    release = threading.Event()
    calls: list[str] = []

    def llm(q: str) -> dict[str, str]:
        calls.append(q)
        release.wait(10)
        return {"answer": "from the leader"}

    results: list[Served[dict[str, str]]] = []

    def worker() -> None:
        results.append(cache.serve("Same question?", llm))

    leader = threading.Thread(target=worker)
    leader.start()
    wait_for(lambda: calls)
    followers = [threading.Thread(target=worker) for _ in range(5)]
    for t in followers:
        t.start()
    wait_for(lambda: cache._flight.joined(key) == 5)
    release.set()
    for t in [leader, *followers]:
        t.join()
    assert len(calls) == 1
    assert [r.response for r in results] == [{"answer": "from the leader"}] * 6
    assert sorted(r.shared for r in results) == [False] + [True] * 5
    assert sum(r.stored for r in results) == 1
    assert all(r.hit is None for r in results)
    assert cache.stats.fn_calls == 1 and cache.stats.fn_calls_saved == 5


def test_waiters_get_an_unstored_result_too() -> None:
    """store_if=False: the leader's result still reaches its waiters (not stored)."""
    cache = SemanticCache(encoder=FakeEncoder())
    release = threading.Event()
    calls: list[str] = []

    def llm(q: str) -> str:
        calls.append(q)
        release.wait(10)
        return "tool call"

    results: list[Served[str]] = []

    def worker() -> None:
        results.append(cache.serve("use the tool", llm, store_if=lambda r: False))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    threads[0].start()
    wait_for(lambda: calls)
    for t in threads[1:]:
        t.start()
    wait_for(lambda: cache._flight.joined(("default", "use the tool")) == 3)
    release.set()
    for t in threads:
        t.join()
    assert len(calls) == 1 and [r.response for r in results] == ["tool call"] * 4
    assert not any(r.stored for r in results) and len(cache) == 0


def test_aserve_shares_one_call_and_reports_it() -> None:
    cache = SemanticCache(encoder=FakeEncoder())
    calls = 0

    async def llm(q: str) -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return "async answer"

    async def main() -> list[Served[str]]:
        return await asyncio.gather(*(cache.aserve("Same question", llm) for _ in range(10)))

    results = asyncio.run(main())
    assert calls == 1 and [r.response for r in results] == ["async answer"] * 10
    assert sum(not r.shared for r in results) == 1 and sum(r.stored for r in results) == 1
    again = asyncio.run(cache.aserve("same question", llm))
    assert again.hit is not None and again.hit.exact and calls == 1


def test_a_result_that_cannot_be_stored_is_still_returned_and_counted() -> None:
    # fn ran and was paid for: an answer too deep (or not JSON) goes back to the caller,
    # only the storing is skipped. Before, get_or_call raised InputError and lost it.
    cache = SemanticCache(encoder=FakeEncoder())
    deep: object = "leaf"
    for _ in range(500):
        deep = [deep]
    odd = object()
    assert cache.get_or_call("deep answer", lambda q: deep) is deep
    served = cache.serve("odd answer", lambda q: odd)
    assert served.response is odd and served.stored is False
    assert len(cache) == 0 and cache.stats.unstorable_results == 2
    with pytest.raises(InputError):  # an explicit put still says why
        cache.put("deep answer", deep)
