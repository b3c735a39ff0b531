# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Per-lookup bookkeeping of the semantic cache over its slot arrays.

The cache keeps one row per slot in parallel numpy arrays (alive flag, expiry,
namespace id, LRU stamp). After the index returns candidates (k from HNSW, or
every row of a small brute-force partition), ``pick_candidate`` keeps the best
one that is alive, unexpired, in the asked namespace and above the threshold:
numpy needs a gather per array, a mask per test and an argmax, each a pass with
a temporary; this is one pass, GIL released. ``best_row`` fuses that with the
dot products of a small exact partition; ``lru_victims`` picks eviction
victims in one pass. (A native TTL sweep lost to numpy's vectorised
``flatnonzero`` and was removed.) The plain-numpy twin is
``semroute.cache.core_ref``.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t, int32_t, uint8_t

cnp.import_array()

# What a candidate's slot says about it, before its similarity is looked at.
cdef enum SlotState:
    SLOT_SKIP = 0      # outside the arrays, dead, or another namespace
    SLOT_EXPIRED = 1   # alive and in the namespace, but past its expiry
    SLOT_VALID = 2


# Raw pointers, not memoryviews: passing a memoryview slice per candidate costs
# an atomic reference count each call. ``s < cap`` guards every dereference.
cdef inline SlotState _slot_state(int64_t s, Py_ssize_t cap, const uint8_t* alive,
                                  const double* expires, const int32_t* ns_ids,
                                  int ns_id, double now) noexcept nogil:
    if s < 0 or s >= cap or not alive[s] or ns_ids[s] != ns_id:
        return SLOT_SKIP
    if expires[s] <= now:
        return SLOT_EXPIRED
    return SLOT_VALID


def pick_candidate(const int64_t[::1] slots not None,
                   const float[::1] sims not None,
                   const uint8_t[::1] alive not None,
                   const double[::1] expires not None,
                   const int32_t[::1] ns_ids not None,
                   int ns_id, double now, double min_sim):
    """Index into ``slots`` of the best valid candidate and how many were expired.

    A candidate is valid when its slot is >= 0, alive, in namespace ``ns_id``,
    not expired (``expires > now``) and ``sims[i] >= min_sim`` (compared
    in float32). Ties keep the
    first. Returns ``(-1, n_expired)`` when none is valid.
    """
    cdef Py_ssize_t n = slots.shape[0], cap = alive.shape[0], i
    cdef SlotState state
    cdef Py_ssize_t best = -1, n_expired = 0
    cdef float best_sim = 0
    # Compare in float32, the precision of the similarities: a cosine stored as
    # 0.95f passes a 0.95 threshold.
    cdef float threshold = <float>min_sim
    if sims.shape[0] != n:
        raise ValueError("slots and sims differ in length")
    if expires.shape[0] != cap or ns_ids.shape[0] != cap:
        raise ValueError("slot arrays differ in length")
    with nogil:
        for i in range(n):
            state = _slot_state(slots[i], cap, &alive[0], &expires[0], &ns_ids[0], ns_id, now)
            if state != SLOT_VALID:
                n_expired += state == SLOT_EXPIRED
                continue
            if sims[i] >= threshold and (best < 0 or sims[i] > best_sim):
                best = i
                best_sim = sims[i]
    return best, n_expired


cdef inline float _dot(const float* a, const float* b, Py_ssize_t d) noexcept nogil:
    # Eight independent sums: the compiler can keep them in SIMD registers without
    # -ffast-math (which would let it reorder one sum) or -march=native.
    cdef float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0
    cdef Py_ssize_t i = 0
    while i + 8 <= d:
        s0 += a[i] * b[i]
        s1 += a[i + 1] * b[i + 1]
        s2 += a[i + 2] * b[i + 2]
        s3 += a[i + 3] * b[i + 3]
        s4 += a[i + 4] * b[i + 4]
        s5 += a[i + 5] * b[i + 5]
        s6 += a[i + 6] * b[i + 6]
        s7 += a[i + 7] * b[i + 7]
        i += 8
    while i < d:
        s0 += a[i] * b[i]
        i += 1
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


