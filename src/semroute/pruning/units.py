"""The units the pruner selects among: sentences (and lines) or passages, and titles.

Spans are character offsets into the source, trimmed of surrounding space;
fenced code blocks are always one unit each.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from semroute.pruning.words import ABBREVIATIONS

__all__ = ["title_units", "units"]

_FENCE = re.compile(r"^[ \t]*(```|~~~)[^\n]*\n.*?^[ \t]*\1[^\n]*$", re.M | re.S)
_PASSAGE_BREAK = re.compile(r"\n[ \t\r]*\n\s*")
# Sentence end: terminal punctuation, closing quotes/brackets, whitespace, then
# something that can open a sentence. A newline always ends a unit: lists,
# headings and table rows read as separate lines.
_SENTENCE_BREAK = re.compile(
    r"(?<=[.!?\u2026\u3002])[\"'\u201d\u2019)\]]*[ \t]+"
    r"(?=[\"'\u201c\u2018(\[]?[A-Z0-9\u00c0-\u00de])"
    r"|[ \t]*\n\s*"
)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    segment = text[start:end]
    stripped = segment.strip()
    if not stripped:
        return None
    lead = len(segment) - len(segment.lstrip())
    return start + lead, start + lead + len(stripped)


_WORD_END_PUNCT = ".!?\u2026\"'\u201d\u2019)]"


def _is_abbreviation(text: str, start: int, end: int) -> bool:
    """Whether the word ending at ``end`` (with its full stop) is an abbreviation or initial."""
    word_start = max(text.rfind(" ", start, end) + 1, start)
    word = text[word_start:end].rstrip(_WORD_END_PUNCT).lstrip("(\"'\u201c\u2018")
    # A single capital is an initial ("J. R. Smith"); "a." ends a sentence.
    return word.casefold() in ABBREVIATIONS or (len(word) == 1 and word.isupper())


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_BREAK.finditer(text, start, end):
        cut = match.start()
        newline = "\n" in match.group()
        if not newline and text[cut - 1] == "." and _is_abbreviation(text, cursor, cut):
            continue
        if not newline:
            # Closing quotes and brackets belong to the sentence they end.
            cut += len(match.group().rstrip())
        span = _trimmed(text, cursor, cut)
        if span is not None:
            out.append(span)
        cursor = match.end()
    span = _trimmed(text, cursor, end)
    if span is not None:
        out.append(span)
    return out


def units(
    text: str, *, granularity: str, chunk_starts: Sequence[int] = ()
) -> tuple[list[tuple[int, int]], list[int], list[bool]]:
    """Units to select among: ``(spans, passage index of each, is-code flag of each)``.

    Fenced code blocks are always one unit each. Passages are separated by a
    blank line or start at one of ``chunk_starts``; with ``granularity
    "sentence"`` each passage is further split into sentences (and lines).
    """
    boundaries = sorted({0, *chunk_starts, len(text)})
    spans: list[tuple[int, int]] = []
    passage: list[int] = []
    code: list[bool] = []
    p = 0

    def add_text(start: int, end: int) -> None:
        nonlocal p
        cursor = start
        for brk in [*_PASSAGE_BREAK.finditer(text, start, end), None]:
            stop = end if brk is None else brk.start()
            if granularity == "sentence":
                found = _sentences(text, cursor, stop)
            else:
                one = _trimmed(text, cursor, stop)
                found = [one] if one is not None else []
            if found:
                spans.extend(found)
                passage.extend([p] * len(found))
                code.extend([False] * len(found))
                p += 1
            if brk is not None:
                cursor = brk.end()

    for lo, hi in itertools.pairwise(boundaries):
        cursor = lo
        for fence in _FENCE.finditer(text, lo, hi):
            add_text(cursor, fence.start())
            spans.append((fence.start(), fence.end()))
            passage.append(p)
            code.append(True)
            p += 1
            cursor = fence.end()
        add_text(cursor, hi)
    return spans, passage, code


_TITLE_END = frozenset(".!?:;,\u2026")
_TITLE_MAX_WORDS = 16


def title_units(
    text: str, spans: Sequence[tuple[int, int]], passage: Sequence[int]
) -> npt.NDArray[np.bool_]:
    """Which units are a passage's title: its first line, short, without end punctuation.

    Retrieved passages often come as ``"Title\\ntext"``; the title names what
    the passage is about (often the entity a question asks after). Only a
    first unit ending at a newline, followed by more units of the same
    passage, counts.

    >>> t = "Paris\\nParis is in France. It is big.\\n\\nNo title here. Two."
    >>> s, p, _ = units(t, granularity="sentence")
    >>> title_units(t, s, p).tolist()
    [True, False, False, False, False]
    """
    n = len(spans)
    out = np.zeros(n, dtype=bool)
    for u in range(n):
        if (u > 0 and passage[u - 1] == passage[u]) or u + 1 >= n or passage[u + 1] != passage[u]:
            continue
        start, end = spans[u]
        line = text[start:end]
        if (
            "\n" not in text[end : spans[u + 1][0]]
            or line[-1] in _TITLE_END
            or len(line.split()) > _TITLE_MAX_WORDS
        ):
            continue
        out[u] = True
    return out
