# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Hit guards: a per-query signature and a fast comparison of two of them.

A semantic-cache candidate above the similarity threshold is still refused when
the two queries differ in a number, in negation, or in a key term / named
entity. ``signature`` tokenises a query once (GIL released), reading numbers
with their units, negation cues and stemmed content terms, each hashed to
int64; ``compare`` answers for a pair of signatures with a few merges over
sorted arrays. The plain-Python twin, and the layout of a signature, is in
``semroute.cache.guards.twin``; the word lists are in ``semroute.cache.guards.words``.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport uint64_t, int64_t
from libc.stdlib cimport malloc, free, qsort
from cpython.mem cimport PyMem_Free

cnp.import_array()

cdef extern from "Python.h":
    Py_UCS4* PyUnicode_AsUCS4Copy(object) except NULL
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    bint Py_UNICODE_ISALNUM(Py_UCS4 ch) nogil
    bint Py_UNICODE_ISUPPER(Py_UCS4 ch) nogil

from _hashing cimport fmix64, hash_mult, hash_seed

cdef uint64_t HASH_MULT = hash_mult()
cdef uint64_t HASH_SEED = hash_seed()
cdef uint64_t UNIT_MIX = 0x9E3779B97F4A7C15ULL
cdef uint64_t MASK_UNIT = 0xFFFF

# Must match semroute.cache.guards.twin.
DEF F_STOP = 1
DEF F_COMMON = 2
DEF F_NEG = 4
DEF F_CARDINAL = 8
DEF F_SCALE = 16
DEF F_ORDINAL = 32
DEF F_UNIT = 64
DEF F_ORD_SUFFIX = 128
DEF F_OPPOSITE = 256
DEF UNIT_SHIFT = 8
DEF VALUE_SHIFT = 24
DEF UNIT_ORDINAL = 1
DEF HEADER = 7

GUARD_NUMBERS = 1
GUARD_NEGATION = 2
GUARD_KEY_TERMS = 4
GUARD_ENTITIES = 8
GUARD_OPPOSITES = 16


cdef struct Token:
    Py_ssize_t start
    Py_ssize_t end
    bint entityish
    bint caps
    bint by_case
    bint by_digit


cdef struct Lexicon:
    const int64_t* keys
    const int64_t* codes
    Py_ssize_t n


cdef inline uint64_t _poly(const Py_UCS4* s, Py_ssize_t n) noexcept nogil:
    cdef uint64_t h = HASH_SEED
    cdef Py_ssize_t i
    for i in range(n):
        h = h * HASH_MULT + <uint64_t>s[i]
    return h


cdef inline bint _digit(Py_UCS4 ch) noexcept nogil:
    return ch >= 48 and ch <= 57


cdef inline bint _separator(Py_UCS4 ch) noexcept nogil:
    return ch == u'.' or ch == u',' or ch == u':' or ch == u'/' or ch == u'-'


cdef inline bint _sentence_end(Py_UCS4 ch) noexcept nogil:
    return ch == u'.' or ch == u'?' or ch == u'!' or ch == 10


cdef inline bint _unit_char(Py_UCS4 ch) noexcept nogil:
    return (ch == u'$' or ch == 0x20AC or ch == 0xA3 or ch == 0x20B9
            or ch == u'%' or ch == 0xB0)


cdef int64_t _lookup_hash(const Lexicon* lex, int64_t h) noexcept nogil:
    cdef Py_ssize_t lo = 0, hi = lex.n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if lex.keys[mid] < h:
            lo = mid + 1
        else:
            hi = mid
    if lo < lex.n and lex.keys[lo] == h:
        return lex.codes[lo]
    return 0


cdef inline int64_t _lookup(const Lexicon* lex, const Py_UCS4* s, Py_ssize_t n) noexcept nogil:
    return _lookup_hash(lex, <int64_t>fmix64(_poly(s, n)))


cdef inline bint _ends(const Py_UCS4* s, Py_ssize_t n, const char* suffix, Py_ssize_t k) noexcept nogil:
    cdef Py_ssize_t i
    if n < k:
        return False
    for i in range(k):
        if s[n - k + i] != <Py_UCS4>suffix[i]:
            return False
    return True


