# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Lexical and structural routing features in one pass over each text.

The router scores a query from its embedding plus a few cheap signals about
its shape: length, numbers and formula characters, code punctuation,
multiple-choice option lines and cue words for reasoning, computation,
multi-step work and so on. This kernel computes them for a batch in a single
character pass per text, with the GIL released. The cue words themselves are
policy and live in Python (``semroute.router.features_ref``), which passes them in
as a sorted table of 64-bit hashes; the plain-Python twin there is the oracle.
"""

import numpy as np

from libc.math cimport log1p
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc

cdef extern from "Python.h":
    int PyUnicode_KIND(object)
    void* PyUnicode_DATA(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    uint32_t PyUnicode_READ(int kind, void* data, Py_ssize_t index) nogil
    bint Py_UNICODE_ISALNUM(uint32_t ch) nogil
    bint Py_UNICODE_ISSPACE(uint32_t ch) nogil

# Must match semroute.router.features_ref: N_BASE base columns, then one per cue group.
cdef enum:
    N_BASE = 15
    N_GROUPS = 8

N_FEATURES = N_BASE + N_GROUPS

# Shrinkage of the rates towards plain prose; see semroute.router.features_ref.
cdef double PRIOR_CHARS = 40.0
cdef double PRIOR_WORDS = 5.0
cdef double PRIOR_WORD_LEN = 4.5

cdef uint64_t FNV_SEED = 0xCBF29CE484222325ULL
cdef uint64_t FNV_MULT = 0x100000001B3ULL
cdef uint64_t BIGRAM_MULT = 0x9E3779B97F4A7C15ULL


cdef inline bint _is_math(uint32_t ch) noexcept nogil:
    if ch < 128:
        return (ch == 43 or ch == 42 or ch == 47 or ch == 61 or ch == 94
                or ch == 60 or ch == 62 or ch == 37 or ch == 124 or ch == 126
                or ch == 92 or ch == 36)
    return (ch == 0xD7 or ch == 0xF7 or ch == 0xB1 or ch == 0x221A or ch == 0x2211
            or ch == 0x220F or ch == 0x222B or ch == 0x3C0 or ch == 0x221E or ch == 0x2264
            or ch == 0x2265 or ch == 0x2260 or ch == 0x2248 or ch == 0x2208 or ch == 0x2209
            or ch == 0x2200 or ch == 0x2203 or ch == 0x2192 or ch == 0x21D2 or ch == 0x21D4
            or ch == 0x2202 or ch == 0x2206 or ch == 0x394 or ch == 0x3B8 or ch == 0x3BB
            or ch == 0x3BC or ch == 0x3C3 or ch == 0x3B1 or ch == 0x3B2 or ch == 0x3B3
            or ch == 0x2229 or ch == 0x222A or ch == 0x2282 or ch == 0x2286 or ch == 0xB0)


cdef inline uint32_t _lower_ascii(uint32_t ch) noexcept nogil:
    if 65 <= ch <= 90:
        return ch + 32
    return ch


cdef inline bint _is_code(uint32_t ch) noexcept nogil:
    return (ch == 123 or ch == 125 or ch == 91 or ch == 93 or ch == 59
            or ch == 96 or ch == 95 or ch == 35 or ch == 64)


cdef inline bint _option_at(int kind, void* data, Py_ssize_t n, Py_ssize_t i) noexcept nogil:
    cdef uint32_t a, b, c
    while i < n:
        a = PyUnicode_READ(kind, data, i)
        if a != 32 and a != 9:
            break
        i += 1
    if i + 1 >= n:
        return False
    a = PyUnicode_READ(kind, data, i)
    b = PyUnicode_READ(kind, data, i + 1)
    if 65 <= a <= 74 and (b == 46 or b == 41):
        return True
    if i + 2 >= n:
        return False
    c = PyUnicode_READ(kind, data, i + 2)
    return a == 40 and 65 <= b <= 74 and c == 41


cdef inline Py_ssize_t _find(const int64_t* keys, Py_ssize_t n, int64_t key) noexcept nogil:
    cdef Py_ssize_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    if lo < n and keys[lo] == key:
        return lo
    return -1


cdef inline void _count_cue(const int64_t* keys, const int32_t* groups, Py_ssize_t n_keys,
                            uint64_t h, double* cues) noexcept nogil:
    cdef Py_ssize_t at = _find(keys, n_keys, <int64_t>h)
    if at >= 0:
        cues[groups[at]] += 1.0


cdef void _scan(int kind, void* data, Py_ssize_t n, const int64_t* keys,
                const int32_t* groups, Py_ssize_t n_keys, float* out) noexcept nogil:
    cdef Py_ssize_t i
    cdef uint32_t ch, nxt
    cdef double digits = 0, numbers = 0, max_number = 0, run = 0
    cdef double math = 0, code = 0, upper = 0, letters = 0, non_ascii = 0
    cdef double newlines = 0, sentences = 0, questions = 0, options = 0
    cdef double words = 0, word_chars = 0, max_word = 0, wlen = 0
    cdef double cues[N_GROUPS]
    cdef uint64_t h = FNV_SEED, prev = 0
    cdef bint in_word = False, has_prev = False
    cdef Py_ssize_t g
    for g in range(N_GROUPS):
        cues[g] = 0
    if n > 0 and _option_at(kind, data, n, 0):
        options += 1
    for i in range(n + 1):
        # i == n is a virtual separator that closes the last word and digit run.
        ch = PyUnicode_READ(kind, data, i) if i < n else 0
        if i < n and Py_UNICODE_ISALNUM(ch):
            if not in_word:
                in_word = True
                h = FNV_SEED
                wlen = 0
            h = (h ^ <uint64_t>_lower_ascii(ch)) * FNV_MULT
            wlen += 1
        elif in_word:
            in_word = False
            words += 1
            word_chars += wlen
            if wlen > max_word:
                max_word = wlen
            _count_cue(keys, groups, n_keys, h, cues)
            if has_prev:
                _count_cue(keys, groups, n_keys, (prev * BIGRAM_MULT ^ h) * FNV_MULT, cues)
            prev = h
            has_prev = True
        if i < n and 48 <= ch <= 57:
            digits += 1
            run += 1
        elif run > 0:
            numbers += 1
            if run > max_number:
                max_number = run
            run = 0
        if i == n:
            break
        if 65 <= ch <= 90:
            upper += 1
            letters += 1
        elif 97 <= ch <= 122:
            letters += 1
        if ch > 127:
            non_ascii += 1
        if _is_math(ch):
            math += 1
        elif _is_code(ch):
            code += 1
        if ch == 10:
            newlines += 1
            if _option_at(kind, data, n, i + 1):
                options += 1
        elif ch == 63:
            questions += 1
        if ch == 46 or ch == 63 or ch == 33:
            if i + 1 == n:
                sentences += 1
            else:
                nxt = PyUnicode_READ(kind, data, i + 1)
                if Py_UNICODE_ISSPACE(nxt):
                    sentences += 1
    cdef double chars = n + PRIOR_CHARS
    out[0] = <float>log1p(<double>n)
    out[1] = <float>log1p(words)
    out[2] = <float>((word_chars + PRIOR_WORD_LEN * PRIOR_WORDS) / (words + PRIOR_WORDS))
    out[3] = <float>log1p(max_word)
    out[4] = <float>(digits / chars)
    out[5] = <float>log1p(numbers)
    out[6] = <float>log1p(max_number)
    out[7] = <float>(math / chars)
    out[8] = <float>(code / chars)
    out[9] = <float>(upper / (letters + PRIOR_CHARS))
    out[10] = <float>(non_ascii / chars)
    out[11] = <float>log1p(newlines)
    out[12] = <float>log1p(sentences)
    out[13] = <float>log1p(questions)
    out[14] = <float>log1p(options)
    for g in range(N_GROUPS):
        out[N_BASE + g] = <float>log1p(cues[g])


def text_features(texts, const int64_t[::1] cue_hashes not None,
                  const int32_t[::1] cue_groups not None):
    """Feature rows (float32, ``(len(texts), N_FEATURES)``) for a sequence of ``str``.

    ``cue_hashes`` is sorted ascending; ``cue_groups[k]`` is the cue group of
    ``cue_hashes[k]``, in ``[0, N_GROUPS)``.

    >>> from semroute.router.features_ref import cue_table
    >>> text_features(["What is 2 + 2?"], *cue_table()).shape
    (1, 23)
    """
    cdef tuple items = tuple(texts)
    cdef Py_ssize_t n = len(items), r, k
    cdef Py_ssize_t n_keys = cue_hashes.shape[0]
    if cue_groups.shape[0] != n_keys:
        raise ValueError("cue_hashes and cue_groups differ in length")
    for k in range(n_keys):
        if cue_groups[k] < 0 or cue_groups[k] >= N_GROUPS:
            raise ValueError(f"cue groups must lie in [0, {N_GROUPS})")
        if k and cue_hashes[k - 1] >= cue_hashes[k]:
            raise ValueError("cue_hashes must be sorted and unique")
    for r in range(n):
        if not isinstance(items[r], str):
            raise ValueError(f"texts[{r}] is {type(items[r]).__name__}, not str")
    out = np.zeros((n, N_FEATURES), dtype=np.float32)
    if n == 0:
        return out
    cdef float[:, ::1] view = out
    cdef int* kinds = <int*>malloc(n * sizeof(int))
    cdef void** datas = <void**>malloc(n * sizeof(void*))
    cdef Py_ssize_t* lengths = <Py_ssize_t*>malloc(n * sizeof(Py_ssize_t))
    # A 1-element dummy keeps the pointers valid when the table is empty.
    cdef int64_t no_key = 0
    cdef int32_t no_group = 0
    cdef const int64_t* keys = &cue_hashes[0] if n_keys else &no_key
    cdef const int32_t* groups = &cue_groups[0] if n_keys else &no_group
    try:
        if kinds == NULL or datas == NULL or lengths == NULL:
            raise MemoryError()
        for r in range(n):
            kinds[r] = PyUnicode_KIND(items[r])
            datas[r] = PyUnicode_DATA(items[r])
            lengths[r] = PyUnicode_GET_LENGTH(items[r])
        # ``items`` holds a reference to every str, so their buffers stay put.
        with nogil:
            for r in range(n):
                _scan(kinds[r], datas[r], lengths[r], keys, groups, n_keys, &view[r, 0])
    finally:
        free(kinds)
        free(datas)
        free(lengths)
    return out
