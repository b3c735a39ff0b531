"""Plain-Python twin of ``semroute._guards`` (the native hit-guard kernels).

Same signatures, same results, bit for bit: the native tests use this as the
oracle and ``benchmarks/cache/bench_guards.py`` shows what the native code buys.

A *signature* is one int64 array::

    [negations, n_numbers, n_units, n_terms, n_keys, n_entities, n_opposites,
     numbers (sorted, repeats kept), units (2 * n_units: number, unit pairs),
     terms, keys, entities, opposites (sorted, unique)]

- numbers: a hash per number, of its canonical digits (and whether it is an
  ordinal): "five" == "5", "2nd" != "2".
- units: (number hash, unit id) for each number written with a unit. Units are
  compared only where both sides give one for the same number: "5 km" ==
  "five kilometres" != "5 miles", while "under 15000" == "under 15000 INR".
- terms: stems of every word that is neither a stop word nor a negation cue.
- keys: the terms outside the COMMON list (rare/content terms).
- entities: keys written like a name (capitalised mid-sentence, inner capital,
  or a digit inside: "Paris", "iPhone", "gpt4").
- opposites: ``2 * pair + side`` for each word of an opposite pair
  ("top" / "bottom", "in" / "out", "buy" / "sell").

The lexicon is two aligned int64 arrays built by ``semroute._guards.lexicon``:
sorted word hashes and a code per word (flag bits, a unit id, a value).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Int64Array = npt.NDArray[np.int64]

_MASK64 = (1 << 64) - 1
_HASH_MULT = 0x100000001B3
_HASH_SEED = 0xCBF29CE484222325
_UNIT_MIX = 0x9E3779B97F4A7C15

# Lexicon code layout: flag bits, unit id in bits 8-23, value in bits 24-62.
STOP = 1
COMMON = 2
NEG = 4
CARDINAL = 8
SCALE = 16
ORDINAL = 32
UNIT = 64
ORD_SUFFIX = 128
OPPOSITE = 256
UNIT_SHIFT = 8
VALUE_SHIFT = 24

# Unit ids 0 and 1 are reserved: no unit, and "ordinal".
UNIT_ORDINAL = 1

# Guard bits returned by ``compare``.
GUARD_NUMBERS = 1
GUARD_NEGATION = 2
GUARD_KEY_TERMS = 4
GUARD_ENTITIES = 8
GUARD_OPPOSITES = 16

HEADER = 7

_SEPARATORS = ".,:/-"
_SENTENCE_END = ".?!\n"
_PREFIX_UNIT_CHARS = "$€£₹"
_SUFFIX_UNIT_CHARS = "%°"


def _fmix64(h: int) -> int:
    h ^= h >> 30
    h = (h * 0xBF58476D1CE4E5B9) & _MASK64
    h ^= h >> 27
    h = (h * 0x94D049BB133111EB) & _MASK64
    h ^= h >> 31
    return h


def _signed(h: int) -> int:
    return h - (1 << 64) if h >= 1 << 63 else h


def _poly(text: str) -> int:
    h = _HASH_SEED
    for ch in text:
        h = (h * _HASH_MULT + ord(ch)) & _MASK64
    return h


def word_hash(text: str) -> int:
    """Signed 64-bit hash of ``text`` exactly as given (no normalisation)."""
    return _signed(_fmix64(_poly(text)))


def _number_hash(digits: str, unit: int) -> int:
    return _signed(_fmix64(_poly(digits) ^ ((unit * _UNIT_MIX) & _MASK64)))


def _is_ascii_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


def _lower(ch: str) -> str:
    # ASCII only, so the native twin agrees on every code point; the word
    # lists are ASCII anyway. The typographic apostrophe becomes "'".
    if "A" <= ch <= "Z":
        return chr(ord(ch) + 32)
    if ch == "\u2019":
        return "'"
    return ch


class _Token:
    __slots__ = ("end", "entityish", "sentence_start", "start", "word")

    def __init__(self, start: int, end: int, word: str, entityish: bool, sentence_start: bool):
        self.start = start
        self.end = end
        self.word = word
        self.entityish = entityish
        self.sentence_start = sentence_start


def _tokens(text: str) -> list[_Token]:
    n = len(text)
    out: list[_Token] = []
    caps: list[bool] = []
    by_case: list[bool] = []
    by_digit: list[bool] = []
    i = 0
    prev_end = 0
    while i < n:
        if not _is_word_char(text[i]):
            i += 1
            continue
        start = i
        i += 1
        while i < n:
            ch = text[i]
            if _is_word_char(ch):
                i += 1
            elif ((ch == "'" or ch == "\u2019") and i + 1 < n and _is_word_char(text[i + 1])) or (
                ch in _SEPARATORS
                and i + 1 < n
                and _is_ascii_digit(text[i - 1])
                and _is_ascii_digit(text[i + 1])
            ):
                i += 2
            else:
                break
        sentence_start = not out
        for j in range(prev_end, start):
            if text[j] in _SENTENCE_END:
                sentence_start = True
        raw = text[start:i]
        tok = _Token(start, i, "".join(_lower(ch) for ch in raw), False, sentence_start)
        caps.append(raw[0].isupper())
        by_case.append(
            (raw[0].isupper() and not sentence_start) or any(ch.isupper() for ch in raw[1:])
        )
        by_digit.append(any(_is_ascii_digit(ch) for ch in raw[1:]))
        out.append(tok)
        prev_end = i
    # In Title Case or ALL CAPS text, capitals say nothing about names.
    title = len(out) >= 4 and 4 * sum(caps) >= 3 * len(out)
    for k, tok in enumerate(out):
        tok.entityish = by_digit[k] or (by_case[k] and not title)
    return out


def _lookup(keys: Int64Array, codes: Int64Array, word: str) -> int:
    h = word_hash(word)
    pos = int(np.searchsorted(keys, h))
    if pos < keys.shape[0] and int(keys[pos]) == h:
        return int(codes[pos])
    return 0


def _dedouble(w: str) -> str:
    if len(w) >= 2 and w[-1] == w[-2] and "a" <= w[-1] <= "z" and w[-1] not in "aeioulsz":
        return w[:-1]
    return w


# Longest first; one is stripped per pass, two passes ("generally" -> "gener").
# Over-stemming only merges words, which makes the key-term guard fire less.
SUFFIXES = (
    "ational", "ations", "ation", "ments", "ities", "ings", "ment", "ness", "ians",
    "ions", "able", "ible", "ity", "ian", "ion", "ing", "ers", "ies", "ied", "ful",
    "ary", "ive", "ous", "ly", "al", "ic", "en", "an", "er", "ed", "es", "s", "y",
    "e", "a", "i",
)  # fmt: skip


def _strip_suffix(w: str) -> str:
    for suffix in SUFFIXES:
        if len(w) - len(suffix) >= 3 and w.endswith(suffix):
            # "class", "virus", "analysis" keep their final s.
            if suffix == "s" and w[-2] in "sui":
                continue
            return w[: -len(suffix)]
    return w


def _stem(w: str) -> str:
    """A crude English stemmer: possessive, then up to two suffixes, then a doubled consonant."""
    if w.endswith("'s"):
        w = w[:-2]
    elif w.endswith("'"):
        w = w[:-1]
    return _dedouble(_strip_suffix(_strip_suffix(w)))


def _split_numeric(word: str) -> tuple[str, str]:
    k = 0
    while k < len(word) and (_is_ascii_digit(word[k]) or word[k] in _SEPARATORS):
        k += 1
    return word[:k], word[k:]


def _unit_of(code: int) -> int:
    return (code >> UNIT_SHIFT) & 0xFFFF


def _value_of(code: int) -> int:
    return code >> VALUE_SHIFT


def _char_unit(text: str, pos: int, keys: Int64Array, codes: Int64Array) -> int:
    if 0 <= pos < len(text) and (
        text[pos] in _PREFIX_UNIT_CHARS or text[pos] in _SUFFIX_UNIT_CHARS
    ):
        return _unit_of(_lookup(keys, codes, text[pos]))
    return 0


def signature(text: str, lex_keys: Int64Array, lex_codes: Int64Array) -> Int64Array:
    """Packed guard signature of ``text`` (see the module docstring for the layout)."""
    if lex_keys.shape != lex_codes.shape:
        raise ValueError("lexicon keys and codes differ in length")
    toks = _tokens(text)
    n = len(toks)
    negations = 0
    numbers: list[int] = []
    units: set[tuple[int, int]] = set()
    terms: set[int] = set()
    keys: set[int] = set()
    entities: set[int] = set()
    opposites: set[int] = set()
    i = 0
    while i < n:
        tok = toks[i]
        word = tok.word
        code = _lookup(lex_keys, lex_codes, word)
        first = word[0]
        if _is_ascii_digit(first) or code & (CARDINAL | SCALE):
            digits_part, suffix = _split_numeric(word) if _is_ascii_digit(first) else ("", "")
            unit = 0
            j = i
            value = 0
            plain_int = digits_part.isdigit() and digits_part.isascii() and len(digits_part) <= 15
            next_code = _lookup(lex_keys, lex_codes, toks[i + 1].word) if i + 1 < n else 0
            single_one = False
            if _is_ascii_digit(first) and not (plain_int and not suffix and next_code & SCALE):
                digits = digits_part.replace(",", "")
                if suffix:
                    scode = _lookup(lex_keys, lex_codes, suffix)
                    if scode & ORD_SUFFIX:
                        unit = UNIT_ORDINAL
                        # "1st" like "first" is too often an adverb to compare.
                        single_one = digits == "1"
                    elif scode & UNIT:
                        unit = _unit_of(scode)
                    else:
                        unit = _fmix64(_poly(suffix)) | (1 << 16)
            else:
                # A run of written numbers, possibly led by an integer: "5 million".
                current = int(digits_part) if _is_ascii_digit(first) else 0
                total = 0
                if _is_ascii_digit(first):
                    j = i + 1
                while j < n:
                    c = _lookup(lex_keys, lex_codes, toks[j].word)
                    if _is_ascii_digit(toks[j].word[0]) or not c & (CARDINAL | SCALE):
                        break
                    v = _value_of(c)
                    if c & CARDINAL:
                        current = (current + v) & _MASK64
                    elif v == 100:
                        current = (max(current, 1) * 100) & _MASK64
                    else:
                        total = (total + max(current, 1) * v) & _MASK64
                        current = 0
                    j += 1
                j -= 1
                value = (total + current) & _MASK64
                digits = str(value)
                # "one" on its own is mostly a pronoun ("which one is better").
                single_one = j == i and word == "one"
            if unit == 0 and j + 1 < n:
                ucode = _lookup(lex_keys, lex_codes, toks[j + 1].word)
                if ucode & UNIT and not _is_ascii_digit(toks[j + 1].word[0]):
                    unit = _unit_of(ucode)
                    j += 1
            if unit == 0:
                unit = _char_unit(text, toks[j].end, lex_keys, lex_codes)
            if unit == 0:
                unit = _char_unit(text, tok.start - 1, lex_keys, lex_codes)
            if not (single_one and unit in (0, UNIT_ORDINAL)):
                value = _number_hash(digits, UNIT_ORDINAL if unit == UNIT_ORDINAL else 0)
                numbers.append(value)
                if unit not in (0, UNIT_ORDINAL):
                    units.add((value, _signed(unit)))
            i = j + 1
            continue
        if code & ORDINAL:
            if _value_of(code) != 1:
                numbers.append(_number_hash(str(_value_of(code)), UNIT_ORDINAL))
            i += 1
            continue
        if code & NEG or word.endswith("n't"):
            # "not only", "or not", "why or why not" do not negate the question.
            if not (
                word == "not"
                and (
                    (i + 1 < n and toks[i + 1].word == "only")
                    or (i > 0 and toks[i - 1].word == "or")
                    or (i > 1 and toks[i - 2].word == "or")
                )
            ):
                negations += 1
            i += 1
            continue
        if code & OPPOSITE:
            opposites.add(_value_of(code))
        if code & STOP:
            i += 1
            continue
        stem = _stem(word)
        h = word_hash(stem)
        terms.add(h)
        stem_code = _lookup(lex_keys, lex_codes, stem)
        if stem_code & OPPOSITE and not code & OPPOSITE:
            opposites.add(_value_of(stem_code))
        common = code & (COMMON | UNIT) or stem_code & (COMMON | STOP)
        if not common:
            keys.add(h)
            if tok.entityish:
                entities.add(h)
        i += 1
    unit_pairs = [x for pair in sorted(units) for x in pair]
    parts = [sorted(numbers), unit_pairs, sorted(terms), sorted(keys), sorted(entities)]
    parts.append(sorted(opposites))
    header = [negations, len(parts[0]), len(units), *(len(p) for p in parts[2:])]
    return np.array(header + [x for p in parts for x in p], dtype=np.int64)


class _Sig:
    __slots__ = ("entities", "keys", "negations", "numbers", "opposites", "terms", "units")

    def __init__(self, sig: Int64Array) -> None:
        if sig.shape[0] < HEADER:
            raise ValueError("signature too short")
        counts = [int(c) for c in sig[1:HEADER]]
        if min(counts) < 0:
            raise ValueError("signature length does not match its header")
        counts[1] *= 2
        if HEADER + sum(counts) != sig.shape[0]:
            raise ValueError("signature length does not match its header")
        parts: list[list[int]] = []
        pos = HEADER
        for c in counts:
            parts.append([int(x) for x in sig[pos : pos + c]])
            pos += c
        self.negations = int(sig[0])
        self.numbers = parts[0]
        self.units: dict[int, set[int]] = {}
        for k in range(0, len(parts[1]), 2):
            self.units.setdefault(parts[1][k], set()).add(parts[1][k + 1])
        self.terms, self.keys, self.entities = set(parts[2]), set(parts[3]), set(parts[4])
        self.opposites = set(parts[5])


def _sides(opposites: set[int], pair: int) -> int:
    return sum(1 << (v & 1) for v in opposites if v >> 1 == pair)


def _opposed(a: set[int], b: set[int]) -> bool:
    # A clean swap: each side uses one side of the pair, not the same one
    # ("top" / "bottom"). "log out of" / "log out in" or "pros" / "pros and
    # cons" use both sides somewhere and are too often paraphrases.
    pairs = {v >> 1 for v in a} & {v >> 1 for v in b}
    return any(_sides(a, p) ^ _sides(b, p) == 3 for p in pairs)


def compare(a: Int64Array, b: Int64Array, mask: int) -> int:
    """The first guard in ``mask`` that tells ``a`` and ``b`` apart, or 0.

    Checked in this order:

    - numbers: the multisets of numbers differ, or a number both sides give a
      unit for has different units;
    - negation: one side has a negation cue and the other has none;
    - opposites: each uses one side of an opposite pair, not the same one;
    - entities: a name on one side is missing from the other, which has a
      rare term of its own in its place (a swap, not an addition);
    - key terms: each side has a rare term the other lacks, or a name is
      added on one side (strict: also fires on many synonym paraphrases).
    """
    sa, sb = _Sig(a), _Sig(b)
    only_keys_a, only_keys_b = sa.keys - sb.terms, sb.keys - sa.terms
    only_ents_a, only_ents_b = sa.entities - sb.terms, sb.entities - sa.terms
    if mask & GUARD_NUMBERS and (
        sa.numbers != sb.numbers
        or any(sa.units[v] != sb.units[v] for v in sa.units.keys() & sb.units.keys())
    ):
        return GUARD_NUMBERS
    if mask & GUARD_NEGATION and (sa.negations == 0) != (sb.negations == 0):
        return GUARD_NEGATION
    if mask & GUARD_OPPOSITES and _opposed(sa.opposites, sb.opposites):
        return GUARD_OPPOSITES
    if mask & GUARD_ENTITIES and ((only_ents_a and only_keys_b) or (only_ents_b and only_keys_a)):
        return GUARD_ENTITIES
    if mask & GUARD_KEY_TERMS and ((only_keys_a and only_keys_b) or only_ents_a or only_ents_b):
        return GUARD_KEY_TERMS
    return 0
