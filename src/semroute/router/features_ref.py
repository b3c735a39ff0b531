"""Lexical and structural routing features: the plain-Python twin of ``semroute._routefeat``.

Both take a list of texts and a cue table (sorted word/bigram hashes, each with
a cue group) and return one float32 row per text with :data:`FEATURE_NAMES`
columns. The cue words live here, in Python, so the native kernel holds no
policy: it only scans characters and looks hashes up.

Tokenisation, shared by both: a word is a maximal run of characters for which
``str.isalnum`` holds, lower-cased in ASCII only (so the two sides agree on
every code point); digits and letter case are counted in ASCII.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import groupby

import numpy as np
import numpy.typing as npt

_MASK64 = (1 << 64) - 1
FNV_SEED = 0xCBF29CE484222325
FNV_MULT = 0x100000001B3
BIGRAM_MULT = 0x9E3779B97F4A7C15

# Characters that mark formulas; '-' is left out because prose hyphenates.
MATH_CHARS = frozenset("+*/=^<>%|~\\$×÷±√∑∏∫π∞≤≥≠≈∈∉∀∃→⇒⇔∂∆Δθλμσαβγ∩∪⊂⊆°")
CODE_CHARS = frozenset("{}[];`_#@")

# Cue groups: words (or two-word phrases) whose presence hints at the kind of
# work a query asks for. Kept generic on purpose: topical signal comes from the
# embedding; these carry the task shape, which transfers across benchmarks.
CUE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "reasoning",
        (
            "prove",
            "proof",
            "derive",
            "why",
            "explain",
            "justify",
            "reason",
            "reasoning",
            "analyze",
            "analyse",
            "infer",
            "deduce",
            "implies",
            "therefore",
            "hence",
            "conclude",
            "argument",
            "valid",
            "assume",
            "suppose",
            "if and",
        ),
    ),
    (
        "compute",
        (
            "calculate",
            "compute",
            "solve",
            "how many",
            "how much",
            "equation",
            "integral",
            "derivative",
            "probability",
            "sum",
            "total",
            "percent",
            "percentage",
            "ratio",
            "average",
            "minimum",
            "maximum",
            "value of",
            "expected",
            "estimate",
        ),
    ),
    (
        "multistep",
        (
            "step",
            "steps",
            "then",
            "next",
            "finally",
            "after",
            "remaining",
            "each",
            "per",
            "twice",
            "times",
            "left",
            "step by",
        ),
    ),
    (
        "code",
        (
            "function",
            "code",
            "python",
            "java",
            "javascript",
            "sql",
            "implement",
            "algorithm",
            "def",
            "return",
            "import",
            "bug",
            "debug",
            "program",
            "compile",
            "regex",
            "array",
            "string",
            "loop",
            "output",
            "input",
            "class",
        ),
    ),
    (
        "constraint",
        (
            "must",
            "exactly",
            "format",
            "json",
            "table",
            "words",
            "sentences",
            "at least",
            "at most",
            "only",
            "boxed",
            "concise",
            "within",
        ),
    ),
    (
        "factual",
        (
            "who",
            "what",
            "when",
            "where",
            "which",
            "name",
            "define",
            "capital",
            "what is",
            "who was",
            "is called",
            "known as",
        ),
    ),
    (
        "open",
        (
            "write",
            "story",
            "poem",
            "essay",
            "describe",
            "summarize",
            "summarise",
            "translate",
            "opinion",
            "discuss",
            "compare",
            "evaluate",
            "recommend",
        ),
    ),
    (
        "negation",
        ("not", "except", "never", "least", "false", "incorrect", "cannot", "neither", "nor"),
    ),
)

FEATURE_NAMES: tuple[str, ...] = (
    "log_chars",
    "log_words",
    "mean_word_len",
    "log_max_word_len",
    "digit_frac",
    "log_numbers",
    "log_max_number_len",
    "math_frac",
    "code_frac",
    "upper_frac",
    "non_ascii_frac",
    "log_newlines",
    "log_sentences",
    "log_question_marks",
    "log_option_lines",
    *(f"cue_{name}" for name, _ in CUE_GROUPS),
)
N_FEATURES = len(FEATURE_NAMES)

# Rates are shrunk towards plain prose, as if every text carried PRIOR_CHARS
# more characters (PRIOR_WORDS more words of PRIOR_WORD_LEN letters) with no
# digits, symbols or capitals: "2+2?" is not 40 % formula in any useful sense,
# and the shrinkage keeps short chat queries from looking like maths papers.
PRIOR_CHARS = 40.0
PRIOR_WORDS = 5.0
PRIOR_WORD_LEN = 4.5
N_BASE = N_FEATURES - len(CUE_GROUPS)


def _lower_ascii(ch: str) -> str:
    return chr(ord(ch) + 32) if "A" <= ch <= "Z" else ch


def word_hash(word: str) -> int:
    """FNV-1a over the code points of ``word`` (ASCII-lower-cased), as a signed int64."""
    h = FNV_SEED
    for ch in word:
        h = ((h ^ ord(_lower_ascii(ch))) * FNV_MULT) & _MASK64
    return h - (1 << 64) if h >= 1 << 63 else h


def _bigram(h1: int, h2: int) -> int:
    h = (((h1 & _MASK64) * BIGRAM_MULT) ^ (h2 & _MASK64)) & _MASK64
    h = (h * FNV_MULT) & _MASK64
    return h - (1 << 64) if h >= 1 << 63 else h


def phrase_hash(phrase: str) -> int:
    """Hash of a one- or two-word cue, as the scanners compute it over running text."""
    words = phrase.split()
    if len(words) == 1:
        return word_hash(words[0])
    if len(words) == 2:
        return _bigram(word_hash(words[0]), word_hash(words[1]))
    raise ValueError(f"cues have one or two words, got {phrase!r}")


def cue_table() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """Sorted cue hashes and the group of each, ready for ``text_features``."""
    table: dict[int, int] = {}
    for group, (_, phrases) in enumerate(CUE_GROUPS):
        for phrase in phrases:
            h = phrase_hash(phrase)
            if h in table:
                raise ValueError(f"cue {phrase!r} listed twice")
            table[h] = group
    keys = sorted(table)
    return np.array(keys, dtype=np.int64), np.array([table[k] for k in keys], dtype=np.int32)


def _is_option_line(text: str, start: int) -> bool:
    """A multiple-choice option: ``A.`` / ``B)`` / ``(C)`` after optional blanks."""
    n = len(text)
    i = start
    while i < n and text[i] in " \t":
        i += 1
    if i + 1 < n and "A" <= text[i] <= "J" and text[i + 1] in ".)":
        return True
    return i + 2 < n and text[i] == "(" and "A" <= text[i + 1] <= "J" and text[i + 2] == ")"


def _words(text: str) -> list[str]:
    return ["".join(run) for alnum, run in groupby(text, key=str.isalnum) if alnum]


def _row(text: str, lookup: dict[int, int], n_groups: int) -> list[float]:
    n = len(text)
    digits = numbers = max_number = run = 0
    math_chars = code = upper = letters = non_ascii = 0
    newlines = sentences = questions = 0
    options = int(n > 0 and _is_option_line(text, 0))
    for i, ch in enumerate(text):
        if "0" <= ch <= "9":
            digits += 1
            run += 1
        elif run:
            numbers += 1
            max_number = max(max_number, run)
            run = 0
        if "A" <= ch <= "Z":
            upper += 1
            letters += 1
        elif "a" <= ch <= "z":
            letters += 1
        if ord(ch) > 127:
            non_ascii += 1
        if ch in MATH_CHARS:
            math_chars += 1
        elif ch in CODE_CHARS:
            code += 1
        if ch == "\n":
            newlines += 1
            options += _is_option_line(text, i + 1)
        elif ch == "?":
            questions += 1
        if ch in ".?!" and (i + 1 == n or text[i + 1].isspace()):
            sentences += 1
    if run:
        numbers += 1
        max_number = max(max_number, run)

    words = _words(text)
    cues = [0] * n_groups
    hashes = [word_hash(w) for w in words]
    for k, h in enumerate(hashes):
        for key in (h, _bigram(hashes[k - 1], h)) if k else (h,):
            group = lookup.get(key)
            if group is not None:
                cues[group] += 1
    word_chars = sum(len(w) for w in words)
    chars = n + PRIOR_CHARS
    base = [
        math.log1p(n),
        math.log1p(len(words)),
        (word_chars + PRIOR_WORD_LEN * PRIOR_WORDS) / (len(words) + PRIOR_WORDS),
        math.log1p(max((len(w) for w in words), default=0)),
        digits / chars,
        math.log1p(numbers),
        math.log1p(max_number),
        math_chars / chars,
        code / chars,
        upper / (letters + PRIOR_CHARS),
        non_ascii / chars,
        math.log1p(newlines),
        math.log1p(sentences),
        math.log1p(questions),
        math.log1p(options),
    ]
    return base + [math.log1p(c) for c in cues]


def text_features(
    texts: Sequence[str], cue_hashes: npt.NDArray[np.int64], cue_groups: npt.NDArray[np.int32]
) -> npt.NDArray[np.float32]:
    """One row of :data:`FEATURE_NAMES` per text, as the native kernel computes it."""
    if cue_hashes.shape != cue_groups.shape:
        raise ValueError("cue_hashes and cue_groups differ in length")
    n_groups = N_FEATURES - N_BASE
    if cue_groups.size and (cue_groups.min() < 0 or cue_groups.max() >= n_groups):
        raise ValueError(f"cue groups must lie in [0, {n_groups})")
    lookup = {int(h): int(g) for h, g in zip(cue_hashes, cue_groups, strict=True)}
    out = np.zeros((len(texts), N_FEATURES), dtype=np.float32)
    for row, text in enumerate(texts):
        out[row] = _row(text, lookup, n_groups)
    return out
