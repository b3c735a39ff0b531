"""The coarse level of pruning: one relevance score per unit.

With a query: BM25 of the query's content words inside the unit, plus its
whole passage's BM25, a bonus for the kind of word the question asks for, the
soft match through static word vectors and, when ``lexical_weight < 1``, the
encoder's similarity; each unit then borrows from its best neighbour in the
same passage. Without a query: in-context information density (and closeness
to the centroid of the embedded units when the encoder is on). Titles are
worth their passage's best sentence.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import ModuleType

import numpy as np
import numpy.typing as npt

from semroute.errors import EncoderError
from semroute.pruning import static as st
from semroute.pruning import text as pt
from semroute.pruning.context import Analysis, query_terms
from semroute.pruning.options import PruneOptions
from semroute.pruning.static import WordVectors

__all__ = ["STOP_FACTOR", "score_units"]

STOP_FACTOR = 0.25  # a stop word's share of a content word's information
# A different word counts as a soft match above this cosine (tuning half of NQ).
_SOFT_THRESHOLD = 0.4


def _z(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    std = float(x.std())
    return (x - float(x.mean())) / std if std > 1e-12 else np.zeros_like(x)


def score_units(
    a: Analysis,
    query: str | None,
    options: PruneOptions,
    core: ModuleType,
    encode: Callable[[list[str]], npt.ArrayLike],
    word_vectors: Callable[[], WordVectors],
) -> tuple[npt.NDArray[np.float64], float]:
    """Each unit's score (higher: keep first) and the milliseconds spent in the encoder.

    ``core`` holds the kernels (native, or their twins); ``encode`` and
    ``word_vectors`` are called only when their signal is on.
    """
    n_units = len(a.unit_spans)
    is_word = a.term_ids >= 0
    ids, n_terms = a.term_ids[is_word], a.n_terms
    word_unit = a.unit_of[is_word]
    words_per_unit = np.bincount(word_unit, minlength=n_units)
    has_words = words_per_unit > 0
    bounds = np.concatenate([[0], np.cumsum(words_per_unit)]).astype(np.int64)

    lw = options.lexical_weight
    if query is not None:
        q_ids = query_terms(a, query)
        lexical = core.bm25_scores(ids, bounds, q_ids, n_terms, 1.2, 0.75)
        lexical = lexical.astype(np.float64)
        passage_z = _passage_scores(a, ids, word_unit, q_ids, options, core)
        bonus = _answer_bonus(a, query, q_ids, options)
        bonus = bonus + _static_scores(a, ids, word_unit, query, options, word_vectors)
    else:
        passage_z = bonus = np.zeros(n_units)
        # Information density: mean in-context surprisal of a unit's words,
        # stop words discounted.
        counts = np.bincount(ids, minlength=n_terms)
        stop = a.stop_terms[ids] != 0
        info = np.log2((ids.size + 1.0) / counts[ids]) * np.where(stop, STOP_FACTOR, 1.0)
        summed = np.bincount(word_unit, weights=info, minlength=n_units)
        lexical = summed / np.maximum(words_per_unit, 1)
    lexical_z = np.zeros(n_units)
    lexical_z[has_words] = _z(lexical[has_words])

    # The encoder costs far more per token than everything else, so it
    # embeds only the lexically best units, up to dense_tokens of them.
    cap = options.dense_tokens
    if cap is None or lw == 1.0:
        embed = has_words & (lw < 1.0)
    else:
        ranked = np.where(has_words, lexical_z, -1e9).astype(np.float32)
        embed = (
            core.select_units(ranked, a.unit_costs, np.zeros(n_units, np.uint8), cap).astype(bool)
            & has_words
        )
        if not embed.any() and has_words.any():
            embed[int(np.argmax(ranked))] = True
    texts = [a.source[s:e] for (s, e), ok in zip(a.unit_spans, embed, strict=True) if ok]
    encoder_ms = 0.0
    dense_z = np.zeros(n_units)
    if texts:
        batch = ([query] if query is not None else []) + texts
        t0 = time.perf_counter()
        try:
            vectors = np.asarray(encode(batch), dtype=np.float32)
        except Exception as exc:
            if isinstance(exc, EncoderError):
                raise
            raise EncoderError(f"encoder failed: {exc}") from exc
        encoder_ms = 1e3 * (time.perf_counter() - t0)
        if vectors.shape[0] != len(batch) or not np.isfinite(vectors).all():
            raise EncoderError("encoder returned the wrong number of rows or non-finite values")
        if query is not None:
            dense = vectors[1:] @ vectors[0]
        else:
            centroid = vectors.mean(axis=0)
            dense = vectors @ (centroid / max(float(np.linalg.norm(centroid)), 1e-12))
        z = _z(dense.astype(np.float64))
        # Units the encoder skipped rank as the least similar embedded one.
        dense_z[has_words] = float(z.min())
        dense_z[embed] = z
    fused = (1.0 - lw) * dense_z + lw * lexical_z + options.passage_weight * passage_z + bonus
    scores = _smooth(a, np.where(has_words, fused, -1e9), options)
    if a.unit_title.any():
        # A title is worth what its passage's best sentence is worth, so it
        # is taken (cheaply) just before that sentence.
        body = ~a.unit_title
        best = np.full(int(a.unit_passage[-1]) + 1, -1e9)
        np.maximum.at(best, a.unit_passage[body], scores[body])
        scores = np.where(a.unit_title, best[a.unit_passage], scores)
    return scores, encoder_ms


def _passage_scores(
    a: Analysis,
    ids: npt.NDArray[np.int32],
    word_unit: npt.NDArray[np.int64],
    q_ids: npt.NDArray[np.int32],
    options: PruneOptions,
    core: ModuleType,
) -> npt.NDArray[np.float64]:
    """Each unit's passage BM25, z-scored over passages: context for lone sentences."""
    n_units = len(a.unit_spans)
    if options.passage_weight == 0.0 or n_units == 0:
        return np.zeros(n_units)
    n_passages = int(a.unit_passage[-1]) + 1
    per = np.bincount(a.unit_passage[word_unit], minlength=n_passages)
    bounds = np.concatenate([[0], np.cumsum(per)]).astype(np.int64)
    scores = core.bm25_scores(ids, bounds, q_ids, a.n_terms, 1.2, 0.75)
    z = np.zeros(n_passages)
    has = per > 0
    z[has] = _z(scores[has].astype(np.float64))
    return z[a.unit_passage]


