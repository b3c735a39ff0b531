# cython: language_level=3, boundscheck=False, wraparound=False
"""Query normalisation and the 64-bit exact-match key.

The exact-match fast path keys every cached query by its normalised text:
case-folded, runs of whitespace collapsed to one space, surrounding
whitespace and trailing punctuation removed, except a ``!`` that can be a
factorial (right after a digit, a closing bracket or a one-letter word:
``What is 5!`` keeps it, ``Help!`` does not). ``query_key`` hashes that text
in the same single pass. The plain-Python twin is
``semroute.cache.text_ref.normalize_query`` / ``query_key``.
"""

from libc.stdint cimport uint64_t, int64_t
from cpython.unicode cimport (
    Py_UNICODE_ISALNUM,
    Py_UNICODE_ISALPHA,
    Py_UNICODE_ISDIGIT,
    Py_UNICODE_ISSPACE,
)

from cpython.mem cimport PyMem_Malloc, PyMem_Free

cdef extern from "Python.h":
    Py_ssize_t PyUnicode_GET_LENGTH(object)
    Py_UCS4 PyUnicode_READ_CHAR(object, Py_ssize_t)
    int PyUnicode_4BYTE_KIND
    object PyUnicode_FromKindAndData(int kind, const void* buffer, Py_ssize_t size)

# Polynomial hash over code points mod 2**64, then the splitmix64 finaliser.
# Both are a few integer operations per character and easy to reproduce in
# numpy; collisions are harmless because the cache also compares the text.
from _hashing cimport fmix64, hash_mult, hash_seed

cdef uint64_t HASH_MULT = hash_mult()
cdef uint64_t HASH_SEED = hash_seed()


cdef inline bint _is_trailing_punct(Py_UCS4 ch) nogil:
    return (ch == u'.' or ch == u'?' or ch == u'!' or ch == u',' or ch == u';'
            or ch == u':' or ch == 0x2026 or ch == 0x3002 or ch == 0xFF1F or ch == 0xFF01)


cdef inline bint _strippable(Py_UCS4 ch, Py_UCS4 p1, Py_UCS4 p2) noexcept:
    """Whether ``ch`` goes when trailing; ``p1``, ``p2`` precede it (0: none)."""
    if not _is_trailing_punct(ch):
        return False
    if ch == u'!' or ch == 0xFF01:
        # "5!", "(n+1)!", "n!": a factorial, not emphasis.
        if p1 != 0 and (Py_UNICODE_ISDIGIT(p1) or p1 == u')' or p1 == u']'):
            return False
        if p1 != 0 and Py_UNICODE_ISALPHA(p1) and (p2 == 0 or not Py_UNICODE_ISALNUM(p2)):
            return False
    return True


def normalize_query(str text not None):
    """Return ``text`` case-folded, whitespace-collapsed and stripped of trailing punctuation
    (a factorial's ``!`` stays).

    >>> normalize_query("  How do I   RESET my password?? ")
    'how do i reset my password'
    """
    cdef str folded = text.casefold()
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(folded)
    cdef Py_ssize_t i, length = 0, kept = 0
    cdef Py_UCS4 ch, p1 = 0, p2 = 0
    cdef bint pending_space = False
    cdef Py_UCS4* buf = <Py_UCS4*>PyMem_Malloc((n + 1) * sizeof(Py_UCS4))
    if buf == NULL:
        raise MemoryError()
    try:
        for i in range(n):
            ch = PyUnicode_READ_CHAR(folded, i)
            if Py_UNICODE_ISSPACE(ch):
                pending_space = length > 0
                continue
            if pending_space:
                buf[length] = 32
                length += 1
                pending_space = False
                p2, p1 = p1, 32
            buf[length] = ch
            length += 1
            if not _strippable(ch, p1, p2):
                kept = length
            p2, p1 = p1, ch
        return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, kept)
    finally:
        PyMem_Free(buf)


def query_key(str text not None):
    """The signed 64-bit hash of ``normalize_query(text)`` (fits an SQLite INTEGER).

    >>> query_key("Reset password?") == query_key("reset   PASSWORD")
    True
    """
    cdef str folded = text.casefold()
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(folded)
    cdef Py_ssize_t i, end = 0, last_kept = -1
    cdef Py_UCS4 ch, p1 = 0, p2 = 0
    cdef uint64_t h = HASH_SEED
    cdef uint64_t h_at_last_kept = HASH_SEED
    cdef bint pending_space = False
    cdef bint started = False
    for i in range(n):
        ch = PyUnicode_READ_CHAR(folded, i)
        if Py_UNICODE_ISSPACE(ch):
            pending_space = started
            continue
        if pending_space:
            h = h * HASH_MULT + <uint64_t>32
            pending_space = False
            p2, p1 = p1, 32
        h = h * HASH_MULT + <uint64_t>ch
        started = True
        # Remember the hash up to the last character that survives stripping
        # of trailing punctuation, so one pass suffices.
        if not _strippable(ch, p1, p2):
            h_at_last_kept = h
        p2, p1 = p1, ch
    return <int64_t>fmix64(h_at_last_kept)
