"""Plain-Python twins of the native ``_text`` kernels, with the same signatures.

They are the oracle for the native tests (hypothesis: both agree) and the
baseline in the benchmarks that show what each kernel buys.
"""

from __future__ import annotations

import numpy as np

_TRAILING_PUNCT = ".?!,;:\u2026\u3002\uff1f\uff01"
_HASH_MULT = 0x100000001B3
_HASH_SEED = 0xCBF29CE484222325
_MASK64 = (1 << 64) - 1


_BANGS = "!\uff01"


def _factorial(text: str, i: int) -> bool:
    """Whether the ``!`` at ``text[i]`` can be a factorial: after a digit, a closing
    bracket or a one-letter word ("5!", "(n+1)!", "n!"), where stripping it would
    turn "What is 5!" into "What is 5"."""
    before = text[i - 1] if i >= 1 else ""
    if before.isdigit() or before in (")", "]"):
        return True
    return before.isalpha() and (i < 2 or not text[i - 2].isalnum())


def normalize_query(text: str) -> str:
    """Case-fold, collapse whitespace, strip surrounding space and trailing punctuation
    except a factorial's ``!``."""
    collapsed = " ".join(text.casefold().split())
    end = len(collapsed)
    while end and (
        collapsed[end - 1] == " "
        or (
            collapsed[end - 1] in _TRAILING_PUNCT
            and not (collapsed[end - 1] in _BANGS and _factorial(collapsed, end - 1))
        )
    ):
        end -= 1
    return collapsed[:end]


def _fmix64(h: int) -> int:
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & _MASK64
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & _MASK64
    h ^= h >> 31
    return h


def query_key(text: str) -> int:
    """Signed 64-bit hash of ``normalize_query(text)``: polynomial over code points, then fmix64."""
    codes = np.frombuffer(normalize_query(text).encode("utf-32-le"), dtype=np.uint32)
    n = codes.size
    # h = seed * M**n + sum(c_i * M**(n-1-i)) mod 2**64; uint64 arithmetic wraps.
    powers = np.ones(n + 1, dtype=np.uint64)
    if n:
        powers[1:] = np.uint64(_HASH_MULT)
        powers = np.cumprod(powers, dtype=np.uint64)
    with np.errstate(over="ignore"):
        total = int(np.sum(codes.astype(np.uint64) * powers[n - 1 :: -1][:n], dtype=np.uint64))
    h = (_HASH_SEED * int(powers[n]) + total) & _MASK64
    h = _fmix64(h)
    return h - (1 << 64) if h >= 1 << 63 else h
