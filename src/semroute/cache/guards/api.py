"""Hit guards: refuse a cache candidate that is similar but means something else.

A candidate is only checked once it is already above the similarity threshold.
It is refused when the two queries differ in

- ``numbers`` (on): "convert 5 km to miles" / "convert 8 km to miles"; written
  numbers, dates, versions and units count ("five kilometres" == "5 km");
- ``negation`` (on): one side is negated, the other not: "is X safe" /
  "is X not safe", "can" / "can't", "with" / "without", "a man" / "no man";
- ``opposites`` (on): each uses one side of an opposite pair, not the same
  one: "top" / "bottom", "jump into" / "jump out of", "buy" / "sell";
- ``entities`` (on): a name (capitalised mid-sentence, "iPhone", "gpt4") is
  swapped for another term: "flights to Paris" / "flights to Rome";
- ``direction`` (on): the same words on either side of "to", "into" or "than",
  swapped: "from Milan to Florence" / "from Florence to Milan", "is a wolf stronger
  than a bear" / "a bear stronger than a wolf" (``semroute.cache.guards.direction``);
- ``key_terms`` (off): stricter; each side has a rare word the other lacks
  ("learn python" / "learn java", lower-case), or a name is added. It also
  refuses many true paraphrases that swap a synonym ("gun" / "weapon"), so it
  is opt-in: see notes/guards.md for its measured cost.

The work is native (``semroute._guards``, twin ``semroute.cache.guards.twin``); the
English word lists are in ``semroute.cache.guards.words``. This module is named
``_guards_api`` because ``semroute._guards`` is the extension module.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from semroute import _guards as _native
from semroute.cache.guards import twin as _ref
from semroute.cache.guards import words as _words
from semroute.cache.guards.direction import Sides, direction_swapped, relation_sides
from semroute.errors import ConfigError, InputTypeError

__all__ = ["GuardSignature", "Guards", "guard_reason", "guard_signature"]

_REASONS = {
    _ref.GUARD_NUMBERS: "numbers",
    _ref.GUARD_NEGATION: "negation",
    _ref.GUARD_KEY_TERMS: "key_terms",
    _ref.GUARD_ENTITIES: "entities",
    _ref.GUARD_OPPOSITES: "opposites",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Guards:
    """Which guards run on a candidate above the threshold.

    >>> Guards().enabled
    ('numbers', 'negation', 'opposites', 'entities', 'direction')
    >>> Guards(key_terms=True, opposites=False, direction=False).enabled
    ('numbers', 'negation', 'entities', 'key_terms')
    """

    numbers: bool = True
    negation: bool = True
    opposites: bool = True
    entities: bool = True
    key_terms: bool = False
    direction: bool = True

    def __post_init__(self) -> None:
        for f in fields(self):
            if not isinstance(getattr(self, f.name), bool):
                raise ConfigError(f"Guards.{f.name} must be a bool, got {getattr(self, f.name)!r}")

    @classmethod
    def none(cls) -> Guards:
        """Every guard off: the similarity threshold alone decides."""
        return cls(
            numbers=False,
            negation=False,
            opposites=False,
            entities=False,
            key_terms=False,
            direction=False,
        )

    @property
    def any(self) -> bool:
        """Whether any guard is on (``mask`` covers the native ones only)."""
        return bool(self.mask) or self.direction

    @property
    def mask(self) -> int:
        """Bit mask the native ``compare`` takes (``direction`` is checked in Python)."""
        return (
            (_ref.GUARD_NUMBERS if self.numbers else 0)
            | (_ref.GUARD_NEGATION if self.negation else 0)
            | (_ref.GUARD_OPPOSITES if self.opposites else 0)
            | (_ref.GUARD_ENTITIES if self.entities else 0)
            | (_ref.GUARD_KEY_TERMS if self.key_terms else 0)
        )

    @property
    def enabled(self) -> tuple[str, ...]:
        """Names of the guards that are on, in the order they are checked."""
        return tuple(f.name for f in fields(self) if getattr(self, f.name))


@dataclass(frozen=True, slots=True, eq=False)
class GuardSignature:
    """What the guards need from one query, computed once (a few microseconds).

    A cache stores one per entry so a lookup only computes the query's.

    >>> sig = guard_signature("Is it safe to fly 2 hours after diving?")
    >>> sig.negations, sig.number_count
    (0, 1)
    """

    packed: npt.NDArray[np.int64]
    #: The relation words' sides, for the ``direction`` guard.
    sides: Sides = ()

    @property
    def negations(self) -> int:
        """How many negation cues the query has."""
        return int(self.packed[0])

    @property
    def number_count(self) -> int:
        """How many numbers (with their units) the query has."""
        return int(self.packed[1])


@lru_cache(maxsize=1)
def lexicon() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The word lists as sorted word hashes and aligned codes (see ``_guards_ref``)."""
    codes: dict[str, int] = {}

    def add(word: str, flag: int, unit: int = 0, value: int = 0) -> None:
        old = codes.get(word, 0)
        if unit and (old >> _ref.UNIT_SHIFT) & 0xFFFF:
            unit = 0  # first unit wins: "m" stays metres
        if value and old >> _ref.VALUE_SHIFT:
            value = 0
        codes[word] = old | flag | (unit << _ref.UNIT_SHIFT) | (value << _ref.VALUE_SHIFT)

    for word in _words.STOP:
        add(word, _ref.STOP)
    for word in _words.COMMON:
        add(word, _ref.COMMON)
    for word in _words.NEGATION:
        add(word, _ref.NEG)
    for word, value in _words.CARDINALS.items():
        add(word, _ref.CARDINAL, value=value)
    for word, value in _words.SCALES.items():
        add(word, _ref.SCALE, value=value)
    for word, value in _words.ORDINALS.items():
        add(word, _ref.ORDINAL, value=value)
    for word in _words.ORDINAL_SUFFIXES:
        add(word, _ref.ORD_SUFFIX)
    for pair, sides in enumerate(_words.OPPOSITES):
        for side, spellings in enumerate(sides):
            for word in spellings:
                if codes.get(word, 0) >> _ref.VALUE_SHIFT:  # pragma: no cover - list error
                    raise ConfigError(f"guard word {word!r} has two values")
                add(word, _ref.OPPOSITE, value=2 * pair + side)
    unit_ids = {name: i + 2 for i, name in enumerate(sorted(_words.UNITS))}
    for name, spellings in _words.UNITS.items():
        for word in spellings:
            add(word, _ref.UNIT, unit=unit_ids[name])
    for symbol, name in {**_words.PREFIX_UNITS, **_words.SUFFIX_UNITS}.items():
        add(symbol, _ref.UNIT, unit=unit_ids[name])
    hashed = sorted((_ref.word_hash(w), c) for w, c in codes.items())
    keys = np.array([h for h, _ in hashed], dtype=np.int64)
    if np.unique(keys).shape[0] != keys.shape[0]:  # pragma: no cover - a 64-bit collision
        raise ConfigError("guard word lists hash to colliding keys")
    values = np.array([c for _, c in hashed], dtype=np.int64)
    keys.flags.writeable = False
    values.flags.writeable = False
    return keys, values


