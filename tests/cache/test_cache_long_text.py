"""Texts longer than the encoder's window: a semantic hit is never decided on part of a text.

The fake encoder here embeds only its first ``window`` words, like the shipped model
embeds only its first 254 word pieces, and reports where that window ends.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pytest

from semroute.cache.cache import SemanticCache
from semroute.cache.guards.api import Guards
from tests.fakes import FakeEncoder

_WORD = re.compile(r"\w+")


class WindowedEncoder(FakeEncoder):
    """The fake bag-of-words encoder, cut to the first ``window`` words of a text."""

    def __init__(self, window: int = 64) -> None:
        super().__init__()
        self.window = window

    def window_end(self, text: str) -> int:
        words = list(_WORD.finditer(text))
        return len(text) if len(words) <= self.window else words[self.window - 1].end()

    def encode(self, texts: str | Sequence[str]) -> np.ndarray:
        batch = [texts] if isinstance(texts, str) else list(texts)
        return super().encode([t[: self.window_end(t)] for t in batch])


PROMPT = " ".join(f"rule{i % 97} of the house style says number {i}" for i in range(50))
DOC = " ".join(f"paragraph {i} says the sky{i % 13} is colour{i % 7}." for i in range(300))


@pytest.fixture
def encoder() -> WindowedEncoder:
    return WindowedEncoder()


@pytest.fixture
def cache(encoder: WindowedEncoder) -> SemanticCache:
    return SemanticCache(encoder=encoder)


def test_the_fake_window_embeds_a_shared_prefix_identically(encoder: WindowedEncoder) -> None:
    """The premise: without the rule these pairs would be semantic hits at cosine 1.0."""
    a, b = encoder.encode([PROMPT + " What is the refund policy?", PROMPT + " Delete my account"])
    assert float(a @ b) == pytest.approx(1.0)


def test_a_shared_400_word_prefix_with_two_different_questions_is_a_miss(
    cache: SemanticCache,
) -> None:
    assert len(PROMPT.split()) == 400
    cache.put(PROMPT + "\n\nWhat is the refund policy?", "30 days")
    assert cache.get(PROMPT + "\n\nHow do I delete my account?") is None
    assert cache.get_or_call(PROMPT + "\n\nHow do I delete my account?", lambda q: "Settings") == (
        "Settings"
    )
    assert cache.stats.long_text_refusals >= 1 and len(cache) == 2


def test_a_long_document_with_a_different_ending_is_a_miss(cache: SemanticCache) -> None:
    cache.put(DOC + " The verdict is guilty.", "guilty summary")
    assert cache.get(DOC + " The verdict is not guilty.") is None
    assert cache.get(DOC) is None  # the stored text goes on beyond the window; this one ends


def test_long_texts_still_hit_when_the_rest_is_the_same(cache: SemanticCache) -> None:
    stored = PROMPT + "\n\nWhat is the refund policy?"
    cache.put(stored, "30 days")
    # Another case and spacing: the exact key (whole text, normalised) finds it.
    exact = cache.get("  " + stored.upper().replace(" ", "   "))
    assert exact is not None and exact.exact
    # The window is reworded (same words, another order) and the rest is identical:
    # a semantic hit, since all that differs was embedded and judged by the cosine.
    words = PROMPT.split()
    reordered = " ".join([words[1], words[0], *words[2:]]) + "\n\nWhat is the refund policy?"
    hit = cache.get(reordered)
    assert hit is not None and not hit.exact and hit.response == "30 days"


def test_the_rule_holds_with_guards_off_and_a_given_embedding(cache: SemanticCache) -> None:
    cache.put(DOC + " ending with apples", "apples")
    query = DOC + " ending with pears"
    vector = cache.embed(DOC + " ending with apples")
    off = Guards.none()
    assert cache.get(query, guards=off, embedding=vector) is None
    assert cache.serve(query, lambda q: "pears", guards=off, embedding=vector).hit is None


def test_short_texts_are_not_affected(cache: SemanticCache) -> None:
    cache.put("What is the capital of France?", "Paris")
    hit = cache.get("capital of France: what is the")
    assert hit is not None and hit.response == "Paris"
    assert cache.stats.long_text_refusals == 0


def test_an_encoder_without_window_end_is_taken_to_embed_everything() -> None:
    cache = SemanticCache(encoder=FakeEncoder())
    cache.put(DOC + " one", "1")
    # The plain fake embeds every word, so the different ending changes the vector.
    assert cache.get(DOC + " two", threshold=1.0) is None
    assert cache.stats.long_text_refusals == 0
