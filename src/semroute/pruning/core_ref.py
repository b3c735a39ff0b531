"""Plain numpy/Python twins of the pruning kernels in ``semroute._prunecore``.

Same signatures, same results; the native tests use them as the oracle and
``benchmarks/pruning/bench_prune.py`` times both in one run. Logarithms go through
``math`` (the C library) so both sides round identically and break ties the
same way.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]


def bm25_scores(
    term_ids: I32,
    doc_bounds: I64,
    query_terms: I32,
    n_terms: int,
    k1: float,
    b: float,
) -> F32:
    """Okapi BM25 of each document ``term_ids[doc_bounds[i]:doc_bounds[i+1]]`` for the query.

    Document frequencies come from these documents alone (in-context IDF), so
    no corpus statistics are needed. Every entry of ``query_terms`` adds its
    term's score once; pass unique ids for plain BM25.
    """
    n_docs = doc_bounds.shape[0] - 1
    if n_docs < 0:
        raise ValueError("doc_bounds must hold at least one offset")
    if term_ids.size and (term_ids.min() < 0 or term_ids.max() >= n_terms):
        raise ValueError("term id out of range")
    if query_terms.size and (query_terms.min() < 0 or query_terms.max() >= n_terms):
        raise ValueError("query term id out of range")
    if n_docs and (doc_bounds[0] != 0 or doc_bounds[-1] != term_ids.size):
        raise ValueError("doc_bounds must start at 0 and end at len(term_ids)")
    if n_docs and np.any(np.diff(doc_bounds) < 0):
        raise ValueError("doc_bounds must not decrease")
    lengths = np.diff(doc_bounds).astype(np.float64)
    total = float(term_ids.size)
    avg = total / n_docs if n_docs else 0.0
    norm = (1.0 - b) + b * lengths / avg if avg > 0 else np.ones(n_docs)
    doc_of = np.repeat(np.arange(n_docs), np.diff(doc_bounds))
    scores = np.zeros(n_docs, dtype=np.float64)
    for q in query_terms.tolist():
        tf = np.bincount(doc_of[term_ids == q], minlength=n_docs).astype(np.float64)
        df = float(np.count_nonzero(tf))
        if df == 0.0:
            continue
        idf = math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        present = tf > 0
        scores[present] += idf * (tf[present] * (k1 + 1.0)) / (tf[present] + k1 * norm[present])
    return scores.astype(np.float32)


def select_units(scores: F32, costs: I32, forced: U8, budget: int) -> U8:
    """Keep mask: forced units, then the best-scored units that still fit ``budget``.

    Units are taken by descending score (ties: earlier first); one that does
    not fit is skipped and smaller later ones may still fit. Forced units are
    kept even past the budget.
    """
    n = scores.shape[0]
    if costs.shape[0] != n or forced.shape[0] != n:
        raise ValueError("scores, costs and forced must have the same length")
    if n and costs.min() < 0:
        raise ValueError("costs must be non-negative")
    keep: U8 = (forced != 0).astype(np.uint8)
    used = int(costs[keep == 1].sum(dtype=np.int64))
    order = np.argsort(-scores.astype(np.float64), kind="stable")
    for i in order.tolist():
        if keep[i]:
            continue
        c = int(costs[i])
        if used + c <= budget:
            keep[i] = 1
            used += c
    return keep


def drop_tokens(
    term_ids: I32,
    n_terms: int,
    costs: I32,
    weights: F32,
    droppable: U8,
    stop_terms: U8,
    stop_factor: float,
    to_drop: int,
) -> U8:
    """Drop mask removing the least informative droppable tokens until ``to_drop`` tokens go.

    A token's information is its in-context surprisal ``log2((n + 1) / count)``
    times ``stop_factor`` when its term is a stop word, times its ``weights``
    entry (say, lower for less relevant sentences). Lowest first; ties: earlier
    first. Stops as soon as the dropped cost reaches ``to_drop``.
    """
    n = term_ids.shape[0]
    if costs.shape[0] != n or weights.shape[0] != n or droppable.shape[0] != n:
        raise ValueError("term_ids, costs, weights and droppable must have the same length")
    if stop_terms.shape[0] != n_terms:
        raise ValueError("stop_terms must have n_terms entries")
    if n and (term_ids.min() < 0 or term_ids.max() >= n_terms):
        raise ValueError("term id out of range")
    drop = np.zeros(n, dtype=np.uint8)
    if n == 0 or to_drop <= 0:
        return drop
    counts = np.bincount(term_ids, minlength=n_terms)
    base = math.log2(n + 1.0)
    logs = np.array([math.log2(float(c)) if c else 0.0 for c in counts.tolist()])
    factor = np.where(stop_terms[term_ids] != 0, stop_factor, 1.0)
    info = (base - logs[term_ids]) * factor * weights.astype(np.float64)
    candidates = np.flatnonzero(droppable)
    order = candidates[np.argsort(info[candidates], kind="stable")]
    dropped = 0
    for i in order.tolist():
        if dropped >= to_drop:
            break
        drop[i] = 1
        dropped += int(costs[i])
    return drop


def find_all(text: npt.NDArray[np.uint32], needle: npt.NDArray[np.uint32]) -> I64:
    """Start offsets of every occurrence of ``needle`` in ``text`` (code points), overlaps too.

    The plain way: ``str.find`` from each found offset plus one. Its cost is
    O(len(text) * len(needle)) when occurrences overlap; the native kernel is
    linear. An empty needle has no occurrences.
    """
    if needle.size == 0:
        return np.zeros(0, dtype=np.int64)
    hay = np.ascontiguousarray(text, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    pat = (
        np.ascontiguousarray(needle, dtype=np.uint32).tobytes().decode("utf-32-le", "surrogatepass")
    )
    out: list[int] = []
    at = hay.find(pat)
    while at >= 0:
        out.append(at)
        at = hay.find(pat, at + 1)
    return np.asarray(out, dtype=np.int64)
