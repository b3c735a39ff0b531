"""Hit guards inside SemanticCache: adversarial near-misses refused, paraphrases served.

Similarities are forced with ``embedding=`` so each test states the cosine it
exercises; the FakeEncoder only fixes the dimension.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

import semroute.cache.lookup as cache_module
from semroute.cache.cache import SemanticCache
from semroute.cache.config import IndexConfig
from semroute.cache.guards.api import Guards
from semroute.errors import ConfigError
from tests.fakes import FakeEncoder

DIM = 64
ADVERSARIAL = [
    ("convert 5 km to miles", "convert 8 km to miles", "numbers"),
    ("is X safe", "is X not safe", "negation"),
    ("flights to Paris", "flights to Rome", "entities"),
]
PARAPHRASES = [
    ("How do I reset my password?", "How can I reset my password?"),
    ("convert 5 km to miles", "convert five kilometres to miles"),
    ("cheap flights to Paris", "inexpensive flights to Paris"),
]
INDEXES = {
    "exact": IndexConfig(),
    "hnsw": IndexConfig(brute_force_below=1, background_build=False),
}


def unit(axis: int) -> npt.NDArray[np.float32]:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[axis] = 1.0
    return vector


def at(sim: float, axis: int) -> npt.NDArray[np.float32]:
    """A unit vector at cosine ``sim`` to ``unit(0)`` (and ``sim * s`` to another ``at(s, j)``)."""
    vector = sim * unit(0) + np.sqrt(1.0 - sim * sim) * unit(axis)
    out: npt.NDArray[np.float32] = vector.astype(np.float32)
    return out


@pytest.fixture(params=sorted(INDEXES))
def cache(request: pytest.FixtureRequest) -> SemanticCache:
    return SemanticCache(encoder=FakeEncoder(DIM), index=INDEXES[request.param])


@pytest.mark.parametrize(("stored", "asked", "reason"), ADVERSARIAL)
def test_adversarial_near_misses_are_not_served(
    cache: SemanticCache, stored: str, asked: str, reason: str
) -> None:
    cache.put(stored, "answer", embedding=unit(0))
    assert cache.get(asked, embedding=at(0.99, 1)) is None
    stats = cache.stats
    assert stats.guard_blocks == {reason: 1}
    assert stats.misses == 1 and stats.hits == 0 and stats.refusals == 1
    assert len(cache) == 1  # refused, not evicted
    # Guards off for one call, or for the whole cache: the similarity alone decides.
    hit = cache.get(asked, embedding=at(0.99, 1), guards=Guards.none())
    assert hit is not None and hit.matched_query == stored
    off = SemanticCache(encoder=FakeEncoder(DIM), guards=None)
    off.put(stored, "answer", embedding=unit(0))
    assert off.get(asked, embedding=at(0.99, 1)) is not None
    assert off.stats.guard_blocks == {}


@pytest.mark.parametrize(("stored", "asked"), PARAPHRASES)
def test_true_paraphrases_are_served(cache: SemanticCache, stored: str, asked: str) -> None:
    cache.put(stored, "answer", embedding=unit(0))
    hit = cache.get(asked, embedding=at(0.97, 1))
    assert hit is not None and hit.response == "answer" and not hit.exact
    assert hit.similarity == pytest.approx(0.97, abs=1e-5)
    assert cache.stats.guard_blocks == {}


def test_refused_best_falls_back_to_the_next_candidate(cache: SemanticCache) -> None:
    cache.put("convert 8 km to miles", "8 km", embedding=at(0.99, 1))
    cache.put("convert 6 km to miles", "6 km", embedding=at(0.98, 2))
    cache.put("convert 5 kilometres into miles", "5 km", embedding=at(0.96, 3))
    cache.put("convert 5 km to miles please", "below threshold", embedding=at(0.90, 4))
    hit = cache.get("convert 5 km to miles", embedding=unit(0))
    assert hit is not None and hit.response == "5 km"
    assert hit.similarity == pytest.approx(0.96, abs=1e-5)
    assert cache.stats.guard_blocks == {"numbers": 2}
    assert cache.stats.hits_semantic == 1


def test_every_candidate_refused_is_a_miss_and_get_or_call_stores(cache: SemanticCache) -> None:
    cache.put("convert 8 km to miles", "8 km", embedding=at(0.99, 1))
    cache.put("convert 6 km to miles", "6 km", embedding=at(0.98, 2))
    assert cache.get("convert 5 km to miles", embedding=unit(0)) is None
    assert cache.stats.guard_blocks == {"numbers": 2}
    assert cache.stats.misses == 1


def test_get_or_call_calls_fn_when_guards_refuse() -> None:
    encoder = FakeEncoder(DIM)
    cache = SemanticCache(encoder=encoder, threshold=0.3)
    cache.put("what is the price of 5 apples", "five")
    calls: list[str] = []

    def fn(q: str) -> str:
        calls.append(q)
        return "eight"

    # Under the fake encoder the two share most words; at 0.3 they qualify.
    assert cache.get("what is the price of 8 apples", guards=Guards.none()) is not None
    assert cache.get_or_call("what is the price of 8 apples", fn) == "eight"
    assert calls == ["what is the price of 8 apples"]
    assert cache.get_or_call("what is the price of 8 apples", fn) == "eight"  # exact now
    assert calls == ["what is the price of 8 apples"]
    assert len(cache) == 2


def test_exact_repeat_never_runs_the_guards(
    cache: SemanticCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = cache_module.guard_signature  # type: ignore[attr-defined]

    def counting(q: str) -> Any:
        calls.append(q)
        return real(q)

    monkeypatch.setattr(cache_module, "guard_signature", counting)
    cache.put("is X not safe", "no", embedding=unit(0))
    hit = cache.get("Is X not safe?")
    assert hit is not None and hit.exact and calls == []


def test_query_signature_only_when_a_candidate_qualifies_and_once(
    cache: SemanticCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = cache_module.guard_signature  # type: ignore[attr-defined]

    def counting(q: str) -> Any:
        calls.append(q)
        return real(q)

    monkeypatch.setattr(cache_module, "guard_signature", counting)
    cache.put("convert 8 km to miles", "8", embedding=at(0.99, 1))
    cache.put("convert 6 km to miles", "6", embedding=at(0.98, 2))
    assert cache.get("something else entirely", embedding=unit(5)) is None  # cosine 0
    assert calls == []
    assert cache.get("convert 5 km to miles", embedding=unit(0)) is None
    assert calls == ["convert 5 km to miles"]  # two candidates checked, one signature


def test_guards_are_per_namespace_candidates_only(cache: SemanticCache) -> None:
    cache.put("flights to Rome", "Rome", namespace="a", embedding=at(0.99, 1))
    cache.put("flights to Paris", "Paris", namespace="b", embedding=at(0.97, 2))
    assert cache.get("flights to Paris", namespace="a", embedding=unit(0)) is None
    hit = cache.get("flights to Paris", namespace="b", embedding=unit(0))
    assert hit is not None and hit.exact  # the same text: exact path, unguarded


def test_custom_guards_and_validation() -> None:
    strict = SemanticCache(encoder=FakeEncoder(DIM), guards=Guards(key_terms=True))
    strict.put("learn python", "py", embedding=unit(0))
    assert strict.get("learn java", embedding=at(0.99, 1)) is None
    assert strict.stats.guard_blocks == {"key_terms": 1}
    default = SemanticCache(encoder=FakeEncoder(DIM))
    default.put("learn python", "py", embedding=unit(0))
    assert default.get("learn java", embedding=at(0.99, 1)) is not None
    assert default.config.guards == Guards()
    assert SemanticCache(encoder=FakeEncoder(DIM), guards=None).config.guards == Guards.none()
    for bad in ("on", True, 1, {"numbers": True}):
        with pytest.raises(ConfigError):
            SemanticCache(encoder=FakeEncoder(DIM), guards=bad)  # type: ignore[arg-type]
        with pytest.raises(ConfigError):
            default.get("learn java", guards=bad)  # type: ignore[arg-type]


def test_reset_stats_clears_guard_blocks(cache: SemanticCache) -> None:
    cache.put("convert 8 km to miles", "8", embedding=unit(0))
    assert cache.get("convert 5 km to miles", embedding=at(0.99, 1)) is None
    assert cache.stats.guard_blocks == {"numbers": 1}
    cache.reset_stats()
    assert cache.stats.guard_blocks == {} and cache.stats.refusals == 0
