"""SemanticCache costs outside the encoder, and the native core against its numpy twin.

pytest benchmarks/cache/bench_cache.py --benchmark-only --benchmark-group-by=group

Vectors are random unit vectors (the encoder is stubbed: a dict lookup), so
these time the cache alone; figures at 100k / 1M entries and on real
embeddings come from ``benchmarks/cache/cache_scale.py``. Set
``SEMROUTE_BENCH_N`` to change the default 10k entries (2k under
``SEMROUTE_BENCH_QUICK=1``, the CI smoke).
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from benchmarks._sizes import size
from semroute import _cachecore
from semroute.cache import core_ref as _cache_ref
from semroute.cache.cache import SemanticCache
from semroute.cache.config import IndexConfig
from semroute.cache.guards.api import Guards

N = int(os.environ.get("SEMROUTE_BENCH_N", str(size(10_000, 2000))))
CAP = size(5000, 500)  # put benchmark: max_entries, so eviction runs
DIM = 384
CORE = {"native": _cachecore, "reference": _cache_ref}


class StubEncoder:
    """Returns precomputed vectors: the benchmark times the cache, not a model."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors
        self.dim = DIM
        self.model_id = "stub"

    def encode(self, texts: str | list[str]) -> np.ndarray:
        batch = [texts] if isinstance(texts, str) else texts
        return np.stack([self.vectors[t] for t in batch])

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(t.split()) for t in texts]


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def near(rng: np.random.Generator, v: np.ndarray, cos: float = 0.97) -> np.ndarray:
    noise = unit(rng, v.shape[0])
    noise -= (noise * v).sum(axis=1, keepdims=True) * v
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    return (cos * v + np.sqrt(1 - cos**2) * noise).astype(np.float32)


def filled_cache(n: int, *, brute_force_below: int) -> tuple[SemanticCache, list[str], np.ndarray]:
    rng = np.random.default_rng(0)
    vectors = unit(rng, n)
    queries = [f"stored question {i}" for i in range(n)]
    probes = near(rng, vectors[:256])
    encoder = StubEncoder({q: v for q, v in zip(queries, vectors, strict=True)})
    cache = SemanticCache(
        encoder=encoder,
        max_entries=None,
        index=IndexConfig(brute_force_below=brute_force_below, background_build=False),
    )
    for q, v in zip(queries, vectors, strict=True):
        cache.put(q, "answer " + q, embedding=v)
    return cache, queries, probes


@pytest.fixture(scope="module", params=["exact", "hnsw"])
def filled(request: pytest.FixtureRequest) -> tuple[str, SemanticCache, list[str], np.ndarray]:
    below = N + 1 if request.param == "exact" else 1024
    return (request.param, *filled_cache(N, brute_force_below=below))


@pytest.mark.parametrize("guards", ["guards on", "guards off"])
def test_semantic_lookup(benchmark, filled, guards: str) -> None:  # type: ignore[no-untyped-def]
    kind, cache, _, probes = filled
    benchmark.group = f"semantic lookup, encoder excluded, {N} entries"
    benchmark.name = f"{kind}, {guards}"
    chosen = Guards() if guards == "guards on" else Guards.none()
    # Probe j is near stored question j and says the same number: the guards check
    # the candidate (query and candidate signatures) and let it through.
    texts = [f"the stored question {j}" for j in range(len(probes))]
    i = iter(range(10**9))

    def lookup() -> object:
        j = next(i) % len(probes)
        return cache.get(texts[j], embedding=probes[j], guards=chosen)

    hit = benchmark(lookup)
    assert hit is not None and hit.similarity > 0.95


def test_exact_repeat_lookup(benchmark, filled) -> None:  # type: ignore[no-untyped-def]
    kind, cache, _, _ = filled
    if kind != "hnsw":
        pytest.skip("the exact path does not touch the index")
    benchmark.group = "exact-repeat lookup (no encoder)"
    hit = benchmark(cache.get, "  STORED question 1234?")
    assert hit is not None and hit.exact


def test_exact_repeat_dict_peer(benchmark, filled) -> None:  # type: ignore[no-untyped-def]
    """The peer a user writes by hand: a dict keyed by lower-cased, whitespace-collapsed text.

    Same group as ``test_exact_repeat_lookup`` so the ratio is read off one run. The dict does
    less (no trailing-punctuation folding, namespaces, TTL, LRU, stats or persistence).
    """
    kind, _, queries, _ = filled
    if kind != "hnsw":
        pytest.skip("one peer row is enough")
    benchmark.group = "exact-repeat lookup (no encoder)"
    answers = {" ".join(q.lower().split()): "answer " + q for q in queries}

    def lookup(query: str) -> str | None:
        return answers.get(" ".join(query.lower().split()).rstrip("?"))

    assert benchmark(lookup, "  STORED question 1234?") == "answer stored question 1234"


