"""The character ranges pruning must respect, and the pieces they cover.

Quoted strings and inline code are never cut inside; matches of the ``keep``
patterns and of the query text are always kept, whole. The query is found
with the native ``find_all`` (its twin: ``core_ref.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from semroute import _prunecore

__all__ = ["mark_ranges", "occurrence_union", "protected_ranges"]

_QUOTED = re.compile(
    r"\"[^\"\n]{1,300}\"|\u201c[^\u201d\n]{1,300}\u201d|\u2018[^\u2019\n]{1,300}\u2019|`[^`\n]{1,300}`"
)


def protected_ranges(
    text: str, patterns: Sequence[re.Pattern[str]], literals: Sequence[str]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """``(quoted, must_keep)`` character ranges.

    Quoted strings and inline code are never cut inside. ``must_keep`` are
    matches of the user's ``keep`` patterns and case-insensitive occurrences
    of ``literals`` (the query): their units are always kept, whole.
    """
    quoted = [m.span() for m in _QUOTED.finditer(text)]
    keep = [m.span() for pat in patterns for m in pat.finditer(text) if m.end() > m.start()]
    folded = text.casefold()
    if len(folded) != len(text):
        return quoted, keep  # case folding changed lengths: offsets would not map back
    hay: npt.NDArray[np.uint32] | None = None
    for lit in literals:
        needle = lit.strip().casefold()
        if not needle or len(needle) > len(folded):
            continue
        if hay is None:
            hay = _code_points(folded)
        keep.extend(occurrence_union(_prunecore.find_all(hay, _code_points(needle)), len(needle)))
    return quoted, keep


def _code_points(text: str) -> npt.NDArray[np.uint32]:
    # surrogatepass: a lone surrogate is a code point like any other here.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def occurrence_union(starts: npt.NDArray[np.int64], length: int) -> list[tuple[int, int]]:
    """Merge occurrences ``[s, s + length)`` (``starts`` ascending) into disjoint ranges.

    Overlapping (or touching) occurrences become one range, so a needle found
    at every offset of a long run costs one range, not one per offset.

    >>> occurrence_union(np.array([0, 1, 2, 9]), 2)
    [(0, 4), (9, 11)]
    """
    if starts.size == 0:
        return []
    new_group = np.ones(starts.size, dtype=bool)
    new_group[1:] = starts[1:] > starts[:-1] + length
    firsts = starts[new_group]
    lasts = starts[[*np.flatnonzero(new_group[1:]).tolist(), starts.size - 1]] + length
    return list(zip(firsts.tolist(), lasts.tolist(), strict=True))


def mark_ranges(
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    ranges: Sequence[tuple[int, int]],
) -> npt.NDArray[np.bool_]:
    """Which pieces ``[starts[i], ends[i])`` overlap any of ``ranges``.

    Two binary searches per range and one pass over the pieces, whatever
    the number of ranges.
    """
    n = starts.shape[0]
    if not ranges or n == 0:
        return np.zeros(n, dtype=bool)
    bounds = np.asarray(ranges, dtype=np.int64).reshape(-1, 2)
    first = np.searchsorted(ends, bounds[:, 0], side="right")
    last = np.searchsorted(starts, bounds[:, 1], side="left")
    ok = last > first
    depth = np.zeros(n + 1, dtype=np.int64)
    np.add.at(depth, first[ok], 1)
    np.add.at(depth, last[ok], -1)
    return np.cumsum(depth[:-1]) > 0