def best_row(const float[:, ::1] matrix not None,
             const float[::1] vector not None,
             const int64_t[::1] slots not None,
             const uint8_t[::1] alive not None,
             const double[::1] expires not None,
             const int32_t[::1] ns_ids not None,
             int ns_id, double now, double min_sim):
    """Exact search of a small partition: ``(row, cosine, n_expired)``, row -1 if none.

    Row ``i`` holds the vector of slot ``slots[i]``; rows whose slot is free,
    dead, in another namespace or expired are skipped before any arithmetic,
    the others scored by a dot product and the best at or above ``min_sim``
    (in float32) kept. One pass, single-threaded, GIL released: a BLAS
    matrix-vector product may fan out to threads, which on a busy machine
    costs milliseconds per lookup.
    """
    cdef Py_ssize_t n = matrix.shape[0], d = matrix.shape[1], cap = alive.shape[0], i
    cdef SlotState state
    cdef Py_ssize_t best = -1, n_expired = 0
    cdef float sim, best_sim = 0
    cdef float threshold = <float>min_sim
    if vector.shape[0] != d:
        raise ValueError("vector length differs from the matrix width")
    if slots.shape[0] != n:
        raise ValueError("slots and matrix rows differ in number")
    if expires.shape[0] != cap or ns_ids.shape[0] != cap:
        raise ValueError("slot arrays differ in length")
    if n == 0 or d == 0:
        return -1, 0.0, 0
    with nogil:
        for i in range(n):
            state = _slot_state(slots[i], cap, &alive[0], &expires[0], &ns_ids[0], ns_id, now)
            if state != SLOT_VALID:
                n_expired += state == SLOT_EXPIRED
                continue
            sim = _dot(&matrix[i, 0], &vector[0], d)
            if sim >= threshold and (best < 0 or sim > best_sim):
                best = i
                best_sim = sim
    return best, (best_sim if best >= 0 else 0.0), n_expired


def lru_victims(const int64_t[::1] stamps not None,
                const uint8_t[::1] alive not None,
                Py_ssize_t count):
    """The ``count`` alive slots with the smallest stamps, oldest first (int64).

    Stamps are unique, so the answer is unique. Fewer are returned when fewer
    slots are alive. A bounded max-heap keeps it one pass for small ``count``.
    """
    cdef Py_ssize_t cap = stamps.shape[0], i, size = 0, j, child, parent
    cdef int64_t st, tmp_slot
    if alive.shape[0] != cap:
        raise ValueError("slot arrays differ in length")
    if count < 0:
        raise ValueError("count must be >= 0")
    if count > cap:
        count = cap
    heap_arr = np.empty(count, dtype=np.int64)
    cdef int64_t[::1] heap = heap_arr  # slots, max-heap on stamps[slot]
    with nogil:
        if count > 0:
            for i in range(cap):
                if not alive[i]:
                    continue
                st = stamps[i]
                if size < count:
                    j = size
                    heap[j] = i
                    size += 1
                    while j > 0:
                        parent = (j - 1) >> 1
                        if stamps[heap[parent]] >= stamps[heap[j]]:
                            break
                        tmp_slot = heap[parent]; heap[parent] = heap[j]; heap[j] = tmp_slot
                        j = parent
                elif st < stamps[heap[0]]:
                    heap[0] = i
                    j = 0
                    while True:
                        child = 2 * j + 1
                        if child >= size:
                            break
                        if child + 1 < size and stamps[heap[child + 1]] > stamps[heap[child]]:
                            child += 1
                        if stamps[heap[j]] >= stamps[heap[child]]:
                            break
                        tmp_slot = heap[child]; heap[child] = heap[j]; heap[j] = tmp_slot
                        j = child
    out = heap_arr[:size]
    order = np.argsort(np.asarray(stamps)[out], kind="stable")
    return np.ascontiguousarray(out[order])