def test_put_throughput(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"put (memory, max_entries={CAP} so eviction runs)"
    rng = np.random.default_rng(1)
    vectors = unit(rng, 4 * CAP)
    cache = SemanticCache(encoder=StubEncoder({}), max_entries=CAP)
    i = iter(range(10**9))

    def put() -> None:
        k = next(i)
        cache.put(f"q {k}", "a", embedding=vectors[k % len(vectors)])

    benchmark.pedantic(put, rounds=3 * CAP, iterations=1)
    assert len(cache) == min(CAP, next(i))  # --benchmark-disable runs put once


def test_get_or_call_hit_and_miss(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "get_or_call with stub fn and stub encoder"
    rng = np.random.default_rng(2)
    half = size(2000, 200)
    vectors = unit(rng, 2 * half)
    queries = [f"question {i}" for i in range(2 * half)]
    encoder = StubEncoder(dict(zip(queries, vectors, strict=True)))
    cache = SemanticCache(encoder=encoder)
    for q in queries[:half]:
        cache.get_or_call(q, lambda q: "answer")
    i = iter(range(10**9))

    def mixed() -> object:
        # even rounds hit (stored), odd rounds miss (new query)
        k = next(i)
        q = queries[(k // 2) % half] if k % 2 == 0 else queries[half + (k // 2) % half]
        return cache.get_or_call(q, lambda q: "answer")

    benchmark.pedantic(mixed, rounds=2 * half, iterations=1)


def test_single_flight_32_threads(benchmark) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "single-flight: 32 threads, one miss, fn sleeps 10 ms"
    rng = np.random.default_rng(3)

    def run() -> int:
        vector = unit(rng, 1)[0]
        cache = SemanticCache(encoder=StubEncoder({"same?": vector}))
        calls = []
        barrier = threading.Barrier(32)

        def fn(q: str) -> str:
            calls.append(q)
            time.sleep(0.01)
            return "a"

        def worker() -> None:
            barrier.wait()
            cache.get_or_call("same?", fn)

        threads = [threading.Thread(target=worker) for _ in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return len(calls)

    assert benchmark.pedantic(run, rounds=20, iterations=1) == 1


# -- native core against its numpy twin ---------------------------------------------------


def slot_table(cap: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(4)
    alive = (rng.random(cap) < 0.9).astype(np.uint8)
    expires = np.where(rng.random(cap) < 0.1, 1.0, np.inf)
    ns_ids = rng.integers(0, 3, cap).astype(np.int32)
    stamps = rng.permutation(cap).astype(np.int64)
    return alive, expires, ns_ids, stamps


@pytest.mark.parametrize("k", [8, 4096], ids=["k=8 (HNSW candidates)", "k=4096 (exact partition)"])
@pytest.mark.parametrize("impl", ["native", "reference"])
def test_pick_candidate(benchmark, impl: str, k: int) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"pick_candidate over {k} candidates"
    alive, expires, ns_ids, _ = slot_table(100_000)
    rng = np.random.default_rng(5)
    slots = rng.integers(0, 100_000, k).astype(np.int64)
    sims = rng.random(k).astype(np.float32)
    out = benchmark(CORE[impl].pick_candidate, slots, sims, alive, expires, ns_ids, 1, 2.0, 0.5)
    assert out == _cache_ref.pick_candidate(slots, sims, alive, expires, ns_ids, 1, 2.0, 0.5)


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_best_row(benchmark, impl: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "best_row: exact scan of a 2048-entry partition (BLAS matvec + pick vs fused)"
    alive, _, ns_ids, _ = slot_table(2048)
    matrix = unit(np.random.default_rng(6), 2048)
    vector = matrix[7].copy()
    slots = np.arange(2048, dtype=np.int64)
    args = (matrix, vector, slots, alive, np.full(2048, np.inf), ns_ids, int(ns_ids[7]), 0.0, 0.5)
    out = benchmark(CORE[impl].best_row, *args)
    assert out[0] == (7 if alive[7] else -1)


@pytest.mark.parametrize("k", [8, 4096], ids=["k=8 (HNSW candidates)", "k=4096 (exact partition)"])
@pytest.mark.parametrize("impl", ["native", "reference"])
def test_rank_candidates(benchmark, impl: str, k: int) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"rank_candidates over {k} candidates (after a refused best)"
    alive, expires, ns_ids, _ = slot_table(100_000)
    rng = np.random.default_rng(5)
    slots = rng.integers(0, 100_000, k).astype(np.int64)
    sims = rng.random(k).astype(np.float32)
    args = (slots, sims, alive, expires, ns_ids, 1, 2.0, 0.95)
    out = benchmark(CORE[impl].rank_candidates, *args)
    np.testing.assert_array_equal(out[0], _cache_ref.rank_candidates(*args)[0])


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_rank_rows(benchmark, impl: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "rank_rows: exact scan of a 2048-entry partition, all above 0.5 ranked"
    alive, _, ns_ids, _ = slot_table(2048)
    matrix = unit(np.random.default_rng(6), 2048)
    vector = matrix[7].copy()
    slots = np.arange(2048, dtype=np.int64)
    args = (matrix, vector, slots, alive, np.full(2048, np.inf), ns_ids, int(ns_ids[7]), 0.0, 0.5)
    out = benchmark(CORE[impl].rank_rows, *args)
    assert (out[0][0] if out[0].size else -1) == (7 if alive[7] else -1)


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_lru_victim(benchmark, impl: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = "lru_victims: 1 of 100k slots (one eviction per put at the cap)"
    alive, _, _, stamps = slot_table(100_000)
    out = benchmark(CORE[impl].lru_victims, stamps, alive, 1)
    np.testing.assert_array_equal(out, _cache_ref.lru_victims(stamps, alive, 1))
