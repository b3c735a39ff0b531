"""How a pruner scores and cuts: its options, validated on creation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Granularity", "PruneOptions"]

Granularity = Literal["sentence", "passage"]


@dataclass(frozen=True)
class PruneOptions:
    """How a :class:`Pruner` scores and cuts; validated on creation.

    ``keep``: regular expressions whose matches are never dropped (their
    units are always kept). ``granularity``: the coarse unit, ``"sentence"``
    or ``"passage"`` (blank-line separated blocks; each chunk of a list starts
    one). ``fine``: share of the budget won by removing words inside kept
    units, in [0, 0.9]; 0 keeps whole units, unless the best unit alone
    exceeds the budget (then words go inside it). ``lexical_weight``: weight
    of BM25 against embedding similarity in [0, 1]. ``neighbor_weight``: how
    much a unit borrows from its best neighbour in the same passage (answers
    often sit next to the sentence that matches the question). ``keep_code``:
    fenced code blocks are always kept. ``passage_weight``: weight of the
    BM25 score of a unit's whole passage (a sentence in a relevant paragraph
    is likelier to matter). ``keep_titles``: a passage's title line (its
    short first line, as in ``"Title\\ntext"``) is kept whenever a sentence
    of that passage is, and never alone. ``answer_weight``: bonus for a unit
    holding the kind of word the question asks for (a number for "when" or
    "how many", a name for "who" or "where") other than the query's own
    words. ``static_weight``: weight of the soft match through static word
    vectors (:mod:`semroute.pruning.static`): a passage gains when its words
    are close to the query's without being the same words, a sentence when
    its mean word vector is; no transformer pass.
    ``dense_tokens``: the encoder embeds
    the query plus only the lexically best units, up to this many tokens
    (``None``: every unit). The model costs far more per token than the rest
    of pruning, so this bounds latency whatever the context's size.

    >>> PruneOptions(granularity="passage").fine
    0.0
    """

    keep: tuple[str, ...] = ()
    granularity: Granularity = "sentence"
    fine: float = 0.0
    lexical_weight: float = 1.0
    neighbor_weight: float = 0.75
    keep_code: bool = True
    dense_tokens: int | None = 128
    passage_weight: float = 2.0
    keep_titles: bool = True
    answer_weight: float = 0.5
    static_weight: float = 2.0
    patterns: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from semroute.errors import ConfigError

        if isinstance(self.keep, str) or not all(isinstance(k, str) for k in self.keep):
            raise ConfigError("keep must be a sequence of regular expression strings")
        try:
            patterns = tuple(re.compile(k) for k in self.keep)
        except re.error as exc:
            raise ConfigError(f"bad keep pattern: {exc}") from exc
        object.__setattr__(self, "keep", tuple(self.keep))
        object.__setattr__(self, "patterns", patterns)
        if self.granularity not in ("sentence", "passage"):
            raise ConfigError(
                f"granularity must be 'sentence' or 'passage', not {self.granularity!r}"
            )
        for name, value, hi in (
            ("fine", self.fine, 0.9),
            ("lexical_weight", self.lexical_weight, 1.0),
            ("neighbor_weight", self.neighbor_weight, 1.0),
            ("passage_weight", self.passage_weight, 4.0),
            ("answer_weight", self.answer_weight, 4.0),
            ("static_weight", self.static_weight, 4.0),
        ):
            if not isinstance(value, (int, float)) or not 0.0 <= value <= hi:
                raise ConfigError(f"{name} must be a number in [0, {hi}], not {value!r}")
        if self.dense_tokens is not None and (
            isinstance(self.dense_tokens, bool)
            or not isinstance(self.dense_tokens, int)
            or self.dense_tokens < 0
        ):
            raise ConfigError(
                f"dense_tokens must be an int >= 0 or None, not {self.dense_tokens!r}"
            )
        if not isinstance(self.keep_titles, bool):
            raise ConfigError(f"keep_titles must be a bool, not {self.keep_titles!r}")
