"""SemanticCache behaviour with the fake encoder: hits, misses, inputs, eviction, TTL, API."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from semroute.cache.cache import CacheHit, SemanticCache
from semroute.cache.config import IndexConfig
from semroute.errors import BackendError, ConfigError, InputError, InputTypeError
from tests.fakes import FakeEncoder


@pytest.fixture
def encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def cache(encoder: FakeEncoder) -> SemanticCache:
    return SemanticCache(encoder=encoder)


def test_miss_calls_fn_once_then_exact_repeat_skips_the_encoder(
    cache: SemanticCache, encoder: FakeEncoder
) -> None:
    calls: list[str] = []

    def llm(q: str) -> str:
        calls.append(q)
        return "Click 'Forgot password'."

    assert cache.get_or_call("How do I reset my password?", llm) == "Click 'Forgot password'."
    embedded = encoder.calls
    assert cache.get_or_call("  how do I RESET my password ", llm) == "Click 'Forgot password'."
    assert calls == ["How do I reset my password?"]
    assert encoder.calls == embedded  # the exact path never ran the encoder
    hit = cache.get("HOW DO I RESET MY PASSWORD!")
    assert hit is not None and hit.exact and hit.similarity == 1.0
    assert hit.matched_query == "How do I reset my password?"


def test_semantic_hit_reports_similarity_and_age(cache: SemanticCache) -> None:
    cache.put("reset my password how", "A")
    hit = cache.get("how reset my password")  # same words: cosine 1 under the fake
    assert isinstance(hit, CacheHit)
    assert not hit.exact and hit.similarity == pytest.approx(1.0, abs=1e-5)
    assert hit.age_s >= 0 and hit.lookup_us > 0 and hit.namespace == "default"
    assert cache.get("completely unrelated sentence about whales") is None


def test_threshold_is_literal_and_validated(encoder: FakeEncoder) -> None:
    cache = SemanticCache(encoder=encoder, threshold=0.95)
    cache.put("alpha beta gamma delta", "x")
    vec = encoder.encode("alpha beta gamma epsilon")[0]
    sim = float(vec @ encoder.encode("alpha beta gamma delta")[0])
    assert 0.5 < sim < 0.95
    assert cache.get("alpha beta gamma epsilon") is None
    hit = cache.get("alpha beta gamma epsilon", threshold=sim - 1e-4)
    assert hit is not None and hit.similarity == pytest.approx(sim, abs=1e-5)
    assert cache.get("alpha beta gamma epsilon", threshold=sim + 1e-4) is None
    assert cache.get("unrelated whale", threshold=-1.0) is not None  # -1 admits anything
    for bad in (1.5, -1.01, float("nan"), "0.9", True):
        with pytest.raises(ConfigError):
            SemanticCache(encoder=encoder, threshold=bad)  # type: ignore[arg-type]
        with pytest.raises(ConfigError):
            cache.get("alpha", threshold=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_entries": 0},
        {"max_bytes": -1},
        {"ttl": 0},
        {"ttl": float("inf")},
        {"index": "hnsw"},
    ],
)
def test_bad_options_raise_config_error(encoder: FakeEncoder, kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        SemanticCache(encoder=encoder, **kwargs)  # type: ignore[arg-type]


def test_index_config_validates() -> None:
    with pytest.raises(ConfigError):
        IndexConfig(k=0)
    with pytest.raises(ConfigError):
        IndexConfig(k=16, ef_search=8)


def test_bad_queries_raise_typed_errors_and_leave_cache_intact(cache: SemanticCache) -> None:
    cache.put("kept", "ok")
    for bad in ("", "   \t\n"):
        with pytest.raises(InputError):
            cache.get(bad)
        with pytest.raises(InputError):
            cache.get_or_call(bad, lambda q: "x")
    for bad in (None, b"bytes", 3):
        with pytest.raises(InputTypeError):
            cache.get(bad)  # type: ignore[arg-type]
        with pytest.raises(InputTypeError):
            cache.put(bad, "x")  # type: ignore[arg-type]
    with pytest.raises(InputTypeError):
        cache.put("q", object())
    with pytest.raises(InputTypeError):
        cache.put("q", {"x": float("nan")})
    with pytest.raises(InputTypeError):
        cache.get_or_call("q", "not callable")  # type: ignore[arg-type]
    with pytest.raises(InputTypeError):
        cache.get("kept", namespace=3)  # type: ignore[arg-type]
    assert len(cache) == 1 and cache.get("kept") is not None


def test_long_query_keys_on_the_whole_text(cache: SemanticCache) -> None:
    base = "word " * 2000
    cache.put(base + "one", "1")
    cache.put(base + "two", "2")
    assert cache.get(base + "one").response == "1"  # type: ignore[union-attr]
    assert cache.get(base + "two").response == "2"  # type: ignore[union-attr]


def test_fn_exception_propagates_unchanged_and_nothing_is_stored(cache: SemanticCache) -> None:
    class Boom(Exception):
        pass

    def llm(q: str) -> str:
        raise Boom("rate limited")

    with pytest.raises(Boom, match="rate limited"):
        cache.get_or_call("question", llm)
    assert len(cache) == 0 and cache.get("question") is None


def test_none_is_not_stored_unless_asked(encoder: FakeEncoder) -> None:
    cache = SemanticCache(encoder=encoder)
    assert cache.get_or_call("q one", lambda q: None) is None
    assert len(cache) == 0
    keep = SemanticCache(encoder=encoder, store_none=True)
    assert keep.get_or_call("q one", lambda q: None) is None
    hit = keep.get("q one")
    assert hit is not None and hit.response is None


def test_json_responses_round_trip_and_are_copies(cache: SemanticCache) -> None:
    completion = {"choices": [{"message": {"content": "hi"}}], "usage": {"total_tokens": 5}}
    cache.put("greet me", completion)
    first = cache.get("greet me")
    assert first is not None and first.response == completion
    first.response["choices"].clear()
    second = cache.get("greet me")
    assert second is not None and second.response == completion


class FakeClock:
    """Stands in for the ``time`` module inside ``semroute.cache.cache``: wall time moves on demand."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)  # perf_counter and the rest stay real


