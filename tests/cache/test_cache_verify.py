"""The ``verify`` hook and ``report_wrong`` blocking, with forced similarities."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from semroute.cache.cache import SemanticCache
from semroute.cache.config import IndexConfig
from semroute.errors import ConfigError
from tests.fakes import FakeEncoder

DIM = 64


def unit(axis: int) -> npt.NDArray[np.float32]:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[axis] = 1.0
    return vector


def at(sim: float, axis: int) -> npt.NDArray[np.float32]:
    out: npt.NDArray[np.float32] = (sim * unit(0) + np.sqrt(1.0 - sim * sim) * unit(axis)).astype(
        np.float32
    )
    return out


class Judge:
    """A recording verifier that approves the cached queries in ``approve``."""

    def __init__(self, approve: set[str] | None = None) -> None:
        self.approve = approve or set()
        self.calls: list[tuple[str, str, Any]] = []

    def __call__(self, query: str, cached_query: str, response: Any) -> bool:
        self.calls.append((query, cached_query, response))
        return cached_query in self.approve


def make(judge: Any, **kwargs: Any) -> SemanticCache:
    return SemanticCache(encoder=FakeEncoder(DIM), verify=judge, **kwargs)


def test_verify_sees_query_cached_query_and_decoded_response() -> None:
    judge = Judge({"reset my password"})
    cache = make(judge)
    cache.put("reset my password", {"steps": [1, 2]}, embedding=unit(0))
    hit = cache.get("how to reset the password", embedding=at(0.97, 1))
    assert hit is not None and hit.response == {"steps": [1, 2]}
    assert judge.calls == [("how to reset the password", "reset my password", {"steps": [1, 2]})]


def test_false_refuses_and_the_next_candidate_is_tried() -> None:
    judge = Judge({"cached pear"})
    cache = make(judge, index=IndexConfig(brute_force_below=1, background_build=False))
    cache.put("cached apple", "1", embedding=at(0.99, 1))
    cache.put("cached pear", "2", embedding=at(0.97, 2))
    hit = cache.get("the query", embedding=unit(0))
    assert hit is not None and hit.response == "2"
    assert [c[1] for c in judge.calls] == ["cached apple", "cached pear"]
    assert cache.stats.verify_refusals == 1 and cache.stats.hits_semantic == 1
    judge.approve = set()
    assert cache.get("the query", embedding=unit(0)) is None
    assert cache.stats.verify_refusals == 3 and cache.stats.misses == 1
    assert len(cache) == 2  # refusals never evict


def test_exact_hits_are_never_verified() -> None:
    judge = Judge()
    cache = make(judge)
    cache.put("reset my password", "A", embedding=unit(0))
    hit = cache.get("Reset my password!")
    assert hit is not None and hit.exact and judge.calls == []


def test_band_limits_which_candidates_are_verified() -> None:
    judge = Judge()
    cache = make(judge, verify_band=(0.95, 0.98))
    cache.put("stored", "A", embedding=unit(0))
    assert cache.get("sure", embedding=at(0.99, 1)) is not None  # above the band: served
    assert judge.calls == []
    assert cache.get("unsure", embedding=at(0.96, 2)) is None  # inside: asked, refused
    assert [c[0] for c in judge.calls] == ["unsure"]
    assert cache.get("far", embedding=at(0.90, 3)) is None  # below the threshold: not asked
    assert len(judge.calls) == 1
    # A band below the threshold only matters for a per-call lower threshold.
    low = make(judge, verify_band=(0.5, 0.9))
    low.put("stored", "A", embedding=unit(0))
    assert low.get("low", embedding=at(0.8, 1), threshold=0.7) is None
    assert low.get("high", embedding=at(0.96, 1)) is not None


def test_guards_refuse_before_the_verifier_is_asked() -> None:
    judge = Judge({"convert 8 km to miles", "convert five kilometres to miles"})
    cache = make(judge)
    cache.put("convert 8 km to miles", "8", embedding=at(0.99, 1))
    cache.put("convert five kilometres to miles", "5", embedding=at(0.96, 2))
    hit = cache.get("convert 5 km to miles", embedding=unit(0))
    assert hit is not None and hit.response == "5"
    assert [c[1] for c in judge.calls] == ["convert five kilometres to miles"]
    assert cache.stats.guard_blocks == {"numbers": 1} and cache.stats.verify_refusals == 0


def test_verify_exception_propagates_and_nothing_is_stored_or_evicted() -> None:
    class JudgeDown(RuntimeError):
        pass

    def judge(query: str, cached_query: str, response: Any) -> bool:
        raise JudgeDown("judge unavailable")

    encoder = FakeEncoder(DIM)
    cache = SemanticCache(encoder=encoder, verify=judge, threshold=0.5)
    cache.put("what is the capital of France", "Paris")
    calls: list[str] = []
    with pytest.raises(JudgeDown, match="judge unavailable"):
        cache.get_or_call("what is the capital city of France", calls.append)
    assert calls == [] and len(cache) == 1
    assert cache.get("what is the capital of France") is not None  # exact: no verifier
    with pytest.raises(JudgeDown):
        cache.get("France capital", embedding=encoder.encode("what is the capital of France")[0])


def test_async_verifier_and_sync_verifier_in_aget_or_call() -> None:
    seen: list[str] = []

    async def judge(query: str, cached_query: str, response: Any) -> bool:
        await asyncio.sleep(0)
        seen.append(cached_query)
        return bool(response == "good")

    encoder = FakeEncoder(DIM)
    cache = SemanticCache(encoder=encoder, verify=judge, threshold=0.5)
    cache.put("what is the capital of France", "good")
    cache.put("what is the capital of Spain", "bad")

    async def fn(q: str) -> str:
        return "fresh"

    async def run() -> tuple[str, str]:
        a = await cache.aget_or_call("what is the capital city of France", fn)
        b = await cache.aget_or_call("what is the capital city of Spain", fn)
        return a, b

    assert asyncio.run(run()) == ("good", "fresh")
    assert "what is the capital of Spain" in seen
    # The same async verifier through the sync API is a configuration error.
    with pytest.raises(ConfigError, match="aget_or_call"):
        cache.get("what is the capital town of France")
    sync_judge = Judge()
    sync_cache = SemanticCache(encoder=encoder, verify=sync_judge, threshold=0.5)
    sync_cache.put("what is the capital of France", "Paris")
    assert asyncio.run(sync_cache.aget_or_call("what is the capital city of France", fn)) == "fresh"
    assert len(sync_judge.calls) == 1


def test_verify_and_band_validation() -> None:
    for bad in ((0.9,), (0.99, 0.9), (0.5, 1.5), "0.9,1", (None, 1.0)):
        with pytest.raises(ConfigError):
            make(Judge(), verify_band=bad)
    with pytest.raises(ConfigError):
        make("yes")
    assert make(Judge(), verify_band=[0.9, 1]).config.verify_band == (0.9, 1.0)


# -- report_wrong: a reported mistake is never served again ---------------------------


def test_report_wrong_blocks_the_match_even_when_put_again() -> None:
    cache = SemanticCache(encoder=FakeEncoder(DIM))
    cache.put("best pizza in town", "Luigi's", embedding=unit(0))
    assert cache.get("best pasta in town", embedding=at(0.97, 1)) is not None
    removed = cache.report_wrong("best pasta in town", embedding=at(0.97, 1))
    assert removed is not None and removed.matched_query == "best pizza in town"
    assert len(cache) == 0
    cache.put("Best pizza in town!", "Luigi's", embedding=unit(0))  # re-put (same normalised)
    assert cache.get("best pasta in town", embedding=at(0.97, 1)) is None
    assert cache.get("Best PASTA in town?", embedding=at(0.97, 1)) is None  # normalised query
    assert cache.stats.reported_refusals == 2
    # Only that pair is blocked: the entry still answers other queries and itself.
    assert cache.get("best pizza around", embedding=at(0.97, 2)) is not None
    assert cache.get("best pizza in town") is not None
    # ... and not in another namespace, and not with guards off.
    cache.put("best pizza in town", "Luigi's", namespace="other", embedding=unit(0))
    assert cache.get("best pasta in town", namespace="other", embedding=at(0.97, 1)) is not None
    assert cache.get("best pasta in town", embedding=at(0.97, 1), guards=None) is None


def test_report_wrong_falls_through_to_the_next_candidate() -> None:
    cache = SemanticCache(encoder=FakeEncoder(DIM))
    cache.put("best pizza in town", "pizza", embedding=at(0.99, 1))
    cache.put("best pasta dishes in town", "pasta", embedding=at(0.96, 2))
    cache.report_wrong("best pasta in town", embedding=unit(0))
    cache.put("best pizza in town", "pizza", embedding=at(0.99, 1))
    hit = cache.get("best pasta in town", embedding=unit(0))
    assert hit is not None and hit.response == "pasta"


def test_report_wrong_exact_removes_without_blocking() -> None:
    cache = SemanticCache(encoder=FakeEncoder(DIM))
    cache.put("is it safe", "yes", embedding=unit(0))
    hit = cache.report_wrong("Is it safe?")
    assert hit is not None and hit.exact and len(cache) == 0
    assert cache.report_wrong("is it safe") is None
    cache.put("is it safe", "it depends", embedding=unit(0))
    again = cache.get("is it safe")
    assert again is not None and again.response == "it depends"


def test_verify_runs_outside_the_cache_lock() -> None:
    import threading

    done: list[bool] = []

    def judge(query: str, cached_query: str, response: Any) -> bool:
        # Another thread using the cache while the verifier runs must not block on it.
        worker = threading.Thread(target=lambda: done.append(cache.get("stored") is not None))
        worker.start()
        worker.join(timeout=30)
        return not worker.is_alive()

    cache = make(judge)
    cache.put("stored", "A", embedding=unit(0))
    hit = cache.get("asked", embedding=at(0.97, 1))
    assert hit is not None and done == [True]
