"""semroute._guards agrees with its plain-Python twin on any text and any pair."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semroute import _guards as native
from semroute.cache.guards import twin as ref
from semroute.cache.guards import words as words
from semroute.cache.guards.api import lexicon

KEYS, CODES = lexicon()

VOCAB = sorted(
    words.STOP
    | words.COMMON
    | words.NEGATION
    | set(words.CARDINALS)
    | set(words.SCALES)
    | set(words.ORDINALS)
    | {s for spellings in words.UNITS.values() for s in spellings}
    | {w for pair in words.OPPOSITES for side in pair for w in side}
    | {"Paris", "Rome", "iPhone", "gpt4", "can't", "doesn’t", "studies", "running", "France's"}
)

pieces = st.one_of(
    st.sampled_from(VOCAB),
    st.sampled_from(VOCAB).map(str.title),
    st.from_regex(r"[0-9]{1,20}([.,:/-][0-9]{1,4}){0,2}(st|nd|rd|th|km|kg|s|x|%)?", fullmatch=True),
    st.sampled_from(list(" .?!,;:\n'’$€£₹%°-/")),
    st.text(max_size=4),
)
texts = st.lists(pieces, max_size=24).map(" ".join) | st.text(max_size=60)


# No deadline: the Python twin is slow and CI machines are shared.
@settings(deadline=None)
@given(texts)
def test_signature_matches_reference(text: str) -> None:
    got = native.signature(text, KEYS, CODES)
    want = ref.signature(text, KEYS, CODES)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)


@settings(deadline=None)
@given(texts, texts, st.integers(0, 31))
def test_compare_matches_reference(a: str, b: str, mask: int) -> None:
    sa = native.signature(a, KEYS, CODES)
    sb = native.signature(b, KEYS, CODES)
    assert native.compare(sa, sb, mask) == ref.compare(sa, sb, mask)
    assert native.compare(sa, sa, mask) == 0


@given(st.text(max_size=30))
def test_word_hash_matches_reference(text: str) -> None:
    assert native.word_hash(text) == ref.word_hash(text)


def test_signature_layout() -> None:
    sig = native.signature("Is Paris not 5 km away?", KEYS, CODES)
    negations, n_nums, n_units, n_terms, n_keys, n_ents, n_opp = (int(x) for x in sig[:7])
    assert (negations, n_nums, n_units) == (1, 1, 1)
    assert sig.shape[0] == 7 + n_nums + 2 * n_units + n_terms + n_keys + n_ents + n_opp
    assert n_ents == 1 and n_keys >= 1
    # "away" is no opposite; "top" / "bottom" are.
    assert n_opp == 0
    top = native.signature("the top shelf", KEYS, CODES)
    bottom = native.signature("the bottom shelf", KEYS, CODES)
    assert int(top[6]) == int(bottom[6]) == 1 and top[-1] != bottom[-1]


@pytest.mark.parametrize(
    ("a", "b", "fires"),
    [("add delete", "", False), ("add delete", "add", False), ("add", "delete", True)],
)
def test_opposites_need_a_clean_swap(a: str, b: str, fires: bool) -> None:
    sa, sb = native.signature(a, KEYS, CODES), native.signature(b, KEYS, CODES)
    for impl in (native, ref):
        assert (impl.compare(sa, sb, 16) == 16) is fires
        assert (impl.compare(sb, sa, 16) == 16) is fires


@pytest.mark.parametrize(
    ("a", "b", "fires"),
    [
        ("5 km", "5 miles", True),
        ("5 km", "five kilometres", False),
        ("under 15000 INR", "under 15000", False),
        ("5 km and 5 miles", "5 miles and 5 km", False),
        ("5 km and 5 miles", "5 km and 5 km", True),
    ],
)
def test_units_compare_only_where_both_sides_give_one(a: str, b: str, fires: bool) -> None:
    sa, sb = native.signature(a, KEYS, CODES), native.signature(b, KEYS, CODES)
    for impl in (native, ref):
        assert (impl.compare(sa, sb, 1) == 1) is fires
        assert (impl.compare(sb, sa, 1) == 1) is fires


def test_empty_lexicon_and_empty_text() -> None:
    empty = np.zeros(0, dtype=np.int64)
    np.testing.assert_array_equal(native.signature("", empty, empty), [0, 0, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(
        native.signature("no 5", empty, empty), ref.signature("no 5", empty, empty)
    )


@pytest.mark.parametrize("impl", [native, ref], ids=["native", "reference"])
def test_malformed_input_raises_value_error(impl) -> None:
    with pytest.raises(ValueError):
        impl.signature("x", KEYS, CODES[:-1])
    good = impl.signature("x", KEYS, CODES)
    with pytest.raises(ValueError):
        impl.compare(np.zeros(3, dtype=np.int64), good, 15)
    with pytest.raises(ValueError):
        impl.compare(np.array([0, 2, 0, 0, 0, 0], dtype=np.int64), good, 15)
    with pytest.raises(ValueError):
        impl.compare(np.array([0, -1, 0, 0, 0, 0, 0, 7], dtype=np.int64), good, 15)
    with pytest.raises(ValueError):  # one unit pair needs two values
        impl.compare(np.array([0, 0, 1, 0, 0, 0, 0, 5], dtype=np.int64), good, 15)
