"""semroute._prunecore agrees with its numpy twin, and each kernel does its one job."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from semroute import _prunecore as native
from semroute.pruning import core_ref as ref

I32 = np.int32


def test_native_module_is_a_compiled_extension() -> None:
    import importlib.machinery

    assert native.__file__ is not None
    assert native.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))


@st.composite
def corpora(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    n_terms = draw(st.integers(1, 12))
    lengths = draw(st.lists(st.integers(0, 15), min_size=0, max_size=8))
    term_ids = draw(hnp.arrays(I32, sum(lengths), elements=st.integers(0, n_terms - 1)))
    bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    query = draw(hnp.arrays(I32, draw(st.integers(0, 5)), elements=st.integers(0, n_terms - 1)))
    return term_ids, bounds, query, n_terms


@given(corpora(), st.floats(0.0, 3.0), st.floats(0.0, 1.0))
def test_bm25_matches_reference(corpus, k1: float, b: float) -> None:
    term_ids, bounds, query, n_terms = corpus
    got = native.bm25_scores(term_ids, bounds, query, n_terms, k1, b)
    want = ref.bm25_scores(term_ids, bounds, query, n_terms, k1, b)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_bm25_prefers_the_document_with_the_rare_query_term() -> None:
    # docs: [a b], [a c], [a a]; query "c" occurs only in doc 1.
    term_ids = np.array([0, 1, 0, 2, 0, 0], dtype=I32)
    bounds = np.array([0, 2, 4, 6], dtype=np.int64)
    scores = native.bm25_scores(term_ids, bounds, np.array([2], I32), 3, 1.2, 0.75)
    assert scores[1] > 0 and scores[0] == 0 and scores[2] == 0


@st.composite
def selections(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    n = draw(st.integers(0, 30))
    # A few distinct values so ties (broken by position) are common.
    scores = draw(hnp.arrays(np.float32, n, elements=st.sampled_from([-1.0, 0.0, 0.25, 0.5, 2.0])))
    costs = draw(hnp.arrays(I32, n, elements=st.integers(0, 20)))
    forced = draw(hnp.arrays(np.uint8, n, elements=st.integers(0, 1)))
    return scores, costs, forced, draw(st.integers(-5, 200))


@given(selections())
def test_select_matches_reference(sel) -> None:
    scores, costs, forced, budget = sel
    got = native.select_units(scores, costs, forced, budget)
    want = ref.select_units(scores, costs, forced, budget)
    np.testing.assert_array_equal(got, want)
    assert np.all(got[forced == 1] == 1)
    free = (got == 1) & (forced == 0)
    # Non-forced picks never push the total past the budget.
    assert costs[free].sum() <= max(budget - costs[forced == 1].sum(), 0) or not free.any()


def test_select_takes_best_first_and_skips_what_does_not_fit() -> None:
    scores = np.array([0.9, 0.8, 0.1], dtype=np.float32)
    costs = np.array([5, 10, 3], dtype=I32)
    keep = native.select_units(scores, costs, np.zeros(3, np.uint8), 9)
    assert keep.tolist() == [1, 0, 1]


@st.composite
def drops(draw: st.DrawFn):
    n_terms = draw(st.integers(1, 10))
    n = draw(st.integers(0, 40))
    term_ids = draw(hnp.arrays(I32, n, elements=st.integers(0, n_terms - 1)))
    costs = draw(hnp.arrays(I32, n, elements=st.integers(0, 4)))
    weights = draw(hnp.arrays(np.float32, n, elements=st.sampled_from([0.25, 1.0, 3.0])))
    droppable = draw(hnp.arrays(np.uint8, n, elements=st.integers(0, 1)))
    stop = draw(hnp.arrays(np.uint8, n_terms, elements=st.integers(0, 1)))
    factor = draw(st.sampled_from([0.0, 0.3, 1.0]))
    return term_ids, n_terms, costs, weights, droppable, stop, factor, draw(st.integers(-2, 60))


@given(drops())
def test_drop_matches_reference(args) -> None:
    got = native.drop_tokens(*args)
    want = ref.drop_tokens(*args)
    np.testing.assert_array_equal(got, want)
    droppable = args[4]
    assert not np.any(got[droppable == 0])


def test_drop_removes_frequent_stop_words_first() -> None:
    # "the cat the dog the": term 0 ("the") is frequent and a stop word.
    term_ids = np.array([0, 1, 0, 2, 0], dtype=I32)
    ones = np.ones(5, dtype=I32)
    drop = native.drop_tokens(
        term_ids,
        3,
        ones,
        np.ones(5, np.float32),
        np.ones(5, np.uint8),
        np.array([1, 0, 0], np.uint8),
        0.5,
        3,
    )
    assert drop.tolist() == [1, 0, 1, 0, 1]


@pytest.mark.parametrize("impl", [native, ref])
def test_bad_shapes_and_ids_raise_value_error(impl) -> None:
    with pytest.raises(ValueError):
        impl.bm25_scores(
            np.array([5], I32), np.array([0, 1], np.int64), np.array([0], I32), 2, 1.2, 0.75
        )
    with pytest.raises(ValueError):
        impl.select_units(np.zeros(2, np.float32), np.zeros(3, I32), np.zeros(2, np.uint8), 4)
    with pytest.raises(ValueError):
        impl.drop_tokens(
            np.zeros(2, I32),
            1,
            np.zeros(2, I32),
            np.zeros(2, np.float32),
            np.zeros(2, np.uint8),
            np.zeros(3, np.uint8),
            0.5,
            1,
        )


def _cp(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


@given(
    st.text(alphabet=st.sampled_from(list("ab \u00e9\ud800")), max_size=60),
    st.text(alphabet=st.sampled_from(list("ab \u00e9\ud800")), max_size=6),
)
def test_find_all_matches_reference(text: str, needle: str) -> None:
    got = native.find_all(_cp(text), _cp(needle))
    want = ref.find_all(_cp(text), _cp(needle))
    assert got.dtype == np.int64
    assert got.tolist() == want.tolist()


def test_find_all_finds_overlapping_occurrences() -> None:
    assert native.find_all(_cp("aaaa"), _cp("aa")).tolist() == [0, 1, 2]
    assert native.find_all(_cp("abcabcab"), _cp("cab")).tolist() == [2, 5]
    assert native.find_all(_cp("ab"), _cp("")).tolist() == []
    assert native.find_all(_cp("a"), _cp("ab")).tolist() == []
