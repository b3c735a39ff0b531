"""Text analysis for the pruner: pieces, their matching terms and flags, question kinds.

Everything here works on character offsets into one source string so the
pruner's output maps back to the input exactly. No corpus statistics: every
frequency the pruner uses is counted in the context being pruned. The units
(``units.py``), the protected ranges (``protected.py``) and the word lists
(``words.py``) live beside this module and are re-exported here, so the
pruner's text analysis reads as one namespace.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from semroute.pruning.protected import mark_ranges, occurrence_union, protected_ranges
from semroute.pruning.units import title_units, units
from semroute.pruning.words import CONNECTORS, STOP_WORDS

__all__ = [
    "CONNECTOR",
    "IS_WORD",
    "JOINER",
    "NUMBER",
    "STOP",
    "STOP_WORDS",
    "STRONG",
    "answer_type",
    "entity_like",
    "glued",
    "mark_ranges",
    "occurrence_union",
    "piece_flags",
    "pieces",
    "protected_ranges",
    "term_of",
    "title_units",
    "units",
]

# A piece is a run of word characters or one other non-space character. BERT's
# pre-tokenizer splits on whitespace and punctuation the same way, so the
# shipped tokenizer's count of a text is the sum of its pieces' counts.
_PIECE_SPLIT = re.compile(r"(\w+|[^\w\s])")


def pieces(text: str) -> tuple[list[str], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Split ``text`` into pieces with their ``(start, end)`` offsets.

    >>> pieces("Hi, Bob.")[0]
    ['Hi', ',', 'Bob', '.']
    """
    parts = _PIECE_SPLIT.split(text)
    # split() alternates gap, piece, gap, ..., gap: offsets are running lengths.
    ends = np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)))
    words = parts[1::2]
    piece_ends = ends[1::2]
    starts = piece_ends - np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    return words, starts, piece_ends


def term_of(piece: str) -> str:
    """The matching key of a piece: case-folded, English plural/possessive stripped.

    >>> term_of("Normans"), term_of("Duchies"), term_of("class")
    ('norman', 'duchy', 'class')
    """
    t = piece.casefold()
    if len(t) > 4 and t.endswith("ies"):
        return t[:-3] + "y"
    if len(t) > 3 and t.endswith("s") and not t.endswith(("ss", "us", "is")):
        return t[:-1]
    return t


IS_WORD = 1
STRONG = 2  # a number or a capitalised non-stop word: the fine pass keeps it
STOP = 4
CONNECTOR = 8
JOINER = 16  # an apostrophe, hyphen or slash that can glue two words into one
NUMBER = 32  # holds a digit

_JOINERS = frozenset("'\u2019-/\u2010\u2011")


def piece_flags(piece: str) -> int:
    """Bit flags of one piece: ``IS_WORD``, ``STRONG``, ``STOP``, ``CONNECTOR``, ``NUMBER``.

    >>> [piece_flags(w) for w in ("Bank", "of", "1694", "old", ",")]
    [3, 13, 35, 1, 0]
    """
    first = piece[:1]
    if not (first.isalnum() or first == "_"):
        return JOINER if piece in _JOINERS else 0
    folded = piece.casefold()
    flags = IS_WORD
    if folded in STOP_WORDS:
        flags |= STOP
    if folded in CONNECTORS:
        flags |= CONNECTOR
    if any(c.isdigit() for c in piece):
        flags |= STRONG | NUMBER
    elif not flags & STOP and (first.isupper() or (len(piece) > 1 and piece.isupper())):
        flags |= STRONG
    return flags


def glued(
    starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64], flags: npt.NDArray[np.uint8]
) -> npt.NDArray[np.bool_]:
    """Pieces that are part of a longer word ("don't", "x-ray", "and/or"): never cut apart.

    >>> words, s, e = pieces("don't x - y x-ray")
    >>> [w for w, g in zip(words, glued(s, e, np.array([piece_flags(w) for w in words], np.uint8)))
    ...  if g]
    ['don', "'", 't', 'x', '-', 'ray']
    """
    n = starts.shape[0]
    out = np.zeros(n, dtype=bool)
    if n < 3:
        return out
    touch = ends[:-1] == starts[1:]  # touch[i]: piece i and i + 1 have no space between
    joiner = (flags & JOINER) != 0
    link = np.zeros(n, dtype=bool)  # a joiner touching words on both sides
    link[1:-1] = joiner[1:-1] & touch[:-1] & touch[1:]
    out |= link
    out[:-1] |= link[1:]
    out[1:] |= link[:-1]
    return out


def entity_like(
    strong: npt.NDArray[np.bool_], connector: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Strong words plus connectors sitting between two strong words (over a word sequence).

    >>> entity_like(np.array([0, 1, 0, 1, 0], bool), np.array([1, 0, 1, 0, 0], bool)).tolist()
    [False, True, True, True, False]
    """
    out = strong.copy()
    if strong.size > 2:
        out[1:-1] |= connector[1:-1] & strong[:-2] & strong[2:]
    return out


_NUMBER_ASKS = re.compile(
    r"^\s*when\b|\b(what|which) (year|date|day|month|century|decade)\b"
    r"|\bhow (many|much|long|old|far|tall|big)\b",
    re.I,
)
_NAME_ASKS = re.compile(
    r"^\s*(who|whom|whose|where)\b|\bwho (is|was|are|were|did|does|has)\b", re.I
)


def answer_type(query: str) -> int:
    """What kind of piece answers ``query``: ``NUMBER``, ``STRONG`` (a name) or 0 (unknown).

    >>> answer_type("when did it start"), answer_type("Who wrote it?"), answer_type("why?")
    (32, 2, 0)
    """
    if _NUMBER_ASKS.search(query):
        return NUMBER
    if _NAME_ASKS.search(query):
        return STRONG
    return 0