def _static_scores(
    a: Analysis,
    ids: npt.NDArray[np.int32],
    word_unit: npt.NDArray[np.int64],
    query: str,
    options: PruneOptions,
    word_vectors: Callable[[], WordVectors],
) -> npt.NDArray[np.float64]:
    """The static-vector signals, z-scored: soft match per passage, centroid cosine per unit."""
    n_units = len(a.unit_spans)
    weight = options.static_weight
    q_terms = _content_terms(query)
    if weight == 0.0 or not q_terms or ids.size == 0:
        return np.zeros(n_units)
    table = word_vectors()
    vectors = table.vectors([a.term_text[g] for g in a.term_global.tolist()])
    query_vectors = table.vectors(q_terms)
    # Each query word's term id in this context, -1 when the context lacks
    # it (the case only a soft match can serve: "ww2" for "World War II").
    found = np.asarray([a.term_index.get(t, -1) for t in q_terms], dtype=np.int64)
    at = np.searchsorted(a.term_global, found)
    ok = (found >= 0) & (at < a.term_global.size)
    ok[ok] = a.term_global[at[ok]] == found[ok]
    q_local = np.where(ok, at, -1)
    # IDF over passages: a word in every retrieved passage says nothing.
    n_passages = int(a.unit_passage[-1]) + 1
    word_passage = a.unit_passage[word_unit]
    pairs = np.unique(word_passage * a.n_terms + ids)
    df = np.bincount(pairs % a.n_terms, minlength=a.n_terms)
    idf = np.log((n_passages + 1.0) / (df + 0.5))
    q_idf = np.where(ok, idf[np.maximum(q_local, 0)], np.log((n_passages + 1.0) / 0.5))
    content = a.stop_terms == 0
    out = np.zeros(n_units)
    if n_passages > 1:
        soft = st.soft_match(
            vectors,
            ids,
            word_passage,
            n_passages,
            query_vectors,
            q_local,
            q_idf,
            content,
            _SOFT_THRESHOLD,
        )
        has = np.bincount(word_passage, minlength=n_passages) > 0
        z = np.zeros(n_passages)
        z[has] = _z(soft[has])
        out += weight * z[a.unit_passage]
    q_vector = (query_vectors * q_idf[:, None]).sum(axis=0).astype(np.float32)
    cos = st.centroid_cosine(
        vectors, ids, word_unit, n_units, q_vector, np.where(content, idf, 0.0)
    )
    has_words = np.bincount(word_unit, minlength=n_units) > 0
    out[has_words] += weight * _z(cos[has_words])
    return out


def _answer_bonus(
    a: Analysis, query: str, q_ids: npt.NDArray[np.int32], options: PruneOptions
) -> npt.NDArray[np.float64]:
    """``answer_weight`` for units holding a word of the kind the question asks for."""
    n_units = len(a.unit_spans)
    wanted = pt.answer_type(query)
    if options.answer_weight == 0.0 or not wanted or not len(a.words):
        return np.zeros(n_units)
    if wanted == pt.NUMBER:
        hit = (a.flags & pt.NUMBER) != 0
    else:
        hit = ((a.flags & pt.STRONG) != 0) & ((a.flags & pt.NUMBER) == 0)
        # A capital at the start of a sentence says nothing about a name.
        firsts = np.searchsorted(a.unit_of, np.arange(n_units), side="left")
        hit[firsts[firsts < hit.size]] = False
    if q_ids.size:
        hit &= ~np.isin(a.term_ids, q_ids)
    has = np.bincount(a.unit_of[hit], minlength=n_units) > 0
    return has.astype(np.float64) * options.answer_weight


def _smooth(
    a: Analysis, scores: npt.NDArray[np.float64], options: PruneOptions
) -> npt.NDArray[np.float64]:
    w = options.neighbor_weight
    if w == 0.0 or scores.size < 2:
        return scores
    same_prev = a.unit_passage[1:] == a.unit_passage[:-1]
    best = np.full(scores.size, -1e9)
    best[1:] = np.where(same_prev, scores[:-1], -1e9)
    best[:-1] = np.maximum(best[:-1], np.where(same_prev, scores[1:], -1e9))
    return np.where(best > scores, scores + w * (best - scores), scores)


def _content_terms(query: str) -> list[str]:
    """The query's distinct content words as terms (case-folded, plural-stripped)."""
    words, _, _ = pt.pieces(query)
    terms = (pt.term_of(w) for w in words if pt.piece_flags(w) & pt.IS_WORD)
    return [t for t in dict.fromkeys(terms) if t not in pt.STOP_WORDS]
