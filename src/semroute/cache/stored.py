"""What may be stored, and what a stored entry must look like to be served.

``encode`` is the one way a response becomes stored JSON: nesting is bounded
so that every reader (another process, a reopen, ``get`` deep in a caller's
stack) can decode what was written. ``decode`` is the reading side: an entry
whose JSON or vector cannot be used is reported as ``None`` so the caller skips
and counts it, and one damaged row never makes a store unusable.
"""

from __future__ import annotations

import json

import numpy as np
import numpy.typing as npt

from semroute._entry import Entry
from semroute.errors import InputError, InputTypeError

#: Deepest nesting of lists and objects a stored response may have. Real answers
#: (chat completions, tool calls, LangChain generations) stay under 20; Python's
#: JSON decoder fails near 1,000 minus the caller's stack depth.
MAX_JSON_DEPTH = 100
# A stored vector's squared length may be this far from 1 (float32 rounding is ~1e-6).
_UNIT_TOLERANCE = 1e-2


def encode(response: object) -> str:
    """``response`` as JSON text; ``InputError`` when nested deeper than ``MAX_JSON_DEPTH``.

    >>> encode({"answer": [1, 2]})
    '{"answer": [1, 2]}'
    """
    try:
        text = json.dumps(response, ensure_ascii=False, allow_nan=False)
    except RecursionError as exc:
        raise InputError(_too_deep()) from exc
    except (TypeError, ValueError) as exc:
        raise InputTypeError(
            f"response must be str or JSON-serialisable, not {type(response).__name__}: {exc}"
        ) from exc
    if _maybe_deep(text) and _depth_exceeds(response, MAX_JSON_DEPTH):
        raise InputError(_too_deep())
    return text


def _too_deep() -> str:
    return f"response is nested more than {MAX_JSON_DEPTH} levels deep; it cannot be stored"


def _maybe_deep(text: str) -> bool:
    # Counting brackets (in C) clears almost every response without walking it;
    # brackets inside strings only make the check conservative.
    return text.count("[") + text.count("{") > MAX_JSON_DEPTH


def _depth_exceeds(value: object, limit: int) -> bool:
    """Whether lists/tuples/dicts nest deeper than ``limit``; iterative, so never recursion."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: object = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        depth += 1
        if depth > limit:
            return True
        stack.extend((child, depth) for child in children)  # type: ignore[attr-defined]
    return False


def decode_value(text: str) -> tuple[bool, object]:
    """``(True, value)`` for stored JSON a reader can use, else ``(False, None)``."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return False, None
    if _maybe_deep(text) and _depth_exceeds(value, MAX_JSON_DEPTH):
        return False, None
    return True, value


def usable_vectors(matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
    """Rows that are finite and of unit length (a NaN row would shadow its neighbours)."""
    with np.errstate(over="ignore", invalid="ignore"):
        squared = np.einsum("ij,ij->i", matrix, matrix)
    ok: npt.NDArray[np.bool_] = np.isfinite(squared) & (np.abs(squared - 1.0) <= _UNIT_TOLERANCE)
    return ok


def decode(entry: Entry, dim: int) -> tuple[object, npt.NDArray[np.float32]] | None:
    """The response and vector of one stored entry, or ``None`` if either is unusable."""
    if len(entry.vector) != 4 * dim:
        return None
    vector = np.frombuffer(entry.vector, dtype="<f4").astype(np.float32)
    if not usable_vectors(vector[None, :])[0]:
        return None
    ok, value = decode_value(entry.response)
    return (value, vector) if ok else None
