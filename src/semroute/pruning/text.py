"""Text analysis for the pruner: pieces, units (sentences or passages), protected spans.

Everything here works on character offsets into one source string so the
pruner's output maps back to the input exactly. No corpus statistics: the
stop-word list below is written for this project, and every frequency the
pruner uses is counted in the context being pruned.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from semroute import _prunecore

# A piece is a run of word characters or one other non-space character. BERT's
# pre-tokenizer splits on whitespace and punctuation the same way, so the
# shipped tokenizer's count of a text is the sum of its pieces' counts.
_PIECE_SPLIT = re.compile(r"(\w+|[^\w\s])")

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
_QUOTED = re.compile(
    r"\"[^\"\n]{1,300}\"|\u201c[^\u201d\n]{1,300}\u201d|\u2018[^\u2019\n]{1,300}\u2019|`[^`\n]{1,300}`"
)

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "inc",
        "ltd",
        "co",
        "corp",
        "no",
        "nos",
        "fig",
        "figs",
        "al",
        "cf",
        "approx",
        "dept",
        "est",
        "gen",
        "gov",
        "lt",
        "col",
        "capt",
        "sgt",
        "rev",
        "mt",
        "ft",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "u.n",
        "ph.d",
        "b.c",
        "a.d",
        "a.m",
        "p.m",
        "vol",
        "pp",
        "ed",
        "eds",
        "op",
    ]
)

# English function words: articles, pronouns, auxiliaries, prepositions,
# conjunctions and common fillers. Written for semroute; they carry little
# information on their own, so the fine pass drops them first.
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "i",
        "me",
        "my",
        "mine",
        "we",
        "us",
        "our",
        "ours",
        "you",
        "your",
        "yours",
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "it",
        "its",
        "they",
        "them",
        "their",
        "theirs",
        "who",
        "whom",
        "whose",
        "which",
        "what",
        "when",
        "where",
        "why",
        "how",
        "is",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "doing",
        "done",
        "have",
        "has",
        "had",
        "having",
        "will",
        "would",
        "shall",
        "should",
        "can",
        "could",
        "may",
        "might",
        "must",
        "ought",
        "of",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "about",
        "against",
        "between",
        "into",
        "through",
        "during",
        "before",
        "after",
        "above",
        "below",
        "to",
        "from",
        "up",
        "down",
        "out",
        "off",
        "over",
        "under",
        "again",
        "further",
        "then",
        "once",
        "upon",
        "within",
        "without",
        "toward",
        "towards",
        "onto",
        "across",
        "along",
        "among",
        "around",
        "behind",
        "beyond",
        "near",
        "since",
        "until",
        "via",
        "per",
        "and",
        "but",
        "or",
        "nor",
        "so",
        "yet",
        "if",
        "because",
        "as",
        "while",
        "although",
        "though",
        "unless",
        "whether",
        "than",
        "not",
        "no",
        "only",
        "very",
        "too",
        "also",
        "just",
        "quite",
        "rather",
        "really",
        "simply",
        "actually",
        "basically",
        "even",
        "still",
        "such",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "any",
        "all",
        "own",
        "same",
        "another",
        "either",
        "neither",
        "every",
        "much",
        "many",
        "several",
        "however",
        "therefore",
        "thus",
        "hence",
        "moreover",
        "furthermore",
        "meanwhile",
        "indeed",
        "s",
        "t",
        "d",
        "ll",
        "m",
        "o",
        "re",
        "ve",
        "y",
    ]
)

# Small words that stay when they sit between two protected pieces, so names
# and ranges ("Bank of England", "10th and 11th", "1990 to 2000") keep intact.
_CONNECTORS = frozenset(
    [
        "of",
        "the",
        "and",
        "de",
        "la",
        "le",
        "du",
        "da",
        "del",
        "der",
        "van",
        "von",
        "y",
        "to",
        "or",
        "for",
        "on",
        "in",
        "at",
        "&",
    ]
)


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
    return word.casefold() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


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
    if folded in _CONNECTORS:
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
