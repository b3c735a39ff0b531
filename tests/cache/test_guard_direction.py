"""The direction guard: the same words swapped across "to", "into", "than"."""

from __future__ import annotations

import pytest

from semroute import SemanticCache
from semroute.cache.guards.api import Guards, guard_reason, guard_signature
from semroute.cache.guards.direction import direction_swapped, relation_sides
from tests.fakes import FakeEncoder

SWAPPED = [
    ("Train times from Milan to Florence", "Train times from Florence to Milan"),
    ("How do I translate French into Portuguese?", "How do I translate Portuguese into French?"),
    ("Is a wolf stronger than a bear?", "Is a bear stronger than a wolf?"),
    (
        "How do I move photos from my phone to my laptop?",
        "How do I move photos from my laptop to my phone?",
    ),
    ("Convert dollars to euros", "Convert euros to dollars"),
]
KEPT = [
    ("Send money to John from my account", "From my account, send money to John"),
    ("Is Python better than Java for beginners?", "For beginners, is Python better than Java?"),
    ("How do I convert dollars to euros?", "What is the way to convert dollars to euros?"),
    ("Flights to Rome", "Cheap flights to Rome"),
]


@pytest.mark.parametrize(("a", "b"), SWAPPED)
def test_swapped_sides_are_refused_as_direction(a: str, b: str) -> None:
    assert direction_swapped(relation_sides(a), relation_sides(b))
    assert guard_reason(a, b) == "direction"
    assert guard_reason(guard_signature(b), guard_signature(a)) == "direction"


@pytest.mark.parametrize(("a", "b"), KEPT)
def test_words_that_stay_on_their_side_pass(a: str, b: str) -> None:
    assert guard_reason(a, b) is None


def test_a_relation_word_used_twice_is_not_judged() -> None:
    # Which "to" pairs with which is not known: no refusal rather than a guess.
    assert relation_sides("How to get to Rome from Milan") == ()


def test_the_guard_can_be_switched_off() -> None:
    a, b = SWAPPED[0]
    assert guard_reason(a, b, Guards(direction=False)) is None
    assert "direction" not in Guards.none().enabled
    assert Guards.none().any is False and Guards(direction=True, numbers=False).any


def test_the_cache_refuses_a_swapped_direction_and_counts_it() -> None:
    # The fake encoder embeds by words: a swap is the same bag, cosine 1.
    cache = SemanticCache(encoder=FakeEncoder())
    cache.put("Train times from Milan to Florence", "timetable M->F")
    assert cache.get("Train times from Florence to Milan") is None
    assert cache.stats.guard_blocks.get("direction") == 1
    unguarded = SemanticCache(encoder=FakeEncoder(), guards=Guards(direction=False))
    unguarded.put("Train times from Milan to Florence", "timetable M->F")
    assert unguarded.get("Train times from Florence to Milan") is not None


def test_long_texts_are_judged_alike_but_not_remembered() -> None:
    from semroute.cache.guards import direction

    context = "The timetable below lists every regional service. " * 12  # > 512 chars
    a, b = context + SWAPPED[0][0], context + SWAPPED[0][1]
    before = direction._cached_sides.cache_info().currsize
    assert direction_swapped(relation_sides(a), relation_sides(b))
    assert direction._cached_sides.cache_info().currsize == before
