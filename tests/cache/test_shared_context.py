"""Prompts sharing a long context are judged on the sentences that differ (cache/shared_context)."""

from __future__ import annotations

import asyncio

import pytest

from semroute.cache.cache import SemanticCache
from semroute.cache.guards.api import Guards
from semroute.cache.lookup import _shared_context_reason
from semroute.cache.shared_context import SHARED_MIN_WORDS, differing_parts
from tests.fakes import FakeEncoder

CONTEXT = (
    "Refunds are accepted within 30 days of purchase. Items must be unused and in their "
    "original box. Shipping costs are not refunded."
)


def test_context_before_the_question() -> None:
    assert differing_parts(
        f"{CONTEXT} Can I return shoes?", f"{CONTEXT} How long is shipping?"
    ) == (
        "Can I return shoes?",
        "How long is shipping?",
    )


def test_context_after_the_question_and_on_its_own_lines() -> None:
    ours = f"Question: can I return shoes?\n\n{CONTEXT}"
    theirs = f"Question: how long is shipping?\n{CONTEXT}"
    assert differing_parts(ours, theirs) == ("can I return shoes?", "how long is shipping?")


def test_an_added_instruction_leaves_one_side_empty() -> None:
    assert differing_parts(
        f"{CONTEXT} Can I return shoes?", f"{CONTEXT} Can I return shoes? Answer in French."
    ) == (
        "",
        "Answer in French.",
    )


def test_same_sentences_up_to_case_and_spacing_differ_in_nothing() -> None:
    assert differing_parts(
        f"{CONTEXT} Can I return shoes?", f"{CONTEXT.upper()}   can I return shoes"
    ) == ("", "")


def test_short_or_unrelated_texts_are_compared_whole() -> None:
    assert differing_parts("How do I reset my password?", "How can I reset my password?") is None
    long_a = "word " * (SHARED_MIN_WORDS + 5) + "first."
    long_b = "other " * (SHARED_MIN_WORDS + 5) + "second."
    assert differing_parts(long_a, long_b) is None


def test_shared_words_below_the_minimum_do_not_apply() -> None:
    short_shared = "See the note."  # 3 shared words
    ours = f"{short_shared} " + "alpha " * SHARED_MIN_WORDS + "one?"
    theirs = f"{short_shared} " + "beta " * SHARED_MIN_WORDS + "two?"
    assert differing_parts(ours, theirs) is None


def test_shared_start_and_end_count_together() -> None:
    half = " ".join(["context"] * (SHARED_MIN_WORDS // 2)) + "."
    ours = f"{half} Is it open on Sunday? {half}"
    theirs = f"{half} Is it closed on Monday? {half}"
    assert differing_parts(ours, theirs) == ("Is it open on Sunday?", "Is it closed on Monday?")


# -- in the cache ------------------------------------------------------------------------

QUESTION = "Can I get my money back for shoes I bought?"
POLICY = " ".join(
    [CONTEXT]
    + [
        f"Store {n} opens at {n + 7} in the morning and closes at {n + 5} at night."
        for n in range(4)
    ]
)


@pytest.fixture
def cache() -> SemanticCache:
    # 0.8 so that, without the rule, the shared context alone would make the hits below.
    return SemanticCache(encoder=FakeEncoder(), threshold=0.8)


def test_premise_the_shared_context_alone_embeds_above_the_threshold() -> None:
    a, b = FakeEncoder().encode([f"{POLICY} {QUESTION}", f"{POLICY} How long is shipping?"])
    assert float(a @ b) >= 0.8


def test_same_context_with_another_question_is_a_miss(cache: SemanticCache) -> None:
    cache.put(f"{POLICY} {QUESTION}", "yes, within 30 days")
    answer = cache.get_or_call(f"{POLICY} How long is shipping?", lambda q: "3 days")
    assert answer == "3 days"
    assert cache.stats.shared_context_refusals == 1 and len(cache) == 2


def test_same_context_with_the_question_reworded_is_still_a_hit(cache: SemanticCache) -> None:
    cache.put(f"{POLICY} {QUESTION}", "yes, within 30 days")
    # The fake embeds bags of words: the same words reordered embed identically.
    hit = cache.get(f"{POLICY} For shoes I bought, can I get my money back?")
    assert hit is not None and hit.response == "yes, within 30 days"
    assert cache.stats.shared_context_refusals == 0


def test_an_added_instruction_is_a_miss(cache: SemanticCache) -> None:
    cache.put(f"{POLICY} {QUESTION}", "yes, within 30 days")
    assert cache.get(f"{POLICY} {QUESTION} Answer in French.") is None
    assert cache.stats.shared_context_refusals == 1


def test_the_next_candidate_is_tried_after_a_refusal(cache: SemanticCache) -> None:
    cache.put(f"{POLICY} How long is shipping?", "3 days")
    cache.put(f"{POLICY} {QUESTION}", "yes, within 30 days")
    hit = cache.get(f"{POLICY} For shoes I bought, can I get my money back?")
    assert hit is not None and hit.response == "yes, within 30 days"


def test_the_async_path_decides_the_same(cache: SemanticCache) -> None:
    async def three_days(q: str) -> str:
        return "3 days"

    cache.put(f"{POLICY} {QUESTION}", "yes, within 30 days")
    served = asyncio.run(cache.aserve(f"{POLICY} How long is shipping?", three_days))
    assert served.response == "3 days" and served.hit is None
    assert cache.stats.shared_context_refusals == 1


def test_the_verifier_is_asked_only_after_the_parts_match() -> None:
    asked: list[str] = []

    def verify(query: str, cached_query: str, response: object) -> bool:
        asked.append(query)
        return True

    cache = SemanticCache(encoder=FakeEncoder(), threshold=0.8, verify=verify)
    cache.put(f"{POLICY} {QUESTION}", "yes, within 30 days")
    assert cache.get(f"{POLICY} How long is shipping?") is None
    assert asked == []
    assert cache.get(f"{POLICY} For shoes I bought, can I get my money back?") is not None
    assert len(asked) == 1


def test_the_parts_are_guarded_too() -> None:
    parts = ("Can I return 2 pairs?", "Can I return 3 pairs?")
    assert _shared_context_reason(parts, Guards()) == "guards"
    assert _shared_context_reason(parts, Guards.none()) is None