def rank_candidates(const int64_t[::1] slots not None,
                    const float[::1] sims not None,
                    const uint8_t[::1] alive not None,
                    const double[::1] expires not None,
                    const int32_t[::1] ns_ids not None,
                    int ns_id, double now, double min_sim):
    """Indices into ``slots`` of every valid candidate, best first, and how many expired.

    Valid as in ``pick_candidate``; the order is by similarity, descending,
    ties keeping the earlier index, so the first is what ``pick_candidate``
    returns. Used when that best candidate is refused (a hit guard, the
    verifier or a reported mistake) and the next one must be tried.
    """
    cdef Py_ssize_t n = slots.shape[0], cap = alive.shape[0], i, m = 0
    cdef SlotState state
    cdef Py_ssize_t n_expired = 0
    cdef float threshold = <float>min_sim
    if sims.shape[0] != n:
        raise ValueError("slots and sims differ in length")
    if expires.shape[0] != cap or ns_ids.shape[0] != cap:
        raise ValueError("slot arrays differ in length")
    idx_arr = np.empty(n, dtype=np.int64)
    key_arr = np.empty(n, dtype=np.float32)
    cdef int64_t[::1] idx = idx_arr
    cdef float[::1] key = key_arr
    with nogil:
        for i in range(n):
            state = _slot_state(slots[i], cap, &alive[0], &expires[0], &ns_ids[0], ns_id, now)
            if state != SLOT_VALID:
                n_expired += state == SLOT_EXPIRED
                continue
            if sims[i] >= threshold:
                idx[m] = i
                key[m] = -sims[i]
                m += 1
    order = np.argsort(key_arr[:m], kind="stable")
    return np.ascontiguousarray(idx_arr[:m][order]), n_expired


def rank_rows(const float[:, ::1] matrix not None,
              const float[::1] vector not None,
              const int64_t[::1] slots not None,
              const uint8_t[::1] alive not None,
              const double[::1] expires not None,
              const int32_t[::1] ns_ids not None,
              int ns_id, double now, double min_sim):
    """Exact search of a small partition, every row at or above ``min_sim``, best first.

    Returns ``(rows int64, cosines float32, n_expired)``; the rows are filtered
    and scored as in ``best_row`` (whose answer is the first row), ordered by
    cosine descending, ties keeping the earlier row.
    """
    cdef Py_ssize_t n = matrix.shape[0], d = matrix.shape[1], cap = alive.shape[0], i, m = 0
    cdef SlotState state
    cdef Py_ssize_t n_expired = 0
    cdef float sim
    cdef float threshold = <float>min_sim
    if vector.shape[0] != d:
        raise ValueError("vector length differs from the matrix width")
    if slots.shape[0] != n:
        raise ValueError("slots and matrix rows differ in number")
    if expires.shape[0] != cap or ns_ids.shape[0] != cap:
        raise ValueError("slot arrays differ in length")
    idx_arr = np.empty(n, dtype=np.int64)
    key_arr = np.empty(n, dtype=np.float32)
    cdef int64_t[::1] idx = idx_arr
    cdef float[::1] key = key_arr
    if n > 0 and d > 0:
        with nogil:
            for i in range(n):
                state = _slot_state(slots[i], cap, &alive[0], &expires[0], &ns_ids[0], ns_id, now)
                if state != SLOT_VALID:
                    n_expired += state == SLOT_EXPIRED
                    continue
                sim = _dot(&matrix[i, 0], &vector[0], d)
                if sim >= threshold:
                    idx[m] = i
                    key[m] = -sim
                    m += 1
    order = np.argsort(key_arr[:m], kind="stable")
    return (np.ascontiguousarray(idx_arr[:m][order]),
            np.ascontiguousarray(-key_arr[:m][order]), n_expired)
