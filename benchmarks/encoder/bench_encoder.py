"""The shipped encoder's speed: single queries, batches, and the tokenizer's share.

pytest benchmarks/encoder/bench_encoder.py --benchmark-only --benchmark-group-by=group \
    --benchmark-columns=min,median,max,mean,rounds

Single-query figures are end to end (tokenise + onnxruntime + pool) with the
LRU disabled, so every round runs the model. Batch groups report the time of
one call; sentences/s = batch size / median (also stored in extra_info).
fp32 against int8 by input length (8-256 tokens), single and batched, with
interleaved rounds: benchmarks/encoder/encoder_speed.py.
"""

from __future__ import annotations

import pytest

from benchmarks._sizes import size
from semroute import Encoder

QUESTION = "How do I reset my password if I no longer have access to the email on my account?"
TOPICS = [
    "reset a forgotten password",
    "the capital city of Australia",
    "cheap flights from Lisbon to Oslo in March",
    "why sourdough bread needs a starter",
    "the difference between a process and a thread",
    "renewing a passport before it expires",
    "how vaccines train the immune system",
    "choosing a laptop for data science work",
]


def batch_of(n: int) -> list[str]:
    # Varied lengths (8-30 words) so length bucketing has something to do.
    return [
        f"Question {i}: what should I know about {TOPICS[i % len(TOPICS)]}"
        + " and related details" * (i % 6)
        + "?"
        for i in range(n)
    ]


@pytest.fixture(scope="module", params=[1, 2], ids=lambda t: f"threads={t}")
def encoder(request: pytest.FixtureRequest) -> Encoder:
    return Encoder(threads=request.param, cache_size=0)


def test_single_query(benchmark, encoder: Encoder) -> None:
    benchmark.group = "encode one 17-word question (tokenise + run + pool)"
    vectors = benchmark(encoder.encode, QUESTION)
    assert vectors.shape == (1, encoder.dim)


def test_single_query_lru_hit(benchmark) -> None:
    benchmark.group = "encode one question, LRU hit"
    encoder = Encoder(threads=1)
    encoder.encode(QUESTION)
    vectors = benchmark(encoder.encode, QUESTION)
    assert vectors.shape == (1, encoder.dim)


@pytest.mark.parametrize("n", size([32, 128], [8]))
def test_batch(benchmark, encoder: Encoder, n: int) -> None:
    benchmark.group = f"encode a batch of {n}"
    texts = batch_of(n)
    vectors = benchmark.pedantic(encoder.encode, (texts,), rounds=8, warmup_rounds=1)
    if benchmark.stats is not None:  # None under --benchmark-disable
        benchmark.extra_info["sentences_per_s"] = n / benchmark.stats.stats.median
    assert vectors.shape == (n, encoder.dim)


@pytest.mark.parametrize("threads", [1, 2])
def test_single_query_int8(benchmark, threads: int) -> None:
    """The shipped opt-in int8 graph (``Encoder(precision="int8")``), beside fp32."""
    benchmark.group = "encode one 17-word question (tokenise + run + pool)"
    encoder = Encoder(precision="int8", threads=threads, cache_size=0)
    vectors = benchmark(encoder.encode, QUESTION)
    assert vectors.shape == (1, encoder.dim)


def test_tokenize_single(benchmark) -> None:
    benchmark.group = "tokenise one 17-word question (share of single-query time)"
    tokenizer = Encoder(threads=1).tokenizer
    encoding = benchmark(tokenizer.encode, QUESTION)
    assert 15 <= len(encoding.ids) <= 40


def test_tokenize_batch(benchmark) -> None:
    n = size(32, 8)
    benchmark.group = f"tokenise a batch of {n}"
    tokenizer = Encoder(threads=1).tokenizer
    encodings = benchmark(tokenizer.encode_batch, batch_of(n))
    assert len(encodings) == n
