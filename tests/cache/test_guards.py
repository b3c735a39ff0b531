"""Hit guards: adversarial near-misses are refused, true paraphrases are not."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from semroute.cache.guards.api import Guards, GuardSignature, guard_reason, guard_signature
from semroute.errors import ConfigError, InputTypeError

BLOCKED = [
    # numbers, written numbers, dates, versions, units, currency
    ("convert 5 km to miles", "convert 8 km to miles", "numbers"),
    ("convert 5 km to miles", "convert 5 miles to km", "numbers"),
    ("What is 12 times 7?", "What is 12 times 8?", "numbers"),
    ("I am five years old", "I am six years old", "numbers"),
    ("book a table for two", "book a table for four", "numbers"),
    ("What changed in Python 3.11?", "What changed in Python 3.12?", "numbers"),
    ("events on 2024-03-01", "events on 2024-03-02", "numbers"),
    ("Is a 5 minute walk enough?", "Is a 5 hour walk enough?", "numbers"),
    ("price of a $20 ticket", "price of a 20 euro ticket", "numbers"),
    ("Who won the 2018 World Cup?", "Who won the 2022 World Cup?", "numbers"),
    ("Who was the first president?", "Who was the second president?", "numbers"),
    ("flights under 300 dollars", "flights under 3000 dollars", "numbers"),
    ("Give me 10 tips", "Give me tips", "numbers"),
    # negation
    ("Is ibuprofen safe during pregnancy?", "Is ibuprofen not safe during pregnancy?", "negation"),
    (
        "Can I drink coffee before a blood test?",
        "Can't I drink coffee before a blood test?",
        "negation",
    ),
    ("I can log in", "I cannot log in", "negation"),
    ("Why does my phone charge?", "Why doesnt my phone charge?", "negation"),
    ("Should I ever reuse passwords?", "Should I never reuse passwords?", "negation"),
    ("How to bake bread with yeast", "How to bake bread without yeast", "negation"),
    ("A man is playing a guitar", "No man is playing a guitar", "negation"),
    ("There is sugar in this recipe", "There is no sugar in this recipe", "negation"),
    ("He won’t come", "He will come", "negation"),
    ("Is the coffee shop open?", "The coffee shop is not open?", "negation"),
    # opposite pairs, each side using one side of the pair
    ("Which book is on the top shelf?", "Which book is on the bottom shelf?", "opposites"),
    ("A dog is jumping into the pool", "A dog is jumping out of the pool", "opposites"),
    ("Where can I buy used bikes?", "Where can I sell used bikes?", "opposites"),
    ("How do I turn on dark mode?", "How do I turn off dark mode?", "opposites"),
    ("Is the battery life long?", "Is the battery life short?", "opposites"),
    ("Why is the sky darker before sunrise?", "Why is the sky darker after sunrise?", "opposites"),
    # a name swapped for another term
    ("cheap flights to Paris", "cheap flights to Rome", "entities"),
    ("How do I install numpy on Windows?", "How do I install numpy on Linux?", "entities"),
    ("What is the capital of Spain?", "What is the capital of Portugal?", "entities"),
    ("Is Python or Java faster?", "Is Python or Rust faster?", "entities"),
    (
        "Which is better, an iPhone or a Pixel?",
        "Which is better, an iPhone or a laptop?",
        "entities",
    ),
]

# Only with the opt-in strict guard: lower-case swaps and added names.
STRICT = [
    ("how to learn python", "how to learn java"),
    ("best laptop for programming", "best tablet for programming"),
    ("symptoms of diabetes", "symptoms of asthma"),
    ("Is Trump a good president?", "Is Donald Trump a good president?"),
    ("Hotels in Paris", "Hotels in Paris near the Louvre"),
]
STRICT_GUARDS = Guards(key_terms=True)

PARAPHRASES = [
    ("How do I reset my password?", "How can I reset my password?"),
    ("What's the capital of France", "What is France's capital"),
    ("What are some good tips for self study?", "What are the smart tips for self studying?"),
    ("How can I lose weight quickly?", "What is the fastest way to lose weight?"),
    ("convert 5 km to miles", "convert five kilometres to miles"),
    ("What does 10% off mean?", "What does ten percent off mean?"),
    ("Who was the 1st president of the USA?", "Who was the first president of the USA?"),
    ("a million dollars", "one million dollars"),
    ("Which one is better, tea or coffee?", "Which is better, tea or coffee?"),
    ("Why doesn't my code compile?", "Why does my code not compile?"),
    ("I can't sleep", "I cannot sleep"),
    ("What is the best way to learn English?", "How do I learn English?"),
    ("How do I improve my English?", "How can I improve my English speaking skills?"),
    ("Where can I buy cheap books?", "Where do I buy books cheaply?"),
    ("What Is The Best Way To Learn Python?", "what is the best way to learn python"),
    ("Which is better: iPhone or Android?", "Which is better, Android or iPhone?"),
    ("What are the benefits of running?", "What are the advantages of running?"),
    ("How do I make friends in college?", "How can I make friends at college?"),
    ("twenty-five ways to save money", "25 ways to save money"),
    ("Are business cards effective, why or why not?", "Why are business cards effective?"),
    ("When did you first learn to code?", "When did you learn to code?"),
    (
        "Which institutions teach Python in Hyderabad?",
        "Which institute teaches Python in Hyderabad?",
    ),
    ("Five children stand in front of a wooden hut", "Five children stand in front of a wood hut"),
    ("Find out what is in the box", "Find out what the box contains"),
    ("How do I log out of my account?", "How do I log out in my account?"),
    ("HOW DO I RESET MY ROUTER", "how can i reset my router"),
    ("Which phone is best under 15000 INR?", "Which phone is best under 15000?"),
    ("a library with several thousand files", "a library with thousands of files"),
    ("Senator Smith To Visit Local School Today", "Smith to visit a school today"),
]


@pytest.mark.parametrize(("a", "b", "reason"), BLOCKED)
def test_adversarial_pairs_are_blocked(a: str, b: str, reason: str) -> None:
    assert guard_reason(a, b) == reason
    assert guard_reason(b, a) == reason


@pytest.mark.parametrize(("a", "b"), STRICT)
def test_strict_key_terms_guard_is_opt_in(a: str, b: str) -> None:
    assert guard_reason(a, b) is None
    assert guard_reason(a, b, STRICT_GUARDS) == "key_terms"
    assert guard_reason(b, a, STRICT_GUARDS) == "key_terms"


@pytest.mark.parametrize(("a", "b"), PARAPHRASES)
def test_true_paraphrases_are_not_blocked(a: str, b: str) -> None:
    assert guard_reason(a, b) is None
    assert guard_reason(b, a) is None


def test_identical_queries_never_fire() -> None:
    for a, b, _ in BLOCKED:
        assert guard_reason(a, a) is None
        assert guard_reason(b, b) is None


@pytest.mark.parametrize("reason", ["numbers", "negation", "opposites", "entities"])
def test_each_guard_can_be_switched_off(reason: str) -> None:
    guards = dataclasses.replace(Guards(), **{reason: False})
    assert reason not in guards.enabled
    for a, b, want in BLOCKED:
        if want == reason:
            assert guard_reason(a, b, guards) != reason


def test_all_off_never_fires() -> None:
    assert Guards.none().mask == 0
    assert all(guard_reason(a, b, Guards.none()) is None for a, b, _ in BLOCKED)


def test_stored_signature_gives_the_same_answer_as_text() -> None:
    for a, b, reason in BLOCKED[:8]:
        sa, sb = guard_signature(a), guard_signature(b)
        assert isinstance(sa, GuardSignature)
        assert guard_reason(sa, sb) == reason
        assert guard_reason(a, sb) == reason


def test_signature_exposes_counts() -> None:
    sig = guard_signature("Is it not 5 km or 3 miles?")
    assert (sig.negations, sig.number_count) == (1, 2)
    assert sig.packed.dtype == np.int64


def test_guards_validate_on_creation() -> None:
    with pytest.raises(ConfigError):
        Guards(numbers=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Guards(True)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Guards().numbers = False  # type: ignore[misc]
    with pytest.raises(ConfigError):
        guard_reason("a", "b", guards="numbers")  # type: ignore[arg-type]


def test_non_str_query_is_rejected() -> None:
    with pytest.raises(InputTypeError):
        guard_signature(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(InputTypeError):
        guard_reason(None, "text")  # type: ignore[arg-type]