cdef inline bint _equals(const Py_UCS4* s, Py_ssize_t n, const char* word, Py_ssize_t k) noexcept nogil:
    return n == k and _ends(s, n, word, k)


cdef inline Py_ssize_t _dedouble(const Py_UCS4* w, Py_ssize_t n) noexcept nogil:
    cdef Py_UCS4 c
    if n >= 2 and w[n - 1] == w[n - 2]:
        c = w[n - 1]
        if (c >= u'a' and c <= u'z' and c != u'a' and c != u'e' and c != u'i' and c != u'o'
                and c != u'u' and c != u'l' and c != u's' and c != u'z'):
            return n - 1
    return n


# Must match semroute.cache.guards.twin.SUFFIXES (longest first).
cdef const char* SUFFIXES[36]
SUFFIXES[:] = [
    b"ational", b"ations", b"ation", b"ments", b"ities", b"ings", b"ment", b"ness", b"ians",
    b"ions", b"able", b"ible", b"ity", b"ian", b"ion", b"ing", b"ers", b"ies", b"ied", b"ful",
    b"ary", b"ive", b"ous", b"ly", b"al", b"ic", b"en", b"an", b"er", b"ed", b"es", b"s", b"y",
    b"e", b"a", b"i",
]
cdef Py_ssize_t SUFFIX_LENS[36]
for _k in range(36):
    SUFFIX_LENS[_k] = len(SUFFIXES[_k])


