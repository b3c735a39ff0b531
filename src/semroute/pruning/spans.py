"""Offsets in and out of the pruner: chunks joined into one source, kept pieces back to text."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from semroute.errors import InputError, InputTypeError

__all__ = ["CHUNK_SEPARATOR", "join_chunks", "kept_runs", "render"]

#: A list of chunks is pruned as the text ``CHUNK_SEPARATOR.join(chunks)``;
#: ``Pruned.kept_spans`` are offsets into that joined text.
CHUNK_SEPARATOR = "\n\n"


def join_chunks(context: str | Sequence[str]) -> tuple[str, list[int]]:
    """The context as one source string, and where each chunk starts in it."""
    starts: list[int] = []
    if isinstance(context, str):
        source = context
    elif isinstance(context, (bytes, bytearray)) or not isinstance(context, Sequence):
        raise InputTypeError(
            f"context must be str or a sequence of str, not {type(context).__name__}"
        )
    else:
        if not all(isinstance(c, str) for c in context):
            raise InputTypeError("every chunk of the context must be str")
        pos = 0
        for chunk in context:
            starts.append(pos)
            pos += len(chunk) + len(CHUNK_SEPARATOR)
        source = CHUNK_SEPARATOR.join(context)
    if not source.strip():
        raise InputError("context is empty")
    return source, starts


def kept_runs(
    starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64], keep: npt.NDArray[np.bool_]
) -> tuple[tuple[int, int], ...]:
    """Maximal runs of consecutive kept pieces as source offsets."""
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return ()
    breaks = np.flatnonzero(np.diff(idx) > 1)
    firsts = idx[np.concatenate([[0], breaks + 1])]
    lasts = idx[np.concatenate([breaks, [idx.size - 1]])]
    return tuple(zip(starts[firsts].tolist(), ends[lasts].tolist(), strict=True))


_CLOSERS = frozenset(".,;:!?)]}\u201d\u2019%")
_OPENERS = frozenset("([{\u201c\u2018$")


def render(source: str, spans: tuple[tuple[int, int], ...]) -> str:
    """The kept spans joined by a space, a newline or nothing (before closing punctuation)."""
    out: list[str] = []
    prev_end = -1
    for start, end in spans:
        if out:
            gap = source[prev_end:start]
            if "\n" in gap:
                out.append("\n\n" if gap.count("\n") > 1 else "\n")
            elif source[start] not in _CLOSERS and source[prev_end - 1] not in _OPENERS:
                out.append(" ")
        out.append(source[start:end])
        prev_end = end
    return "".join(out)
