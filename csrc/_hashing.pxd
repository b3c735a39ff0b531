# cython: language_level=3
"""Hash primitives shared by the native modules (cimported, never imported).

The same polynomial hash over code points mod 2**64 and the splitmix64
finaliser back the exact-match key (_text) and the guard lexicon (_guards), so
the Python twins can reproduce both with one reference implementation.
"""

from libc.stdint cimport uint64_t

cdef inline uint64_t hash_mult() noexcept nogil:
    return 0x100000001B3ULL

cdef inline uint64_t hash_seed() noexcept nogil:
    return 0xCBF29CE484222325ULL

cdef inline uint64_t fmix64(uint64_t h) noexcept nogil:
    h ^= h >> 30
    h *= 0xBF58476D1CE4E5B9ULL
    h ^= h >> 27
    h *= 0x94D049BB133111EBULL
    h ^= h >> 31
    return h
