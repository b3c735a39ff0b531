"""Router speed: decision latency given the embedding, batch throughput, feature kernel.

pytest benchmarks/router/bench_router.py --benchmark-only --benchmark-group-by=group -s

The latency tests also print p50/p99 over 3,000 timed calls (pytest-benchmark
reports medians, not tails) and store them in ``extra_info``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from benchmarks._sizes import size
from semroute import _routefeat
from semroute.router import features_ref as _routefeat_ref
from semroute.router.router import Router

QUERIES = [
    "What is the capital of Australia?",
    "Prove that the square root of 2 is irrational.",
    "Write a Python function that merges two sorted lists in O(n) time.",
    "A train leaves at 3 pm going 60 mph; another leaves at 4 pm going 80 mph. When does it catch up?",
    "Summarise the main causes of the First World War in three sentences.",
    "hi",
    "Which of the following is NOT a prime number?\nA. 2\nB. 3\nC. 9\nD. 11\nAnswer:",
    "Explain step by step how to compute the eigenvalues of a 3x3 matrix.",
] * 16  # 128 queries


@pytest.fixture(scope="module")
def router() -> Router:
    try:
        from semroute.encoder.encoder import Encoder

        encoder = Encoder(threads=1)
        return Router(encoder=encoder)
    except Exception as exc:  # no shipped model in this checkout
        pytest.skip(f"shipped encoder/router model unavailable: {exc}")


@pytest.fixture(scope="module")
def embeddings(router: Router) -> np.ndarray:
    return router.encoder.encode(QUERIES)


def _tail(fn, n: int = size(3000, 30)) -> dict[str, float]:
    """Wall-clock p50/p99, and the same for this thread's CPU time.

    On a shared, overloaded VM the wall-clock tail is mostly time spent
    descheduled; the CPU-time tail shows what the code itself costs.
    """
    wall, cpu = np.empty(n), np.empty(n)
    for i in range(n):
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        fn(i)
        wall[i] = time.perf_counter_ns() - t0
        cpu[i] = time.thread_time_ns() - c0
    return {
        "p50_us": float(np.percentile(wall, 50)) / 1e3,
        "p99_us": float(np.percentile(wall, 99)) / 1e3,
        "cpu_p50_us": float(np.percentile(cpu, 50)) / 1e3,
        "cpu_p99_us": float(np.percentile(cpu, 99)) / 1e3,
    }


def test_choose_given_embedding(benchmark, router: Router, embeddings: np.ndarray) -> None:
    benchmark.group = "router decision"
    tail = _tail(lambda i: router.choose(QUERIES[i % 128], embedding=embeddings[i % 128]))
    benchmark.extra_info.update(tail)
    print(
        f"\nchoose(q, embedding=vec): wall p50 {tail['p50_us']:.1f} us, p99 {tail['p99_us']:.1f} us; "
        f"thread CPU p50 {tail['cpu_p50_us']:.1f} us, p99 {tail['cpu_p99_us']:.1f} us"
    )
    d = benchmark(router.choose, QUERIES[1], embedding=embeddings[1])
    assert 0.0 <= d.score <= 1.0


def test_choose_with_encoding(benchmark, router: Router) -> None:
    benchmark.group = "router decision"
    encoder = router.encoder
    # A fresh text each call: the encoder's own LRU would otherwise skip the model.
    counter = iter(range(10**9))

    def call() -> None:
        router.choose(f"{QUERIES[3]} ({next(counter)})")

    tail = _tail(lambda i: call(), n=size(300, 10))
    enc = _tail(lambda i: encoder.encode(f"{QUERIES[3]} [{i}]"), n=size(300, 10))
    benchmark.extra_info.update(
        {**tail, "encode_p50_us": enc["p50_us"], "encode_p99_us": enc["p99_us"]}
    )
    print(
        f"\nchoose(q) incl. encoding: p50 {tail['p50_us']:.0f} us, p99 {tail['p99_us']:.0f} us; "
        f"encode alone p50 {enc['p50_us']:.0f} us, p99 {enc['p99_us']:.0f} us"
    )
    benchmark.pedantic(call, rounds=size(50, 5), iterations=1)


def test_choose_many_128(benchmark, router: Router, embeddings: np.ndarray) -> None:
    benchmark.group = "router batch (128 queries)"
    out = benchmark(router.choose_many, QUERIES, embeddings=embeddings)
    assert len(out) == len(QUERIES)


FEATURES = {"native": _routefeat.text_features, "reference": _routefeat_ref.text_features}
CUES = _routefeat_ref.cue_table()


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_route_features_128(benchmark, impl: str) -> None:
    benchmark.group = "route features, 128 queries"
    out = benchmark(FEATURES[impl], QUERIES, *CUES)
    np.testing.assert_array_equal(out, _routefeat_ref.text_features(QUERIES, *CUES))


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_route_features_one(benchmark, impl: str) -> None:
    benchmark.group = "route features, one query"
    out = benchmark(FEATURES[impl], QUERIES[3:4], *CUES)
    assert out.shape == (1, _routefeat_ref.N_FEATURES)


LONG_PARAGRAPH = (
    "The following passage describes a contract dispute between a supplier and a retailer "
    "over late deliveries, penalty clauses and the limits of liability agreed in 2019. "
) * 40  # about 1,200 word pieces, like the long RouterArena prompts


@pytest.mark.parametrize("route_tokens", [64, 254])
def test_choose_many_long_prompts(benchmark, router: Router, route_tokens: int) -> None:
    """32 fresh long prompts per call: the router's cap (64) against no cap (254, the encoder's)."""
    benchmark.group = "router choose_many, 32 long prompts incl. encoding"
    capped = Router(encoder=router.encoder, route_tokens=route_tokens)
    counter = iter(range(10**9))

    def call() -> None:
        # The counter leads each prompt so the encoder's LRU never answers.
        k = next(counter)
        capped.choose_many([f"Case {k}-{j}: {LONG_PARAGRAPH}" for j in range(32)])

    benchmark.pedantic(call, rounds=size(5, 1), iterations=1, warmup_rounds=1)
