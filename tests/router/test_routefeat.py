"""semroute._routefeat agrees with its plain-Python twin on any text."""

import importlib.machinery

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from semroute import _routefeat as native
from semroute.router import features_ref as ref

CUES = ref.cue_table()
COL = {name: k for k, name in enumerate(ref.FEATURE_NAMES)}

# Bias the alphabet towards what the features look at: option letters, line
# breaks, sentence ends, formula and code characters, cue words, and code
# points where Unicode and ASCII case rules differ.
texts = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list("AJK(). \n\t?!0123456789+=$\\_{}İıKß\u3000√π")),
        st.sampled_from(["how ", "many ", "step ", "by ", "what ", "is ", "Prove ", "NOT "]),
    ),
    max_size=40,
).map("".join)


def test_is_a_compiled_extension() -> None:
    assert native.__file__ is not None
    assert native.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


@given(st.lists(texts, max_size=4))
def test_matches_reference(batch: list[str]) -> None:
    got = native.text_features(batch, *CUES)
    want = ref.text_features(batch, *CUES)
    assert got.dtype == np.float32 and got.shape == (len(batch), ref.N_FEATURES)
    np.testing.assert_array_equal(got, want)


def test_column_count_matches_reference_names() -> None:
    assert native.N_FEATURES == ref.N_FEATURES == len(ref.FEATURE_NAMES)


def test_features_see_what_they_claim() -> None:
    mcq = "Which is prime?\nA. 4\nB. 9\n(C) 7\nD) 8"
    proof = "Prove step by step that x^2 + 1 > 0."
    plain = "hello there"
    rows = native.text_features([mcq, proof, plain], *CUES)
    assert rows[0, COL["log_option_lines"]] == pytest.approx(np.log1p(4))
    assert rows[1, COL["cue_reasoning"]] > 0  # "prove"
    assert rows[1, COL["cue_multistep"]] == pytest.approx(np.log1p(3))  # step, "step by", step
    assert rows[1, COL["math_frac"]] > 0 and rows[2, COL["math_frac"]] == 0
    assert rows[2, COL["log_words"]] == pytest.approx(np.log1p(2))


def test_empty_text_gives_the_prior() -> None:
    row = native.text_features([""], *CUES)[0]
    assert row[COL["mean_word_len"]] == ref.PRIOR_WORD_LEN
    assert not np.delete(row, COL["mean_word_len"]).any()


def test_rates_of_short_texts_are_shrunk_towards_prose() -> None:
    short, long = native.text_features(["2+2?", "2+2? " * 40], *CUES)
    assert 0 < short[COL["math_frac"]] < long[COL["math_frac"]]


def test_bad_arguments_raise_value_error() -> None:
    hashes, groups = CUES
    with pytest.raises(ValueError):
        native.text_features(["x"], hashes, groups[:-1].copy())
    with pytest.raises(ValueError):
        native.text_features(["x"], hashes[::-1].copy(), groups)
    with pytest.raises(ValueError):
        native.text_features([b"bytes"], hashes, groups)  # type: ignore[list-item]
    with pytest.raises(ValueError):
        native.text_features(["x"], hashes, np.full_like(groups, 99))
