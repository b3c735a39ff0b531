"""Pruning kernels, native against their numpy twins, and whole-prune cost per 1,000 tokens.

pytest benchmarks/pruning/bench_prune.py --benchmark-only --benchmark-group-by=group

Inputs are synthetic (seeded) so no data set is needed; the whole-prune rows
use the fake bag-of-words encoder with its rows memoised, timing everything
except the model (the model's share is measured by
benchmarks/pruning/prune_squad.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from semroute import _prunecore
from semroute.pruning import core_ref as _prunecore_ref
from semroute.pruning.prune import Pruner
from tests.fakes import FakeEncoder

IMPLS = {"native": _prunecore, "reference": _prunecore_ref}
N_TOKENS = 5000  # about one SQuAD article
N_UNITS = 180
N_TERMS = 1500


def _corpus():
    rng = np.random.default_rng(0)
    # Zipf-like term frequencies, as in text.
    term_ids = np.minimum(rng.zipf(1.3, N_TOKENS) - 1, N_TERMS - 1).astype(np.int32)
    cuts = np.sort(rng.choice(np.arange(1, N_TOKENS), N_UNITS - 1, replace=False))
    bounds = np.concatenate([[0], cuts, [N_TOKENS]]).astype(np.int64)
    query = rng.choice(N_TERMS // 4, 8, replace=False).astype(np.int32)
    return term_ids, bounds, query


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_bm25_scores(benchmark, impl: str) -> None:
    benchmark.group = f"bm25_scores {N_TOKENS} tokens, {N_UNITS} units, 8 query terms"
    term_ids, bounds, query = _corpus()
    out = benchmark(IMPLS[impl].bm25_scores, term_ids, bounds, query, N_TERMS, 1.2, 0.75)
    want = _prunecore_ref.bm25_scores(term_ids, bounds, query, N_TERMS, 1.2, 0.75)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_select_units(benchmark, impl: str) -> None:
    benchmark.group = f"select_units {N_UNITS} units"
    rng = np.random.default_rng(1)
    scores = rng.standard_normal(N_UNITS).astype(np.float32)
    costs = rng.integers(5, 60, N_UNITS).astype(np.int32)
    forced = (rng.random(N_UNITS) < 0.02).astype(np.uint8)
    out = benchmark(IMPLS[impl].select_units, scores, costs, forced, int(costs.sum() // 4))
    np.testing.assert_array_equal(
        out, _prunecore_ref.select_units(scores, costs, forced, int(costs.sum() // 4))
    )


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_drop_tokens(benchmark, impl: str) -> None:
    benchmark.group = f"drop_tokens {N_TOKENS} tokens"
    rng = np.random.default_rng(2)
    term_ids, _, _ = _corpus()
    costs = rng.integers(1, 3, N_TOKENS).astype(np.int32)
    weights = rng.choice([1.0, 2.0, 3.0], N_TOKENS).astype(np.float32)
    droppable = (rng.random(N_TOKENS) < 0.3).astype(np.uint8)
    stop = (np.arange(N_TERMS) < 40).astype(np.uint8)
    args = (term_ids, N_TERMS, costs, weights, droppable, stop, 0.25, 300)
    out = benchmark(IMPLS[impl].drop_tokens, *args)
    np.testing.assert_array_equal(out, _prunecore_ref.drop_tokens(*args))


class _MemoEncoder(FakeEncoder):
    """The fake encoder with every row remembered: encoding costs a dict lookup."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, np.ndarray] = {}

    def encode(self, texts):  # type: ignore[no-untyped-def]
        batch = [texts] if isinstance(texts, str) else list(texts)
        missing = [t for t in batch if t not in self.rows]
        if missing:
            self.rows.update(zip(missing, super().encode(missing), strict=True))
        return np.stack([self.rows[t] for t in batch])


def _article() -> str:
    rng = np.random.default_rng(3)
    vocab = [f"word{i}" for i in range(1200)] + ["the", "of", "and", "in", "a", "was"] * 40
    names = ["Normandy", "Rollo", "Paris", "1066", "William", "10th"]
    sentences = []
    for _ in range(220):
        words = list(rng.choice(vocab, rng.integers(8, 30)))
        words[rng.integers(len(words))] = str(rng.choice(names))
        sentences.append(" ".join(words).capitalize() + ".")
    paragraphs = [" ".join(sentences[i : i + 6]) for i in range(0, len(sentences), 6)]
    return "\n\n".join(paragraphs)


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_prune_article_without_the_model(benchmark, impl: str) -> None:
    article = _article()
    pruner = Pruner(encoder=_MemoEncoder())
    pruner._core = IMPLS[impl]
    query = "What did William do in Normandy in 1066 word17 word230?"
    first = pruner.prune(article, query=query, ratio=0.25)  # warms the piece cache
    per_k = 1000.0 / first.original_tokens
    benchmark.group = f"prune one {first.original_tokens}-token article to 25 % (fake encoder); x{per_k:.3f} for per-1k"
    r = benchmark(pruner.prune, article, query=query, ratio=0.25)
    assert r.text == first.text
