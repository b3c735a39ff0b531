"""A cheap semantic signal for the pruner: static word vectors, no transformer pass.

Lexical scores miss passages that say the same thing in other words
("ww2" / "World War II", "king" / "monarch"). The encoder finds them, but
running it over every passage costs ~50 times the pruner's time budget. These
vectors are the shipped encoder's output for each word piece on its own
(``models/scripts/build_word_vectors.py``), so a word's vector is a table
lookup (the mean of its pieces' rows) and a context costs one gather and a
few small matrix products.

Two scores come out, both over contiguous groups of words (units, passages):

* :func:`soft_match`: for each content word of the query, the best similarity
  of a *different* word in the group, counted (times the word's IDF) when it
  passes ``threshold``: a soft term frequency that only adds what exact
  matching (BM25) cannot see.
* :func:`centroid_cosine`: the cosine between the IDF-weighted mean vector of
  the group's content words and the query's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["WordVectors", "centroid_cosine", "shipped_word_vectors", "soft_match"]

Tokenize = Callable[[Sequence[str]], list[list[int]]]
_WORD_VECTORS = "word_vectors.npz"


class WordVectors:
    """Unit vectors for words from a per-piece table and a tokenizer; thread-safe.

    ``table`` has one row per piece id; ``tokenize`` maps words to piece ids.
    A word's vector is the normalised mean of its pieces' rows (zero when it
    has none); vectors are memoised per word, up to ``max_words``.

    >>> table = np.eye(3, dtype=np.float32)
    >>> wv = WordVectors(table, lambda ws: [[{"a": 0, "b": 1}.get(w, 2)] for w in ws])
    >>> wv.vectors(["a", "b", "zz"]).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """

    def __init__(
        self, table: npt.NDArray[np.floating], tokenize: Tokenize, *, max_words: int = 200_000
    ) -> None:
        if table.ndim != 2 or table.shape[0] == 0:
            raise ValueError("table must be a non-empty 2-d array")
        self._table = np.asarray(table, dtype=np.float32)
        self._tokenize = tokenize
        self._max = max_words
        self._memo: dict[str, npt.NDArray[np.float32]] = {}
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return int(self._table.shape[1])

    def vectors(self, words: Sequence[str]) -> npt.NDArray[np.float32]:
        """One unit row per word (``len(words) x dim``)."""
        memo = self._memo
        missing = [w for w in dict.fromkeys(words) if w not in memo]
        if missing:
            fresh = self._embed(missing)
            with self._lock:
                if len(memo) + len(missing) > self._max:
                    memo = self._memo = {}
                memo.update(zip(missing, fresh, strict=True))
        if not words:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([memo[w] for w in words])

    def _embed(self, words: list[str]) -> list[npt.NDArray[np.float32]]:
        out = []
        size = self._table.shape[0]
        for ids in self._tokenize(words):
            ok = [i for i in ids if 0 <= i < size]
            v = self._table[ok].mean(axis=0) if ok else np.zeros(self.dim, np.float32)
            norm = float(np.linalg.norm(v))
            out.append((v / norm if norm > 1e-12 else v).astype(np.float32))
        return out


@lru_cache(maxsize=1)
def shipped_word_vectors() -> WordVectors:
    """The table built from the shipped encoder, with the shipped tokenizer (loaded once).

    >>> shipped_word_vectors().dim
    128
    """
    from importlib.resources import files

    from tokenizers import Tokenizer

    root = files("semroute.models")
    with root.joinpath(_WORD_VECTORS).open("rb") as f, np.load(f) as z:
        table = z["table"].astype(np.float32)
    tokenizer = Tokenizer.from_str(root.joinpath("tokenizer.json").read_text(encoding="utf-8"))
    tokenizer.no_truncation()
    tokenizer.no_padding()

    def tokenize(words: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in tokenizer.encode_batch(list(words), add_special_tokens=False)]

    return WordVectors(table, tokenize)


def _starts(group: npt.NDArray[np.int64], n_groups: int) -> npt.NDArray[np.int64]:
    """First word index of each group (words sorted by group); empty groups point past."""
    return np.searchsorted(group, np.arange(n_groups), side="left").astype(np.int64)


def soft_match(
    vectors: npt.NDArray[np.float32],
    ids: npt.NDArray[np.int32],
    group: npt.NDArray[np.int64],
    n_groups: int,
    query: npt.NDArray[np.float32],
    query_terms: npt.NDArray[np.int64],
    query_idf: npt.NDArray[np.float64],
    content: npt.NDArray[np.bool_],
    threshold: float,
) -> npt.NDArray[np.float64]:
    """Per group: sum over query words of idf x the best similarity of another content term.

    ``vectors`` has one unit row per term id of the context; ``ids`` are the
    words' term ids, sorted by ``group``. ``query`` has one unit row per query
    word, ``query_terms`` its term id in the context (-1 when absent).
    Similarities at or below ``threshold`` count 0, and a query word's own
    term never counts (exact matches are BM25's job).

    >>> v = np.array([[1, 0], [0.8, 0.6], [0, 1]], dtype=np.float32)
    >>> soft_match(v, np.array([1, 2], np.int32), np.array([0, 1]), 2, v[:1],
    ...            np.array([0]), np.ones(1), np.ones(3, bool), 0.5).round(2).tolist()
    [0.8, 0.0]
    """
    out = np.zeros(n_groups)
    if ids.size == 0 or query.shape[0] == 0:
        return out
    sim = vectors @ query.T  # terms x query words
    own = np.flatnonzero(query_terms >= 0)
    sim[query_terms[own], own] = 0.0
    sim[~content] = 0.0
    sim[sim <= threshold] = 0.0
    starts = _starts(group, n_groups)
    has = np.bincount(group, minlength=n_groups) > 0
    best = np.maximum.reduceat(sim[ids], starts[has], axis=0)
    out[has] = best @ query_idf
    return out


def centroid_cosine(
    vectors: npt.NDArray[np.float32],
    ids: npt.NDArray[np.int32],
    group: npt.NDArray[np.int64],
    n_groups: int,
    query: npt.NDArray[np.float32],
    weight: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Per group: cosine of the ``weight``-ed sum of its words' vectors with ``query``.

    ``weight`` is per term id (IDF, 0 for stop words); words sorted by ``group``.

    >>> v = np.array([[1, 0], [0, 1]], dtype=np.float32)
    >>> centroid_cosine(v, np.array([0, 1, 1], np.int32), np.array([0, 0, 1]), 2,
    ...                 v[0], np.ones(2)).round(3).tolist()
    [0.707, 0.0]
    """
    out = np.zeros(n_groups)
    q_norm = float(np.linalg.norm(query))
    if ids.size == 0 or q_norm < 1e-12:
        return out
    starts = _starts(group, n_groups)
    has = np.bincount(group, minlength=n_groups) > 0
    summed = np.add.reduceat(vectors[ids] * weight[ids, None].astype(np.float32), starts[has])
    norms = np.linalg.norm(summed, axis=1)
    out[has] = (summed @ query) / np.maximum(norms * q_norm, 1e-12)
    return out