cdef Py_ssize_t _strip_suffix(const Py_UCS4* w, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t k, m
    cdef Py_UCS4 before
    for k in range(36):
        m = SUFFIX_LENS[k]
        if n - m >= 3 and _ends(w, n, SUFFIXES[k], m):
            if m == 1 and SUFFIXES[k][0] == b's':
                before = w[n - 2]
                if before == u's' or before == u'u' or before == u'i':
                    continue
            return n - m
    return n


cdef Py_ssize_t _stem(Py_UCS4* w, Py_ssize_t n) noexcept nogil:
    """Stem ``w[:n]``; returns the new length (see _guards_ref._stem)."""
    if _ends(w, n, "'s", 2):
        n -= 2
    elif _ends(w, n, "'", 1):
        n -= 1
    return _dedouble(w, _strip_suffix(w, _strip_suffix(w, n)))


cdef inline uint64_t _number_hash(uint64_t digits_poly, uint64_t unit) noexcept nogil:
    return fmix64(digits_poly ^ (unit * UNIT_MIX))


cdef uint64_t _decimal_poly(uint64_t value) noexcept nogil:
    cdef Py_UCS4 buf[24]
    cdef Py_ssize_t k = 24
    if value == 0:
        k -= 1
        buf[k] = u'0'
    while value:
        k -= 1
        buf[k] = <Py_UCS4>(<unsigned int>48 + <unsigned int>(value % 10))
        value //= 10
    return _poly(buf + k, 24 - k)


cdef uint64_t _char_unit(const Lexicon* lex, const Py_UCS4* text, Py_ssize_t n,
                         Py_ssize_t pos) noexcept nogil:
    if pos >= 0 and pos < n and _unit_char(text[pos]):
        return <uint64_t>((_lookup(lex, text + pos, 1) >> UNIT_SHIFT) & 0xFFFF)
    return 0


cdef int _cmp_int64(const void* a, const void* b) noexcept nogil:
    cdef int64_t x = (<const int64_t*>a)[0]
    cdef int64_t y = (<const int64_t*>b)[0]
    return (x > y) - (x < y)


cdef Py_ssize_t _sort_unique(int64_t* xs, Py_ssize_t n, bint unique) noexcept nogil:
    cdef Py_ssize_t i, k
    if n == 0:
        return 0
    qsort(xs, n, sizeof(int64_t), _cmp_int64)
    if not unique:
        return n
    k = 1
    for i in range(1, n):
        if xs[i] != xs[k - 1]:
            xs[k] = xs[i]
            k += 1
    return k


cdef int _cmp_pair(const void* a, const void* b) noexcept nogil:
    cdef const int64_t* x = <const int64_t*>a
    cdef const int64_t* y = <const int64_t*>b
    if x[0] != y[0]:
        return (x[0] > y[0]) - (x[0] < y[0])
    return (x[1] > y[1]) - (x[1] < y[1])


cdef Py_ssize_t _sort_unique_pairs(int64_t* xs, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, k
    if n == 0:
        return 0
    qsort(xs, n, 2 * sizeof(int64_t), _cmp_pair)
    k = 1
    for i in range(1, n):
        if xs[2 * i] != xs[2 * k - 2] or xs[2 * i + 1] != xs[2 * k - 1]:
            xs[2 * k] = xs[2 * i]
            xs[2 * k + 1] = xs[2 * i + 1]
            k += 1
    return k


cdef Py_ssize_t _tokenise(const Py_UCS4* text, Py_ssize_t n, Py_UCS4* low,
                          Token* toks) noexcept nogil:
    cdef Py_ssize_t i = 0, j, start, count = 0, prev_end = 0, n_caps = 0
    cdef Py_UCS4 ch
    cdef bint sentence_start, title
    for i in range(n):
        ch = text[i]
        if ch >= u'A' and ch <= u'Z':
            ch = <Py_UCS4>(<unsigned int>ch + 32)
        elif ch == 0x2019:
            ch = u"'"
        low[i] = ch
    i = 0
    while i < n:
        if not Py_UNICODE_ISALNUM(text[i]):
            i += 1
            continue
        start = i
        i += 1
        while i < n:
            ch = text[i]
            if Py_UNICODE_ISALNUM(ch):
                i += 1
            elif ((ch == u"'" or ch == 0x2019) and i + 1 < n and Py_UNICODE_ISALNUM(text[i + 1])) or (
                    _separator(ch) and i + 1 < n and _digit(text[i - 1]) and _digit(text[i + 1])):
                i += 2
            else:
                break
        sentence_start = count == 0
        for j in range(prev_end, start):
            if _sentence_end(text[j]):
                sentence_start = True
        toks[count].caps = Py_UNICODE_ISUPPER(text[start])
        toks[count].by_case = toks[count].caps and not sentence_start
        toks[count].by_digit = False
        for j in range(start + 1, i):
            if Py_UNICODE_ISUPPER(text[j]):
                toks[count].by_case = True
            if _digit(text[j]):
                toks[count].by_digit = True
        if toks[count].caps:
            n_caps += 1
        toks[count].start = start
        toks[count].end = i
        count += 1
        prev_end = i
    # In Title Case or ALL CAPS text, capitals say nothing about names.
    title = count >= 4 and 4 * n_caps >= 3 * count
    for j in range(count):
        toks[j].entityish = toks[j].by_digit or (toks[j].by_case and not title)
    return count


cdef struct Counts:
    Py_ssize_t neg
    Py_ssize_t nums
    Py_ssize_t units
    Py_ssize_t terms
    Py_ssize_t keys
    Py_ssize_t ents
    Py_ssize_t opp


cdef void _extract(const Py_UCS4* text, Py_ssize_t n, Py_UCS4* low, Py_UCS4* scratch,
                   Token* toks, const Lexicon* lex, int64_t* nums, int64_t* terms,
                   int64_t* keys, int64_t* ents, int64_t* opp, int64_t* units,
                   Counts* c) noexcept nogil:
    cdef Py_ssize_t ntok = _tokenise(text, n, low, toks)
    cdef Py_ssize_t i = 0, j, k, wl, dl, sl
    cdef const Py_UCS4* w
    cdef int64_t code, next_code, scode, cc, ucode, h, stem_code
    cdef uint64_t unit, value, current, total, v, digits_poly
    cdef bint plain_int, single_one, common
    c.neg = c.nums = c.units = c.terms = c.keys = c.ents = c.opp = 0
    while i < ntok:
        w = low + toks[i].start
        wl = toks[i].end - toks[i].start
        code = _lookup(lex, w, wl)
        if _digit(w[0]) or code & (F_CARDINAL | F_SCALE):
            unit = 0
            j = i
            single_one = False
            dl = 0
            plain_int = False
            if _digit(w[0]):
                plain_int = True
                while dl < wl and (_digit(w[dl]) or _separator(w[dl])):
                    if not _digit(w[dl]):
                        plain_int = False
                    dl += 1
                plain_int = plain_int and dl <= 15
            next_code = _lookup(lex, low + toks[i + 1].start,
                                toks[i + 1].end - toks[i + 1].start) if i + 1 < ntok else 0
            if _digit(w[0]) and not (plain_int and dl == wl and next_code & F_SCALE):
                digits_poly = HASH_SEED
                for k in range(dl):
                    if w[k] != u',':
                        digits_poly = digits_poly * HASH_MULT + <uint64_t>w[k]
                if dl < wl:
                    scode = _lookup(lex, w + dl, wl - dl)
                    if scode & F_ORD_SUFFIX:
                        unit = UNIT_ORDINAL
                        single_one = dl == 1 and w[0] == u'1'
                    elif scode & F_UNIT:
                        unit = <uint64_t>((scode >> UNIT_SHIFT) & 0xFFFF)
                    else:
                        unit = fmix64(_poly(w + dl, wl - dl)) | (<uint64_t>1 << 16)
            else:
                current = 0
                total = 0
                if _digit(w[0]):
                    for k in range(dl):
                        current = current * 10 + (<uint64_t>w[k] - 48)
                    j = i + 1
                while j < ntok:
                    if _digit(low[toks[j].start]):
                        break
                    cc = _lookup(lex, low + toks[j].start, toks[j].end - toks[j].start)
                    if not cc & (F_CARDINAL | F_SCALE):
                        break
                    v = <uint64_t>(cc >> VALUE_SHIFT)
                    if cc & F_CARDINAL:
                        current = current + v
                    elif v == 100:
                        current = (current if current > 1 else 1) * 100
                    else:
                        total = total + (current if current > 1 else 1) * v
                        current = 0
                    j += 1
                j -= 1
                value = total + current
                digits_poly = _decimal_poly(value)
                single_one = j == i and _equals(w, wl, "one", 3)
            if unit == 0 and j + 1 < ntok and not _digit(low[toks[j + 1].start]):
                ucode = _lookup(lex, low + toks[j + 1].start, toks[j + 1].end - toks[j + 1].start)
                if ucode & F_UNIT:
                    unit = <uint64_t>((ucode >> UNIT_SHIFT) & 0xFFFF)
                    j += 1
            if unit == 0:
                unit = _char_unit(lex, text, n, toks[j].end)
            if unit == 0:
                unit = _char_unit(lex, text, n, toks[i].start - 1)
            if not (single_one and (unit == 0 or unit == UNIT_ORDINAL)):
                h = <int64_t>_number_hash(digits_poly,
                                          UNIT_ORDINAL if unit == UNIT_ORDINAL else 0)
                nums[c.nums] = h
                c.nums += 1
                if unit != 0 and unit != UNIT_ORDINAL:
                    units[2 * c.units] = h
                    units[2 * c.units + 1] = <int64_t>unit
                    c.units += 1
            i = j + 1
            continue
        if code & F_ORDINAL:
            if (code >> VALUE_SHIFT) != 1:
                nums[c.nums] = <int64_t>_number_hash(
                    _decimal_poly(<uint64_t>(code >> VALUE_SHIFT)), UNIT_ORDINAL)
                c.nums += 1
            i += 1
            continue
        if code & F_NEG or _ends(w, wl, "n't", 3):
            if not (_equals(w, wl, "not", 3) and (
                    (i + 1 < ntok and _equals(low + toks[i + 1].start,
                                              toks[i + 1].end - toks[i + 1].start, "only", 4))
                    or (i > 0 and _equals(low + toks[i - 1].start,
                                          toks[i - 1].end - toks[i - 1].start, "or", 2))
                    or (i > 1 and _equals(low + toks[i - 2].start,
                                          toks[i - 2].end - toks[i - 2].start, "or", 2)))):
                c.neg += 1
            i += 1
            continue
        if code & F_OPPOSITE:
            opp[c.opp] = code >> VALUE_SHIFT
            c.opp += 1
        if code & F_STOP:
            i += 1
            continue
        for k in range(wl):
            scratch[k] = w[k]
        sl = _stem(scratch, wl)
        h = <int64_t>fmix64(_poly(scratch, sl))
        terms[c.terms] = h
        c.terms += 1
        stem_code = _lookup_hash(lex, h)
        if stem_code & F_OPPOSITE and not code & F_OPPOSITE:
            opp[c.opp] = stem_code >> VALUE_SHIFT
            c.opp += 1
        common = (code & (F_COMMON | F_UNIT)) != 0 or (stem_code & (F_COMMON | F_STOP)) != 0
        if not common:
            keys[c.keys] = h
            c.keys += 1
            if toks[i].entityish:
                ents[c.ents] = h
                c.ents += 1
        i += 1
    c.nums = _sort_unique(nums, c.nums, False)
    c.units = _sort_unique_pairs(units, c.units)
    c.terms = _sort_unique(terms, c.terms, True)
    c.keys = _sort_unique(keys, c.keys, True)
    c.ents = _sort_unique(ents, c.ents, True)
    c.opp = _sort_unique(opp, c.opp, True)


def word_hash(str text not None):
    """Signed 64-bit hash of ``text`` exactly as given (no normalisation)."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text)
    cdef Py_UCS4* buf = PyUnicode_AsUCS4Copy(text)
    cdef uint64_t h
    try:
        h = fmix64(_poly(buf, n))
    finally:
        PyMem_Free(buf)
    return <int64_t>h


def signature(str text not None, const int64_t[::1] lex_keys not None,
              const int64_t[::1] lex_codes not None):
    """Packed int64 guard signature of ``text``; layout in ``semroute.cache.guards.twin``."""
    if lex_keys.shape[0] != lex_codes.shape[0]:
        raise ValueError("lexicon keys and codes differ in length")
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text)
    cdef Lexicon lex
    lex.n = lex_keys.shape[0]
    lex.keys = &lex_keys[0] if lex.n else NULL
    lex.codes = &lex_codes[0] if lex.n else NULL
    cdef Py_UCS4* buf = PyUnicode_AsUCS4Copy(text)
    # One block: lowered text, stem scratch, tokens and the four outputs; a
    # text of n characters has at most n tokens, numbers or terms.
    cdef Py_ssize_t m = n + 1
    cdef Py_UCS4* low = <Py_UCS4*>malloc(2 * m * sizeof(Py_UCS4))
    cdef Token* toks = <Token*>malloc(m * sizeof(Token))
    cdef int64_t* work = <int64_t*>malloc(7 * m * sizeof(int64_t))
    cdef Counts c
    cdef Py_ssize_t total, pos, i
    cdef int64_t[::1] out
    try:
        if low == NULL or toks == NULL or work == NULL:
            raise MemoryError()
        with nogil:
            _extract(buf, n, low, low + m, toks, &lex, work, work + m, work + 2 * m,
                     work + 3 * m, work + 4 * m, work + 5 * m, &c)
        total = HEADER + c.nums + 2 * c.units + c.terms + c.keys + c.ents + c.opp
        out_arr = np.empty(total, dtype=np.int64)
        out = out_arr
        out[0] = c.neg
        out[1] = c.nums
        out[2] = c.units
        out[3] = c.terms
        out[4] = c.keys
        out[5] = c.ents
        out[6] = c.opp
        pos = HEADER
        for i in range(c.nums):
            out[pos] = work[i]
            pos += 1
        for i in range(2 * c.units):
            out[pos] = work[5 * m + i]
            pos += 1
        for i in range(c.terms):
            out[pos] = work[m + i]
            pos += 1
        for i in range(c.keys):
            out[pos] = work[2 * m + i]
            pos += 1
        for i in range(c.ents):
            out[pos] = work[3 * m + i]
            pos += 1
        for i in range(c.opp):
            out[pos] = work[4 * m + i]
            pos += 1
        return out_arr
    finally:
        PyMem_Free(buf)
        free(low)
        free(toks)
        free(work)


cdef bint _has_outside(const int64_t* xs, Py_ssize_t nx, const int64_t* ys,
                       Py_ssize_t ny) noexcept nogil:
    """Whether sorted ``xs`` has an element missing from sorted ``ys``."""
    cdef Py_ssize_t i = 0, j = 0
    while i < nx:
        while j < ny and ys[j] < xs[i]:
            j += 1
        if j >= ny or ys[j] != xs[i]:
            return True
        i += 1
    return False


cdef int _sides(const int64_t* xs, Py_ssize_t n, int64_t pair) noexcept nogil:
    cdef Py_ssize_t i
    cdef int out = 0
    for i in range(n):
        if xs[i] >> 1 == pair:
            out |= 1 << (xs[i] & 1)
    return out


cdef bint _opposed(const int64_t* a, Py_ssize_t na, const int64_t* b,
                   Py_ssize_t nb) noexcept nogil:
    """Each side uses one side of a pair, not the same one (see the twin)."""
    cdef Py_ssize_t i
    cdef int sb
    for i in range(na):
        sb = _sides(b, nb, a[i] >> 1)
        if sb != 0 and (sb ^ _sides(a, na, a[i] >> 1)) == 3:
            return True
    return False


cdef bint _units_differ(const int64_t* a, Py_ssize_t na, const int64_t* b,
                       Py_ssize_t nb) noexcept nogil:
    """A number both sides give units for, with different units (pairs sorted)."""
    cdef Py_ssize_t i = 0, j = 0, i_end, j_end, k
    while i < na and j < nb:
        if a[2 * i] < b[2 * j]:
            i += 1
        elif a[2 * i] > b[2 * j]:
            j += 1
        else:
            i_end = i
            while i_end < na and a[2 * i_end] == a[2 * i]:
                i_end += 1
            j_end = j
            while j_end < nb and b[2 * j_end] == b[2 * j]:
                j_end += 1
            if i_end - i != j_end - j:
                return True
            for k in range(i_end - i):
                if a[2 * (i + k) + 1] != b[2 * (j + k) + 1]:
                    return True
            i = i_end
            j = j_end
    return False


cdef int _check(const int64_t[::1] sig) except -1:
    cdef Py_ssize_t n = sig.shape[0], k, total = HEADER
    if n < HEADER:
        raise ValueError("signature too short")
    for k in range(1, HEADER):
        if sig[k] < 0:
            raise ValueError("signature length does not match its header")
        total += 2 * sig[k] if k == 2 else sig[k]
    if total != n:
        raise ValueError("signature length does not match its header")
    return 0


def compare(const int64_t[::1] a not None, const int64_t[::1] b not None, long mask):
    """The first guard in ``mask`` that tells signatures ``a`` and ``b`` apart, or 0.

    Order: numbers (and their units), negation, opposites, a swapped name, key
    terms (see the twin).
    """
    _check(a)
    _check(b)
    cdef const int64_t* pa = &a[0]
    cdef const int64_t* pb = &b[0]
    cdef Py_ssize_t i
    cdef const int64_t* nums_a = pa + HEADER
    cdef const int64_t* units_a = nums_a + pa[1]
    cdef const int64_t* terms_a = units_a + 2 * pa[2]
    cdef const int64_t* keys_a = terms_a + pa[3]
    cdef const int64_t* ents_a = keys_a + pa[4]
    cdef const int64_t* opp_a = ents_a + pa[5]
    cdef const int64_t* nums_b = pb + HEADER
    cdef const int64_t* units_b = nums_b + pb[1]
    cdef const int64_t* terms_b = units_b + 2 * pb[2]
    cdef const int64_t* keys_b = terms_b + pb[3]
    cdef const int64_t* ents_b = keys_b + pb[4]
    cdef const int64_t* opp_b = ents_b + pb[5]
    cdef int result = 0
    cdef bint oka, okb, oea, oeb
    with nogil:
        oka = _has_outside(keys_a, pa[4], terms_b, pb[3])
        okb = _has_outside(keys_b, pb[4], terms_a, pa[3])
        oea = _has_outside(ents_a, pa[5], terms_b, pb[3])
        oeb = _has_outside(ents_b, pb[5], terms_a, pa[3])
        if mask & 1:
            if pa[1] != pb[1]:
                result = 1
            else:
                for i in range(pa[1]):
                    if nums_a[i] != nums_b[i]:
                        result = 1
                        break
            if result == 0 and _units_differ(units_a, pa[2], units_b, pb[2]):
                result = 1
        if result == 0 and mask & 2 and (pa[0] == 0) != (pb[0] == 0):
            result = 2
        if result == 0 and mask & 16 and _opposed(opp_a, pa[6], opp_b, pb[6]):
            result = 16
        if result == 0 and mask & 8 and ((oea and okb) or (oeb and oka)):
            result = 8
        if result == 0 and mask & 4 and ((oka and okb) or oea or oeb):
            result = 4
    return result
