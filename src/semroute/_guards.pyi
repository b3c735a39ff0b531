"""Type stub for the native hit-guard kernels (csrc/_guards.pyx)."""

import numpy as np
import numpy.typing as npt

GUARD_NUMBERS: int
GUARD_NEGATION: int
GUARD_KEY_TERMS: int
GUARD_ENTITIES: int
GUARD_OPPOSITES: int

def word_hash(text: str) -> int: ...
def signature(
    text: str, lex_keys: npt.NDArray[np.int64], lex_codes: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]: ...
def compare(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], mask: int) -> int: ...
