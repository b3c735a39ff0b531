"""Code in a query is compared as written: exact key and semantic candidates alike."""

from __future__ import annotations

import pytest

from semroute import SemanticCache, _text
from semroute.cache.code import code_parts, exact_form, exact_key
from tests.fakes import FakeEncoder

QUESTION = "Why does this function return the wrong value?"
CODE = "def area(w, h):\n    if w > 0:\n        return w * h\n    return 0"
PROMPT = f"{QUESTION}\n```python\n{CODE}\n```"


def test_code_parts_are_verbatim() -> None:
    text = "Compare `a == b` with `a is b`:\n```py\nx = 1\n  y = 2   \n```"
    assert code_parts(text) == ("py\nx = 1\n  y = 2", "a == b", "a is b")
    # Inline spans are a multiset: a paraphrase may quote them in another order.
    assert code_parts("Use `b` after `a`.") == code_parts("After `a`, use `b`.")


def test_text_without_code_has_no_parts_and_keeps_its_exact_key() -> None:
    for text in ("What is the capital of France?", "Hello\nWhat is the refund policy?"):
        assert code_parts(text) == ()
        assert exact_form(text) == _text.normalize_query(text)
        assert exact_key(text) == _text.query_key(text)  # stores keep their keys


def test_unfenced_code_counts_every_line() -> None:
    text = "Fix this:\ndef f(x):\n    return x"
    assert code_parts(text) == ("Fix this:\ndef f(x):\n    return x",)


def test_the_exact_form_folds_the_prose_but_not_the_code() -> None:
    assert exact_key(PROMPT) == exact_key(PROMPT.replace("Why does", "WHY  does"))
    assert exact_key(PROMPT) != exact_key(PROMPT.replace("def area", "def Area"))
    assert exact_key(PROMPT) != exact_key(PROMPT.replace("    return 0", "        return 0"))
    # The key is the hash of the form, whatever path computed it.
    assert exact_key(PROMPT) == _text.query_key(exact_form(PROMPT))


@pytest.mark.parametrize(
    "changed",
    [
        PROMPT.replace("w > 0", "w < 0"),  # a flipped comparison
        PROMPT.replace("    return 0", "        return 0"),  # indented once more
        PROMPT.replace("def area", "def Area"),  # case in an identifier
        PROMPT.replace("w * h", "w + h"),
    ],
)
def test_a_prompt_whose_code_differs_is_never_served_the_other_answer(changed: str) -> None:
    # The real encoder: these pairs embed at 0.99 and above, and fold to the same words.
    cache = SemanticCache()
    cache.put(PROMPT, "answer about the first program")
    assert cache.get(changed) is None


def test_the_same_code_asked_in_other_words_is_served() -> None:
    cache = SemanticCache(encoder=FakeEncoder())
    cache.put(PROMPT, "A")
    hit = cache.get(PROMPT.replace("Why does", "why  DOES"))
    assert hit is not None and hit.exact


def test_a_semantic_candidate_with_other_code_is_counted_as_a_code_refusal() -> None:
    # The fake encoder embeds by words: same words, other code layout -> same vector.
    cache = SemanticCache(encoder=FakeEncoder())
    cache.put("How do I use `git rebase -i` here?", "R")
    assert cache.get("How do I use `git  rebase -i` here, please?") is None
    assert cache.stats.code_refusals >= 1


def test_inline_code_is_compared_as_written() -> None:
    cache = SemanticCache()
    cache.put("How do I use `git rebase -i`?", "R")
    assert cache.get("How do I use `git rebase`?") is None
    assert cache.get("how do i use `git rebase -i`") is not None  # the prose folds


def test_code_keys_survive_a_reopened_store(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/c.db"
    with SemanticCache(url, encoder=FakeEncoder()) as cache:
        cache.put(PROMPT, "A")
    with SemanticCache(url, encoder=FakeEncoder()) as cache:
        hit = cache.get(PROMPT)
        assert hit is not None and hit.exact
        assert cache.get(PROMPT.replace("    return 0", "        return 0")) is None
