"""Static word vectors: the soft match that finds passages saying the query in other words."""

from __future__ import annotations

import numpy as np
import pytest

from semroute.pruning.prune import Pruner
from semroute.pruning.static import (
    WordVectors,
    centroid_cosine,
    shipped_word_vectors,
    soft_match,
)
from tests.fakes import FakeEncoder

# A hand-made table: "king" is close to "monarch", "reigned" to "ruled"; every
# other word has no pieces (a zero vector).
PIECES = {"monarch": 0, "king": 1, "ruled": 2, "reigned": 3, "island": 4}
TABLE = np.array(
    [
        [1.0, 0.0, 0.0],
        [0.9, 0.436, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.9, 0.436],
        [0.0, 0.0, 1.0],
    ],
    dtype=np.float32,
)


def tokenize(words):
    return [[PIECES[w]] if w in PIECES else [] for w in words]


PASSAGES = [
    "Butterflies\nA monarch butterfly flew over the meadow in the summer.",
    "Harbour\nThe island has a small harbour with fishing boats and nets.",
    "History\nThe old king reigned there for forty years, until 1756.",
    "Weather\nRain falls on most days of the autumn in that valley.",
]
QUERY = "Which monarch ruled the island?"


def pruner(**kwargs) -> Pruner:
    return Pruner(encoder=FakeEncoder(), word_vectors=WordVectors(TABLE, tokenize), **kwargs)


def test_word_vectors_average_pieces_normalise_and_memoise() -> None:
    calls: list[list[str]] = []

    def counting(words):
        calls.append(list(words))
        return [[0, 2] if w == "both" else tokenize([w])[0] for w in words]

    wv = WordVectors(TABLE, counting)
    v = wv.vectors(["both", "king", "nothing", "both"])
    np.testing.assert_allclose(v[0], [0.7071, 0.7071, 0.0], atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(v[1]), 1.0, atol=1e-6)
    assert not v[2].any()  # no pieces: zero vector
    np.testing.assert_array_equal(v[0], v[3])
    wv.vectors(["king", "both"])
    assert calls == [["both", "king", "nothing"]]  # each word tokenised once
    with pytest.raises(ValueError):
        WordVectors(np.zeros((0, 3), np.float32), tokenize)


def test_soft_match_counts_other_close_words_above_the_threshold() -> None:
    v = TABLE / np.linalg.norm(TABLE, axis=1, keepdims=True)
    # term ids: 0 monarch, 1 king, 2 ruled, 3 reigned, 4 island; words sorted by group
    ids = np.array([0, 1, 3, 4, 2], dtype=np.int32)
    group = np.array([0, 1, 1, 2, 3])
    query = v[[0, 2]]  # the query words: monarch, ruled (both in the context)
    own = np.array([0, 2])
    idf = np.array([2.0, 1.0])
    content = np.ones(5, dtype=bool)
    out = soft_match(v, ids, group, 5, query, own, idf, content, 0.4)
    # group 0 holds "monarch" itself: an exact match counts nothing here
    assert out[0] == 0.0
    # group 1: king ~ monarch (0.9, x idf 2) + reigned ~ ruled (0.9)
    assert out[1] == pytest.approx(2 * 0.9 + 0.9, abs=1e-3)
    assert out[2] == 0.0 and out[4] == 0.0  # unrelated word; empty group
    assert out[3] == 0.0  # "ruled" itself only
    assert soft_match(v, ids, group, 5, query, own, idf, content, 0.95)[1] == 0.0
    # a stop word never counts
    not_king = content.copy()
    not_king[1] = False
    assert soft_match(v, ids, group, 5, query, own, idf, not_king, 0.4)[1] == pytest.approx(
        0.9, abs=1e-3
    )
    # a query word absent from the context (-1) matches its own vector's term too
    absent = soft_match(v, ids, group, 5, query, np.array([-1, 2]), idf, content, 0.4)
    assert absent[0] == pytest.approx(2.0, abs=1e-3)


def test_centroid_cosine_weights_words_and_leaves_empty_groups_at_zero() -> None:
    v = np.eye(3, dtype=np.float32)
    ids = np.array([0, 1, 1, 2], dtype=np.int32)
    group = np.array([0, 0, 2, 2])
    out = centroid_cosine(v, ids, group, 3, v[0], np.array([1.0, 1.0, 1.0]))
    assert out[0] == pytest.approx(0.7071, abs=1e-4) and out[1] == 0.0 and out[2] == 0.0
    heavy = centroid_cosine(v, ids, group, 3, v[0], np.array([3.0, 1.0, 1.0]))
    assert heavy[0] > out[0]
    assert not centroid_cosine(v, ids, group, 3, np.zeros(3, np.float32), np.ones(3)).any()


def test_static_weight_brings_in_the_passage_that_uses_other_words() -> None:
    off = pruner(static_weight=0.0).prune(PASSAGES, query=QUERY, ratio=0.55)
    on = pruner(static_weight=2.0).prune(PASSAGES, query=QUERY, ratio=0.55)
    # Lexically the butterfly ("monarch") and the harbour ("island") win; only
    # the soft match sees "king reigned" in "monarch ruled" ("ruled" is in no
    # passage: the query's own vectors count, not just the context's terms).
    assert "king reigned" not in off.text and "harbour" in off.text
    assert "king reigned" in on.text and "1756" in on.text
    assert on.kept_tokens <= int(on.original_tokens * 0.55)


def test_static_weight_zero_never_touches_the_vectors() -> None:
    def boom(words):
        raise AssertionError("tokenised with static_weight=0")

    p = Pruner(encoder=FakeEncoder(), static_weight=0.0, word_vectors=WordVectors(TABLE, boom))
    assert p.prune(PASSAGES, query=QUERY, ratio=0.5).text


def test_shipped_vectors_place_related_words_closer() -> None:
    wv = shipped_word_vectors()
    v = wv.vectors(["king", "monarch", "banana", "war", "battle", "invoice"])
    sim = v @ v.T
    assert wv.dim == 128
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)
    assert sim[0, 1] > 0.5 > sim[0, 2]
    assert sim[3, 4] > sim[3, 5]


def test_module_examples_run() -> None:
    import doctest

    from semroute.pruning import static

    result = doctest.testmod(static)
    assert result.attempted >= 4 and result.failed == 0