def guard_signature(query: str) -> GuardSignature:
    """The guard signature of ``query``, to store next to a cache entry.

    >>> guard_signature("flights to Paris").packed.dtype
    dtype('int64')
    """
    if not isinstance(query, str):
        raise InputTypeError(f"query must be str, got {type(query).__name__}")
    keys, codes = lexicon()
    return GuardSignature(_native.signature(query, keys, codes), relation_sides(query))


def guard_reason(
    query: str | GuardSignature,
    cached_query: str | GuardSignature,
    guards: Guards | None = None,
) -> str | None:
    """Name of the first guard that refuses serving ``cached_query``'s answer, or None.

    Either side may be a text or a stored ``GuardSignature``.

    >>> guard_reason("convert 5 km to miles", "convert 8 km to miles")
    'numbers'
    >>> guard_reason("How do I reset my password?", "How can I reset my password?") is None
    True
    """
    if guards is None:
        guards = _DEFAULT
    elif not isinstance(guards, Guards):
        raise ConfigError(f"guards must be a Guards, got {type(guards).__name__}")
    mask = guards.mask
    if not mask and not guards.direction:
        return None
    a = query if isinstance(query, GuardSignature) else guard_signature(query)
    b = cached_query if isinstance(cached_query, GuardSignature) else guard_signature(cached_query)
    reason = _REASONS.get(_native.compare(a.packed, b.packed, mask)) if mask else None
    if reason is None and guards.direction and direction_swapped(a.sides, b.sides):
        return "direction"
    return reason


_DEFAULT = Guards()
