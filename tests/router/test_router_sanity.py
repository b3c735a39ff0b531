"""The shipped router ranks everyday queries below genuinely hard ones (real encoder).

The development data (MMLU, RouterArena) holds almost no FAQ or support
traffic; these checks guard the written easy/hard examples the default model
is trained with. The queries here are not in the training templates.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from semroute.errors import ConfigError
from semroute.router.router import Router

pytestmark = pytest.mark.integration

SANITY = Path(__file__).parent / "data" / "router_sanity.jsonl"

OBVIOUS_HARD = [
    "Prove that there are infinitely many primes, then bound the gap between consecutive ones.",
    "Debug this Python: my function mutates a default list argument and results leak between "
    "calls. Explain why and fix it.",
    "A tank holds 240 litres, leaks 3 litres an hour and is refilled at 8 litres an hour for "
    "the first 10 hours, then 5 an hour. When is it full? Show each step.",
    "Write a Go function that merges k sorted slices in O(n log k) and explain the complexity.",
]
OBVIOUS_EASY = [
    "What are your opening hours?",
    "How do I change my email address?",
    "Do you deliver on weekends?",
    "Can I get a receipt for my purchase?",
]


@pytest.fixture(scope="module")
def router() -> Router:
    try:
        from semroute.encoder.encoder import Encoder

        return Router(encoder=Encoder(threads=1))
    except ConfigError as exc:
        pytest.skip(f"shipped router model unavailable: {exc}")
    except Exception as exc:
        pytest.skip(f"shipped encoder unavailable: {exc}")


def test_obvious_hard_queries_outscore_obvious_faqs(router: Router) -> None:
    hard = router.scores(OBVIOUS_HARD)
    easy = router.scores(OBVIOUS_EASY)
    # The model shipped before the written examples: means 0.228 vs 0.188, and the
    # proof scored below every FAQ. This one: 0.265 vs 0.146.
    assert hard.mean() > easy.mean() + 0.08, (hard.round(3), easy.round(3))
    assert hard.min() > easy.max(), (hard.round(3), easy.round(3))


def test_sanity_set_ranks_hard_above_easy(router: Router) -> None:
    rows = [json.loads(line) for line in SANITY.read_text(encoding="utf-8").splitlines() if line]
    hard = np.array([r["hard"] for r in rows]) == 1
    scores = router.scores([r["query"] for r in rows])
    auc = (scores[hard][:, None] > scores[~hard][None, :]).mean()
    assert auc > 0.9  # 0.975 for the model shipped with this test, 0.69 for the one before
    # At the default cut (lowered in issue 17 so plainly hard prompts go strong) at most
    # 5 % of these everyday queries go to the strong tier (1/60 measured).
    easy_scores = scores[~hard]
    assert (easy_scores >= router.thresholds[0]).mean() <= 0.05, easy_scores.max()


def _held_out_decisions(router: Router) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from semroute.router.data import load_sanity_set

    _, held = load_sanity_set()
    hard = np.array([r.hard for r in held]) == 1
    strong = np.array([d.tier_index == 1 for d in router.choose_many([r.query for r in held])])
    return hard, strong, [r.query for r in held]


def test_default_cut_sends_plainly_hard_prompts_strong(router: Router) -> None:
    """Issue 17: >= 90 % of the held-out third's plainly hard prompts go strong (55/55 measured)."""
    hard, strong, queries = _held_out_decisions(router)
    assert hard.sum() >= 50
    missed = [q for q, s, h in zip(queries, strong, hard, strict=True) if h and not s]
    assert strong[hard].mean() >= 0.90, missed


def test_default_cut_keeps_plainly_easy_prompts_cheap(router: Router) -> None:
    """Issue 17: <= 5 % of the held-out third's plainly easy prompts go strong."""
    hard, strong, queries = _held_out_decisions(router)
    assert (~hard).sum() >= 50
    sent = [q for q, s, h in zip(queries, strong, hard, strict=True) if s and not h]
    assert strong[~hard].mean() <= 0.05, sent


# Written for this test, after the model was trained: in none of the training templates.
SHORT_TECHNICAL_EASY = [
    "What is 15 % of 80?",
    "How do I reverse a list in Python?",
    "What does HTTP stand for?",
    "Convert 5 miles to kilometres.",
    "What is the chemical formula for table salt?",
    "Is 17 a prime number?",
    "What is a mortgage?",
    "How many sides does a hexagon have?",
]
TECHNICAL_HARD = [
    "Prove that every finite integral domain is a field.",
    "Write a Rust function that parses ISO 8601 durations without a library, with tests.",
    "Derive the variance of the maximum likelihood estimator for an exponential distribution "
    "and show it is efficient.",
    "Explain how you would shard a 20 TB Postgres database with minimal downtime, step by step.",
]


def test_short_technical_lookups_rank_below_hard_technical_tasks(router: Router) -> None:
    """Digits or a technical word alone must not lift an easy question above real work.

    Measured: easy 0.085-0.176, hard 0.236-0.381 (default cut 0.174: "Convert 5 miles to
    kilometres." sits just above it, the other seven below). The model shipped before the
    written technical easy rows and the length prior sent 2 of the 8 up (cut 0.272), so the
    last assertion fails on it; the margin is thin, which notes/router.md says.
    """
    easy = router.scores(SHORT_TECHNICAL_EASY)
    hard = router.scores(TECHNICAL_HARD)
    assert hard.min() > easy.max(), (hard.round(3), easy.round(3))
    assert (hard >= router.thresholds[0]).all(), hard.round(3)
    assert (easy >= router.thresholds[0]).sum() <= 1, easy.round(3)


def test_reasons_name_the_deciding_signals(router: Router) -> None:
    proof = router.choose("Prove that the square root of 2 is irrational")
    assert proof.model == "gpt-4o" and "proof or reasoning request" in proof.reason, proof.reason
    faq = router.choose("What are your opening hours?")
    assert faq.model == "gpt-4o-mini", faq.reason
    assert "plain wording" in faq.reason or "short prompt" in faq.reason, faq.reason
