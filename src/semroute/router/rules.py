"""Rules that force a tier: a regular expression (or a keyword) matched in the query."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from semroute.errors import ConfigError

__all__ = ["Rule"]


@dataclass(frozen=True, slots=True)
class Rule:
    """Force ``tier`` (a model name or index) for queries matching ``pattern``.

    ``pattern`` is a regular expression searched anywhere in the query,
    case-insensitive unless ``ignore_case=False``. ``name`` is what
    ``Decision.rule`` and ``Decision.reason`` show (default: the pattern).

    >>> Rule(r"\\bcontract", "gpt-4o").matches("Review this Contract clause")
    True
    """

    pattern: str
    tier: str | int
    ignore_case: bool = True
    name: str = ""
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.pattern, str) or not self.pattern:
            raise ConfigError("Rule.pattern must be a non-empty string")
        if isinstance(self.tier, bool) or not isinstance(self.tier, str | int):
            raise ConfigError(f"Rule.tier must be a model name or index, got {self.tier!r}")
        try:
            regex = re.compile(self.pattern, re.IGNORECASE if self.ignore_case else 0)
        except re.error as exc:
            raise ConfigError(f"Rule pattern {self.pattern!r} is not a valid regex: {exc}") from exc
        object.__setattr__(self, "_regex", regex)
        if not self.name:
            object.__setattr__(self, "name", self.pattern)

    @classmethod
    def keyword(cls, word: str, tier: str | int) -> Rule:
        """A rule matching ``word`` as a whole word (or phrase), any case."""
        if not isinstance(word, str) or not word.strip():
            raise ConfigError("keyword must be a non-empty string")
        word = word.strip()
        return cls(rf"(?<!\w){re.escape(word)}(?!\w)", tier, name=f"keyword {word!r}")

    def matches(self, query: str) -> bool:
        return self._regex.search(query) is not None
