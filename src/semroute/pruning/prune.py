"""Context pruning: cut a long prompt to a token budget, keeping what the query needs.

1. *Coarse*: the context is split into units (sentences or passages). Each
   unit is scored by BM25 of the query's content words with IDF counted
   inside this context, plus its whole passage's BM25 (``passage_weight``:
   in retrieved contexts the passage decides first), plus a bonus when it
   holds the kind of word the question asks for (``answer_weight``), plus a
   soft match through static word vectors (``static_weight``: passages and
   sentences that say the query in other words, no transformer pass); it
   then borrows from its best neighbour in the same passage. Passage titles ride
   with their passage. With ``lexical_weight < 1`` the encoder also embeds
   the query and the lexically best units (``dense_tokens``) in one batch and
   the similarity is fused in; the default skips the model (measured: it
   gains under a point of answer survival for about ten times the CPU).
   Without a query, units are ranked by in-context information density
   (and closeness to the centroid of the embedded units when the encoder is
   on). The best unit, then the best that fit the budget, are kept in their
   original order.
2. *Fine* (``fine > 0``, or when one unit alone exceeds the budget): inside
   kept units, the least informative words (in-context surprisal, stop words
   discounted, words of the most relevant units protected by a higher
   weight) are removed until the budget is met.

Never removed by the fine pass: numbers and dates, capitalised words (names)
and the small words joining them, quoted strings and inline code, query words.
Never dropped at all: units holding a ``keep`` pattern match or the query
text itself, and fenced code blocks (``keep_code``). Token counts use the
encoder's tokenizer (for the shipped encoder, BERT WordPiece) and are
approximate for other models' tokenizers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from semroute.errors import EncoderError, InputError, InputTypeError
from semroute.pruning.context import Analysis, analyse
from semroute.pruning.options import Granularity, PruneOptions
from semroute.pruning.scoring import score_units
from semroute.pruning.selection import drop_wordless_units, fine_drop, select_units, trim_units
from semroute.pruning.spans import CHUNK_SEPARATOR, join_chunks, kept_runs, render
from semroute.pruning.static import WordVectors, shipped_word_vectors
from semroute.pruning.vocab import PieceTable

if TYPE_CHECKING:
    from semroute._types import TextEncoder

__all__ = ["CHUNK_SEPARATOR", "PruneOptions", "Pruned", "Pruner", "prune"]


@dataclass(frozen=True)
class Pruned:
    """The result of pruning.

    ``kept_spans`` are ``(start, end)`` character offsets into the input
    string (for a list of chunks, into ``CHUNK_SEPARATOR.join(chunks)``), in
    order; ``text`` is those spans joined by a space, a newline or nothing
    (before closing punctuation). Token counts are under the encoder's
    tokenizer. ``ratio`` is ``kept_tokens / original_tokens``.
    """

    text: str
    kept_tokens: int
    original_tokens: int
    kept_spans: tuple[tuple[int, int], ...]
    units_kept: int
    units_total: int
    encoder_ms: float
    elapsed_ms: float

    @property
    def ratio(self) -> float:
        """Share of the input's tokens kept, in [0, 1]."""
        return self.kept_tokens / self.original_tokens if self.original_tokens else 1.0