def test_ttl_expires_entries_and_they_leave_the_index(
    encoder: FakeEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import semroute.cache.cache as module
    import semroute.cache.writes as writes_module

    clock = FakeClock()
    monkeypatch.setattr(module, "time", clock)  # lookups
    monkeypatch.setattr(writes_module, "time", clock)  # puts
    cache = SemanticCache(encoder=encoder, ttl=0.05)
    cache.put("short lived", "a")
    cache.put("long lived", "b", ttl=60)
    clock.now += 0.049
    assert cache.get("short lived") is not None  # just inside its TTL
    clock.now += 0.002
    assert cache.get("short lived") is None
    assert cache.get("lived short") is None  # semantic path also refuses it
    assert cache.get("long lived") is not None
    assert len(cache) == 1 and cache.stats.expirations == 1
    clock.now += 60
    assert cache.get("long lived") is None


def test_lru_eviction_keeps_recently_used(encoder: FakeEncoder) -> None:
    cache = SemanticCache(encoder=encoder, max_entries=2)
    cache.put("apple", "1")
    cache.put("banana", "2")
    assert cache.get("apple") is not None  # apple is now most recent
    cache.put("cherry", "3")
    assert len(cache) == 2
    assert cache.get("banana") is None
    assert cache.get("apple") is not None and cache.get("cherry") is not None
    assert cache.stats.evictions == 1


def test_max_bytes_caps_and_oversized_entries_are_skipped(encoder: FakeEncoder) -> None:
    cache = SemanticCache(encoder=encoder, max_bytes=3000, max_entries=None)
    for i in range(20):
        cache.put(f"question number {i}", "x" * 100)
        assert cache.stats.bytes <= 3000
    assert 0 < len(cache) < 20
    cache.put("huge", "y" * 5000)
    assert cache.get("huge") is None


def test_replacing_a_query_keeps_one_entry(cache: SemanticCache) -> None:
    cache.put("What is up?", "old")
    cache.put("what is up", "new")
    assert len(cache) == 1
    assert cache.get("WHAT IS UP").response == "new"  # type: ignore[union-attr]


def test_hash_collision_never_serves_another_query(
    cache: SemanticCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    import semroute.cache.code as code_module  # every exact key is computed there

    class Colliding:
        normalize_query = staticmethod(code_module._text.normalize_query)

        @staticmethod
        def query_key(text: str) -> int:
            return 7

    monkeypatch.setattr(code_module, "_text", Colliding)
    cache.put("alpha", "A")
    cache.put("omega", "B")
    alpha = cache.get("alpha", threshold=0.99)
    omega = cache.get("omega", threshold=0.99)
    assert alpha is not None and alpha.response == "A"
    assert omega is not None and omega.response == "B" and omega.exact


def test_namespaces_partition_hits(cache: SemanticCache) -> None:
    cache.put("tell me a joke", "ns-a", namespace="a")
    assert cache.get("tell me a joke", namespace="b", threshold=-1.0) is None
    assert cache.get("tell me a joke", namespace="a").response == "ns-a"  # type: ignore[union-attr]


def test_delete_invalidate_clear(cache: SemanticCache) -> None:
    cache.put("one", "1", namespace="acme/gpt-4o/v1")
    cache.put("two", "2", namespace="acme/gpt-4o/v2")
    cache.put("three", "3", namespace="other")
    assert cache.delete("ONE!", namespace="acme/gpt-4o/v1")
    assert not cache.delete("one", namespace="acme/gpt-4o/v1")
    cache.put("one", "1", namespace="acme/gpt-4o/v1")
    assert cache.invalidate(prefix="acme/") == 2
    assert cache.get("two", namespace="acme/gpt-4o/v2") is None
    assert cache.invalidate("other") == 1
    assert cache.invalidate("missing") == 0
    with pytest.raises(InputError):
        cache.invalidate()
    cache.put("four", "4")
    cache.clear()
    assert len(cache) == 0 and cache.get("four") is None
    cache.put("five", "5")
    assert cache.get("five") is not None


def test_report_wrong_removes_the_serving_entry(cache: SemanticCache) -> None:
    cache.put("is aspirin safe", "yes")
    wrong = cache.report_wrong("safe is aspirin")
    assert wrong is not None and wrong.matched_query == "is aspirin safe"
    assert cache.get("is aspirin safe") is None
    assert cache.report_wrong("is aspirin safe") is None


def test_embedding_argument_is_used_and_validated(
    cache: SemanticCache, encoder: FakeEncoder
) -> None:
    vec = encoder.encode("some text here")[0]
    before = encoder.calls
    cache.put("stored under a given vector", "v", embedding=vec * 3)
    hit = cache.get("another query", embedding=vec)
    assert hit is not None and hit.response == "v"
    assert encoder.calls == before
    with pytest.raises(InputError):
        cache.get("x", embedding=np.ones(3, dtype=np.float32))
    with pytest.raises(InputError):
        cache.get("x", embedding=np.full(encoder.dim, np.nan, dtype=np.float32))
    with pytest.raises(InputError):
        cache.get("x", embedding=np.zeros(encoder.dim, dtype=np.float32))


def test_cached_decorator_sync_and_async(cache: SemanticCache) -> None:
    calls: list[str] = []

    @cache.cached(namespace="faq")
    def ask(question: str) -> str:
        calls.append(question)
        return "42"

    @cache.cached(namespace="faq-async")
    async def aask(question: str) -> str:
        calls.append(question)
        return "43"

    assert ask("meaning of life?") == "42" and ask("Meaning of life") == "42"
    assert asyncio.run(aask("meaning of life?")) == "43"
    assert asyncio.run(aask("life of meaning")) == "43"
    assert calls == ["meaning of life?", "meaning of life?"]
    assert ask.__name__ == "ask"


def test_aget_or_call_hits_and_misses(cache: SemanticCache) -> None:
    async def llm(q: str) -> dict[str, str]:
        return {"answer": q}

    async def main() -> tuple[object, object]:
        first = await cache.aget_or_call("async question", llm, namespace="n")
        second = await cache.aget_or_call("question async", llm, namespace="n")
        return first, second

    first, second = asyncio.run(main())
    assert first == second == {"answer": "async question"}
    assert cache.stats.hits_semantic == 1 and cache.stats.fn_calls == 1


def test_stats_count_hits_misses_and_latency(cache: SemanticCache) -> None:
    cache.get_or_call("alpha", lambda q: "a")
    cache.get_or_call("alpha", lambda q: "a")
    cache.get_or_call("ALPHA!", lambda q: "a")
    stats = cache.stats
    assert (stats.hits_exact, stats.hits_semantic, stats.misses) == (2, 0, 1)
    assert stats.fn_calls == 1 and stats.fn_calls_saved == 2
    assert stats.hit_rate == pytest.approx(2 / 3)
    assert stats.entries == 1 and stats.bytes > 0
    assert 0 < stats.lookup_p50_us <= stats.lookup_p99_us
    cache.reset_stats()
    assert cache.stats.hits == 0 and cache.stats.entries == 1


def test_context_manager_closes(encoder: FakeEncoder) -> None:
    with SemanticCache(encoder=encoder) as cache:
        cache.put("q", "a")
    with pytest.raises(BackendError):
        cache.put("q2", "a")
    with pytest.raises(BackendError):
        cache.get("q")
    cache.close()  # idempotent


def test_graph_index_serves_the_same_answers(encoder: FakeEncoder) -> None:
    cache = SemanticCache(
        encoder=encoder, index=IndexConfig(brute_force_below=8, background_build=False)
    )
    for i in range(40):
        cache.put(f"topic{i} detail{i} item{i}", str(i))
    assert cache._store.namespaces["default"].partition.uses_graph
    for i in range(0, 40, 3):
        assert cache.delete(f"topic{i} detail{i} item{i}")
    for i in range(40):
        hit = cache.get(f"item{i} detail{i} topic{i}")
        if i % 3 == 0:
            assert hit is None
        else:
            assert hit is not None and hit.response == str(i)
