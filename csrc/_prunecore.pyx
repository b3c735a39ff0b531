# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Native kernels of the context pruner: lexical scoring, budgeted selection, token dropping.

Each is a handful of passes over int32 token-id arrays with no Python objects
in the loop, GIL released. numpy needs a pass per query term (BM25), a sort
plus a Python loop (greedy selection under a budget), or bincount, log, sort
and a loop (token dropping). The plain twins live in
``semroute.pruning.core_ref`` and define the expected results.
"""

import numpy as np
cimport numpy as cnp
from libc.math cimport log, log2
from libc.stdlib cimport malloc, free

cnp.import_array()


cdef void _merge_sort(Py_ssize_t* idx, Py_ssize_t* tmp, const double* key,
                      Py_ssize_t n) noexcept nogil:
    """Stable ascending sort of ``idx`` by ``key[idx]``; bottom-up, no recursion."""
    cdef Py_ssize_t width = 1, lo, mid, hi, i, j, k
    cdef Py_ssize_t* src = idx
    cdef Py_ssize_t* dst = tmp
    cdef Py_ssize_t* swap
    while width < n:
        lo = 0
        while lo < n:
            mid = lo + width
            if mid > n:
                mid = n
            hi = lo + 2 * width
            if hi > n:
                hi = n
            i = lo
            j = mid
            k = lo
            while i < mid and j < hi:
                # <= keeps equal keys in input order (stability).
                if key[src[i]] <= key[src[j]]:
                    dst[k] = src[i]
                    i += 1
                else:
                    dst[k] = src[j]
                    j += 1
                k += 1
            while i < mid:
                dst[k] = src[i]
                i += 1
                k += 1
            while j < hi:
                dst[k] = src[j]
                j += 1
                k += 1
            lo = hi
        swap = src
        src = dst
        dst = swap
        width *= 2
    if src != idx:
        for i in range(n):
            idx[i] = src[i]


def bm25_scores(const cnp.int32_t[::1] term_ids not None,
                const cnp.int64_t[::1] doc_bounds not None,
                const cnp.int32_t[::1] query_terms not None,
                Py_ssize_t n_terms, double k1, double b):
    """Okapi BM25 of each document ``term_ids[doc_bounds[i]:doc_bounds[i+1]]``; float32.

    IDF comes from these documents alone. Each entry of ``query_terms`` adds
    its term's score once.
    """
    cdef Py_ssize_t n_docs = doc_bounds.shape[0] - 1
    cdef Py_ssize_t n_tok = term_ids.shape[0], n_q = query_terms.shape[0]
    cdef Py_ssize_t i, d, s, t, q
    if n_docs < 0:
        raise ValueError("doc_bounds must hold at least one offset")
    if n_docs and (doc_bounds[0] != 0 or doc_bounds[n_docs] != n_tok):
        raise ValueError("doc_bounds must start at 0 and end at len(term_ids)")
    for d in range(n_docs):
        if doc_bounds[d + 1] < doc_bounds[d]:
            raise ValueError("doc_bounds must not decrease")
    for i in range(n_tok):
        if term_ids[i] < 0 or term_ids[i] >= n_terms:
            raise ValueError("term id out of range")
    for q in range(n_q):
        if query_terms[q] < 0 or query_terms[q] >= n_terms:
            raise ValueError("query term id out of range")
    out_arr = np.zeros(n_docs, dtype=np.float32)
    if n_docs == 0 or n_q == 0:
        return out_arr
    cdef float[::1] out = out_arr
    # slot[t]: first query position holding term t; tf/df/last per position.
    cdef Py_ssize_t* slot = <Py_ssize_t*>malloc(n_terms * sizeof(Py_ssize_t))
    cdef double* tf = <double*>malloc(n_q * sizeof(double))
    cdef double* df = <double*>malloc(n_q * sizeof(double))
    cdef double* idf = <double*>malloc(n_q * sizeof(double))
    cdef Py_ssize_t* last = <Py_ssize_t*>malloc(n_q * sizeof(Py_ssize_t))
    cdef Py_ssize_t* first = <Py_ssize_t*>malloc(n_q * sizeof(Py_ssize_t))
    if not (slot and tf and df and idf and last and first):
        free(slot); free(tf); free(df); free(idf); free(last); free(first)
        raise MemoryError()
    cdef double avg = <double>n_tok / <double>n_docs
    cdef double norm, score, f
    try:
        with nogil:
            for t in range(n_terms):
                slot[t] = -1
            for q in range(n_q):
                df[q] = 0.0
                last[q] = -1
                if slot[query_terms[q]] < 0:
                    slot[query_terms[q]] = q
                first[q] = slot[query_terms[q]]
            for d in range(n_docs):
                for i in range(doc_bounds[d], doc_bounds[d + 1]):
                    s = slot[term_ids[i]]
                    if s >= 0 and last[s] != d:
                        last[s] = d
                        df[s] += 1.0
            for q in range(n_q):
                f = df[first[q]]
                idf[q] = log(1.0 + (n_docs - f + 0.5) / (f + 0.5)) if f > 0.0 else 0.0
            for d in range(n_docs):
                for q in range(n_q):
                    tf[q] = 0.0
                for i in range(doc_bounds[d], doc_bounds[d + 1]):
                    s = slot[term_ids[i]]
                    if s >= 0:
                        tf[s] += 1.0
                if avg > 0.0:
                    norm = (1.0 - b) + b * <double>(doc_bounds[d + 1] - doc_bounds[d]) / avg
                else:
                    norm = 1.0
                score = 0.0
                for q in range(n_q):
                    f = tf[first[q]]
                    if f > 0.0:
                        score += idf[q] * (f * (k1 + 1.0)) / (f + k1 * norm)
                out[d] = <float>score
    finally:
        free(slot); free(tf); free(df); free(idf); free(last); free(first)
    return out_arr


def select_units(const float[::1] scores not None, const cnp.int32_t[::1] costs not None,
                 const cnp.uint8_t[::1] forced not None, cnp.int64_t budget):
    """Keep mask (uint8): forced units, then the best-scored units that still fit ``budget``.

    Descending score, ties earlier first; a unit that does not fit is skipped.
    """
    cdef Py_ssize_t n = scores.shape[0], i, j
    if costs.shape[0] != n or forced.shape[0] != n:
        raise ValueError("scores, costs and forced must have the same length")
    for i in range(n):
        if costs[i] < 0:
            raise ValueError("costs must be non-negative")
    keep_arr = np.zeros(n, dtype=np.uint8)
    if n == 0:
        return keep_arr
    cdef cnp.uint8_t[::1] keep = keep_arr
    cdef Py_ssize_t* idx = <Py_ssize_t*>malloc(n * sizeof(Py_ssize_t))
    cdef Py_ssize_t* tmp = <Py_ssize_t*>malloc(n * sizeof(Py_ssize_t))
    cdef double* key = <double*>malloc(n * sizeof(double))
    if not (idx and tmp and key):
        free(idx); free(tmp); free(key)
        raise MemoryError()
    cdef cnp.int64_t used = 0
    try:
        with nogil:
            for i in range(n):
                idx[i] = i
                key[i] = -<double>scores[i]
                if forced[i]:
                    keep[i] = 1
                    used += costs[i]
            _merge_sort(idx, tmp, key, n)
            for j in range(n):
                i = idx[j]
                if keep[i]:
                    continue
                if used + costs[i] <= budget:
                    keep[i] = 1
                    used += costs[i]
    finally:
        free(idx); free(tmp); free(key)
    return keep_arr


def drop_tokens(const cnp.int32_t[::1] term_ids not None, Py_ssize_t n_terms,
                const cnp.int32_t[::1] costs not None, const float[::1] weights not None,
                const cnp.uint8_t[::1] droppable not None,
                const cnp.uint8_t[::1] stop_terms not None,
                double stop_factor, cnp.int64_t to_drop):
    """Drop mask (uint8) removing the least informative droppable tokens until ``to_drop`` go.

    Information is ``log2((n + 1) / count(term))``, times ``stop_factor`` for
    stop words, times ``weights``; lowest first, ties earlier first.
    """
    cdef Py_ssize_t n = term_ids.shape[0], i, j, m = 0
    if costs.shape[0] != n or weights.shape[0] != n or droppable.shape[0] != n:
        raise ValueError("term_ids, costs, weights and droppable must have the same length")
    if stop_terms.shape[0] != n_terms:
        raise ValueError("stop_terms must have n_terms entries")
    for i in range(n):
        if term_ids[i] < 0 or term_ids[i] >= n_terms:
            raise ValueError("term id out of range")
    drop_arr = np.zeros(n, dtype=np.uint8)
    if n == 0 or to_drop <= 0:
        return drop_arr
    cdef cnp.uint8_t[::1] drop = drop_arr
    cdef Py_ssize_t* counts = <Py_ssize_t*>malloc(n_terms * sizeof(Py_ssize_t))
    cdef Py_ssize_t* idx = <Py_ssize_t*>malloc(n * sizeof(Py_ssize_t))
    cdef Py_ssize_t* tmp = <Py_ssize_t*>malloc(n * sizeof(Py_ssize_t))
    cdef double* key = <double*>malloc(n * sizeof(double))
    if not (counts and idx and tmp and key):
        free(counts); free(idx); free(tmp); free(key)
        raise MemoryError()
    cdef double base = log2(<double>n + 1.0), factor
    cdef cnp.int64_t dropped = 0
    try:
        with nogil:
            for i in range(n_terms):
                counts[i] = 0
            for i in range(n):
                counts[term_ids[i]] += 1
            for i in range(n):
                if not droppable[i]:
                    continue
                factor = stop_factor if stop_terms[term_ids[i]] else 1.0
                key[i] = (base - log2(<double>counts[term_ids[i]])) * factor * <double>weights[i]
                idx[m] = i
                m += 1
            _merge_sort(idx, tmp, key, m)
            for j in range(m):
                if dropped >= to_drop:
                    break
                i = idx[j]
                drop[i] = 1
                dropped += costs[i]
    finally:
        free(counts); free(idx); free(tmp); free(key)
    return drop_arr


def find_all(const cnp.uint32_t[::1] text not None, const cnp.uint32_t[::1] needle not None):
    """Start offsets (int64, ascending) of every occurrence of ``needle`` in ``text``, overlaps too.

    Knuth-Morris-Pratt over code points: O(len(text) + len(needle)) whatever
    the input, where repeated ``str.find`` costs O(len(text) * len(needle))
    when occurrences overlap ("a a a ..." searched for "a a a"). An empty
    needle has no occurrences.
    """
    cdef Py_ssize_t n = text.shape[0], m = needle.shape[0], i, k = 0, found = 0
    if m == 0 or m > n:
        return np.zeros(0, dtype=np.int64)
    cdef Py_ssize_t* fail = <Py_ssize_t*>malloc(m * sizeof(Py_ssize_t))
    # At most n - m + 1 occurrences.
    out_arr = np.empty(n - m + 1, dtype=np.int64)
    cdef cnp.int64_t[::1] out = out_arr
    if not fail:
        raise MemoryError()
    try:
        with nogil:
            # fail[i]: length of the longest proper border of needle[:i + 1].
            fail[0] = 0
            for i in range(1, m):
                while k > 0 and needle[i] != needle[k]:
                    k = fail[k - 1]
                if needle[i] == needle[k]:
                    k += 1
                fail[i] = k
            k = 0
            for i in range(n):
                while k > 0 and text[i] != needle[k]:
                    k = fail[k - 1]
                if text[i] == needle[k]:
                    k += 1
                if k == m:
                    out[found] = i - m + 1
                    found += 1
                    k = fail[k - 1]
    finally:
        free(fail)
    return out_arr[:found].copy()