class Pruner:
    """Reusable, thread-safe context pruner (see the module docs for the method).

    >>> pruner = Pruner(keep=[r"(?i)instructions:"])
    >>> text = "Paris is in France. The sky is blue. Cats purr. Rome is in Italy."
    >>> r = pruner.prune(text, query="Where is Paris?", ratio=0.3)
    >>> r.text
    'Paris is in France.'
    """

    def __init__(
        self,
        *,
        keep: Sequence[str] = (),
        granularity: Granularity = "sentence",
        encoder: TextEncoder | None = None,
        fine: float = 0.0,
        lexical_weight: float = 1.0,
        neighbor_weight: float = 0.75,
        keep_code: bool = True,
        dense_tokens: int | None = 128,
        passage_weight: float = 2.0,
        keep_titles: bool = True,
        answer_weight: float = 0.5,
        static_weight: float = 2.0,
        word_vectors: WordVectors | None = None,
    ) -> None:
        self.options = PruneOptions(
            keep=keep if isinstance(keep, str) else tuple(keep),  # type: ignore[arg-type]
            granularity=granularity,
            fine=fine,
            lexical_weight=lexical_weight,
            neighbor_weight=neighbor_weight,
            keep_code=keep_code,
            dense_tokens=dense_tokens,
            passage_weight=passage_weight,
            keep_titles=keep_titles,
            answer_weight=answer_weight,
            static_weight=static_weight,
        )
        self._encoder = encoder
        self._word_vectors = word_vectors
        self._lock = threading.Lock()
        self._table = PieceTable()
        # The kernels; benchmarks swap in the numpy twins to time both.
        self._core: ModuleType = _native_core()

    @property
    def encoder(self) -> TextEncoder:
        """The encoder in use (the shipped one unless another was given)."""
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    from semroute.encoder.encoder import default_encoder

                    self._encoder = default_encoder()
        return self._encoder

    def prune(
        self,
        context: str | Sequence[str],
        *,
        query: str | None = None,
        ratio: float | None = None,
        target_tokens: int | None = None,
    ) -> Pruned:
        """Prune ``context`` to ``ratio`` of its tokens or to ``target_tokens``.

        Give at most one of ``ratio`` (in (0, 1]; default 0.5) and
        ``target_tokens`` (> 0). A ratio of 1 or a target at least the input's
        size returns the input unchanged. Kept units that must stay (``keep``
        matches, the query text, code) may push the result past the budget;
        ``Pruned.kept_tokens`` says what was kept. Raises ``InputError`` for
        an empty context or query, or a bad ratio/target, and
        ``InputTypeError`` for wrong types.

        >>> r = Pruner().prune("One. Two.", ratio=1.0)
        >>> r.text, r.kept_spans
        ('One. Two.', ((0, 9),))
        """
        started = time.perf_counter()
        source, chunk_starts = join_chunks(context)
        if query is not None:
            if not isinstance(query, str):
                raise InputTypeError(f"query must be str or None, not {type(query).__name__}")
            if not query.strip():
                raise InputError("query is empty; pass None to prune without a query")
        if ratio is not None and target_tokens is not None:
            raise InputError("give ratio or target_tokens, not both")
        if target_tokens is not None:
            if isinstance(target_tokens, bool) or not isinstance(target_tokens, int):
                raise InputTypeError("target_tokens must be an int")
            if target_tokens <= 0:
                raise InputError(f"target_tokens must be positive, not {target_tokens}")
        else:
            if ratio is None:
                ratio = 0.5
            if isinstance(ratio, bool) or not isinstance(ratio, (int, float)):
                raise InputTypeError("ratio must be a number")
            if not 0.0 < ratio <= 1.0:
                raise InputError(f"ratio must be in (0, 1], not {ratio}")

        a = self._analyse(source, chunk_starts)
        original = int(a.costs.sum(dtype=np.int64))
        # At least one token: an empty prompt is never what the caller wants.
        budget = max(
            1, target_tokens if target_tokens is not None else int(original * (ratio or 1.0))
        )
        n_units = len(a.unit_spans)
        if budget >= original or original == 0:
            return Pruned(
                source,
                original,
                original,
                ((0, len(source)),),
                n_units,
                n_units,
                0.0,
                1e3 * (time.perf_counter() - started),
            )

        scores, encoder_ms = score_units(
            a, query, self.options, self._core, self._encode, self._vectors
        )
        keep_units, forced = select_units(a, scores, query, budget, self.options, self._core)
        keep_piece = keep_units[a.unit_of]
        kept = int(a.costs[keep_piece].sum(dtype=np.int64))
        if kept > budget and self.options.fine > 0.0:
            keep_piece &= ~fine_drop(
                a,
                keep_units & (forced == 0),
                scores,
                query,
                kept - budget,
                self.options,
                self._core,
            )
            keep_piece = drop_wordless_units(a, keep_piece)
            kept = int(a.costs[keep_piece].sum(dtype=np.int64))
        if kept > budget:
            keep_piece = trim_units(a, keep_piece, keep_units, forced, scores, budget)
            kept = int(a.costs[keep_piece].sum(dtype=np.int64))
        if kept > budget:
            # What is left is one unit (or forced ones) larger than the whole
            # budget: cut words inside it rather than break the budget.
            alive = np.zeros(n_units, dtype=bool)
            alive[a.unit_of[keep_piece]] = True
            keep_piece &= ~fine_drop(
                a, alive & (forced == 0), scores, query, kept - budget, self.options, self._core
            )
            keep_piece = drop_wordless_units(a, keep_piece)
            kept = int(a.costs[keep_piece].sum(dtype=np.int64))
        spans = kept_runs(a.starts, a.ends, keep_piece)
        return Pruned(
            render(source, spans),
            kept,
            original,
            spans,
            int(np.unique(a.unit_of[keep_piece]).size),
            n_units,
            encoder_ms,
            1e3 * (time.perf_counter() - started),
        )

    # -- what the steps call back for ---------------------------------------------

    def _analyse(self, source: str, chunk_starts: list[int]) -> Analysis:
        return analyse(source, chunk_starts, self.options, self._table, self._count_tokens)

    def _count_tokens(self, words: list[str]) -> list[int]:
        try:
            return list(self.encoder.count_tokens(words))
        except Exception as exc:
            if isinstance(exc, EncoderError):
                raise
            raise EncoderError(f"encoder could not count tokens: {exc}") from exc

    def _encode(self, texts: list[str]) -> npt.ArrayLike:
        return self.encoder.encode(texts)

    def _vectors(self) -> WordVectors:
        """The word vectors (the shipped ones unless given), loaded on first need."""
        if self._word_vectors is None:
            self._word_vectors = shipped_word_vectors()
        return self._word_vectors


def _native_core() -> ModuleType:
    from semroute import _prunecore

    return _prunecore


_DEFAULT: Pruner | None = None
_DEFAULT_LOCK = threading.Lock()


def _default_pruner() -> Pruner:
    """The shared pruner with default options (built on first use)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Pruner()
        return _DEFAULT


def prune(
    context: str | Sequence[str],
    *,
    query: str | None = None,
    ratio: float | None = None,
    target_tokens: int | None = None,
    encoder: TextEncoder | None = None,
    keep: Sequence[str] = (),
    granularity: Granularity = "sentence",
) -> Pruned:
    """Prune ``context`` (a string or a list of chunks) for ``query``; see :class:`Pruner`.

    One call builds nothing new when ``encoder``, ``keep`` and ``granularity``
    are left at their defaults: a shared default pruner is reused.

    >>> r = prune(["Paris is in France.", "Cats purr."], query="Paris?", ratio=0.7)
    >>> r.text, r.kept_spans
    ('Paris is in France.', ((0, 19),))
    """
    if encoder is None and not keep and granularity == "sentence":
        pruner = _default_pruner()
    else:
        pruner = Pruner(encoder=encoder, keep=keep, granularity=granularity)
    return pruner.prune(context, query=query, ratio=ratio, target_tokens=target_tokens)
