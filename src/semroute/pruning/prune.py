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

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from semroute.errors import EncoderError, InputError, InputTypeError
from semroute.pruning import static as st
from semroute.pruning import text as pt
from semroute.pruning.static import WordVectors, shipped_word_vectors
from semroute.pruning.vocab import PieceTable

if TYPE_CHECKING:
    from semroute._types import TextEncoder

__all__ = ["CHUNK_SEPARATOR", "PruneOptions", "Pruned", "Pruner", "prune"]

#: A list of chunks is pruned as the text ``CHUNK_SEPARATOR.join(chunks)``;
#: ``Pruned.kept_spans`` are offsets into that joined text.
CHUNK_SEPARATOR = "\n\n"

Granularity = Literal["sentence", "passage"]
_STOP_FACTOR = 0.25
# A different word counts as a soft match above this cosine (tuning half of NQ).
_SOFT_THRESHOLD = 0.4


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


@dataclass
class _Analysis:
    """Per-call arrays over pieces and units (private scratch)."""

    source: str
    words: list[str]
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    costs: npt.NDArray[np.int32]
    unit_spans: list[tuple[int, int]]
    unit_passage: npt.NDArray[np.int64]
    unit_code: npt.NDArray[np.bool_]
    unit_title: npt.NDArray[np.bool_]
    unit_of: npt.NDArray[np.int64]
    flags: npt.NDArray[np.uint8]
    term_ids: npt.NDArray[np.int32]
    n_terms: int
    term_index: dict[str, int]
    term_global: npt.NDArray[np.int32]
    stop_terms: npt.NDArray[np.uint8]
    unit_costs: npt.NDArray[np.int32]
    term_text: list[str]  # by global term id


def _z(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    std = float(x.std())
    return (x - float(x.mean())) / std if std > 1e-12 else np.zeros_like(x)


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
        source, chunk_starts = _join(context)
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

        scores, encoder_ms = self._score_units(a, query)
        keep_units, forced = self._select(a, scores, query, budget)
        keep_piece = keep_units[a.unit_of]
        kept = int(a.costs[keep_piece].sum(dtype=np.int64))
        if kept > budget and self.options.fine > 0.0:
            keep_piece &= ~self._fine_drop(
                a, keep_units & (forced == 0), scores, query, kept - budget
            )
            keep_piece = _drop_wordless_units(a, keep_piece)
            kept = int(a.costs[keep_piece].sum(dtype=np.int64))
        if kept > budget:
            keep_piece = self._trim_units(a, keep_piece, keep_units, forced, scores, budget)
            kept = int(a.costs[keep_piece].sum(dtype=np.int64))
        if kept > budget:
            # What is left is one unit (or forced ones) larger than the whole
            # budget: cut words inside it rather than break the budget.
            alive = np.zeros(n_units, dtype=bool)
            alive[a.unit_of[keep_piece]] = True
            keep_piece &= ~self._fine_drop(a, alive & (forced == 0), scores, query, kept - budget)
            keep_piece = _drop_wordless_units(a, keep_piece)
            kept = int(a.costs[keep_piece].sum(dtype=np.int64))
        spans = _runs(a, keep_piece)
        return Pruned(
            _render(source, spans),
            kept,
            original,
            spans,
            int(np.unique(a.unit_of[keep_piece]).size),
            n_units,
            encoder_ms,
            1e3 * (time.perf_counter() - started),
        )

    # -- analysis -----------------------------------------------------------------

    def _analyse(self, source: str, chunk_starts: list[int]) -> _Analysis:
        words, starts, ends = pt.pieces(source)
        spans, passage, code = pt.units(
            source, granularity=self.options.granularity, chunk_starts=chunk_starts
        )
        unit_starts = np.fromiter((s for s, _ in spans), dtype=np.int64, count=len(spans))
        unit_of = np.searchsorted(unit_starts, starts, side="right") - 1
        # Each distinct piece is decided once per pruner (PieceTable); a call
        # only gathers from arrays, so Python never loops over all pieces.
        ids, snap = self._table.lookup(words, self._count_tokens)
        costs = snap.cost[ids]
        global_terms = snap.term[ids]
        is_word = global_terms >= 0
        uniq, local = np.unique(global_terms[is_word], return_inverse=True)
        term_ids = np.full(len(words), -1, dtype=np.int32)
        term_ids[is_word] = local
        return _Analysis(
            source,
            words,
            starts,
            ends,
            costs,
            spans,
            np.asarray(passage, dtype=np.int64),
            np.asarray(code, dtype=bool),
            pt.title_units(source, spans, passage)
            if self.options.keep_titles
            else np.zeros(len(spans), dtype=bool),
            unit_of.astype(np.int64),
            snap.flags[ids],
            term_ids,
            int(uniq.size),
            snap.term_index,
            uniq,
            snap.term_stop[uniq],
            np.bincount(unit_of, weights=costs, minlength=len(spans)).astype(np.int32),
            snap.term_text,
        )

    def _count_tokens(self, words: list[str]) -> list[int]:
        try:
            return list(self.encoder.count_tokens(words))
        except Exception as exc:
            if isinstance(exc, EncoderError):
                raise
            raise EncoderError(f"encoder could not count tokens: {exc}") from exc

    def _query_terms(self, a: _Analysis, query: str | None) -> npt.NDArray[np.int32]:
        if query is None:
            return np.zeros(0, dtype=np.int32)
        q_words, _, _ = pt.pieces(query)
        wanted = {a.term_index.get(pt.term_of(w), -1) for w in q_words} - {-1}
        found = np.asarray(sorted(wanted), dtype=np.int64)
        at = np.searchsorted(a.term_global, found)
        ok = at < a.term_global.size
        ok[ok] = a.term_global[at[ok]] == found[ok]
        local = at[ok].astype(np.int32)
        # Stop words match nearly every unit; in a short context their IDF is
        # not small enough to stop them from deciding the ranking.
        content = local[a.stop_terms[local] == 0]
        return content if content.size else local

    # -- coarse level -----------------------------------------------------------

    def _score_units(
        self, a: _Analysis, query: str | None
    ) -> tuple[npt.NDArray[np.float64], float]:
        n_units = len(a.unit_spans)
        is_word = a.term_ids >= 0
        ids, n_terms = a.term_ids[is_word], a.n_terms
        word_unit = a.unit_of[is_word]
        words_per_unit = np.bincount(word_unit, minlength=n_units)
        has_words = words_per_unit > 0
        bounds = np.concatenate([[0], np.cumsum(words_per_unit)]).astype(np.int64)

        lw = self.options.lexical_weight
        if query is not None:
            q_ids = self._query_terms(a, query)
            lexical = self._core.bm25_scores(ids, bounds, q_ids, n_terms, 1.2, 0.75)
            lexical = lexical.astype(np.float64)
            passage_z = self._passage_scores(a, ids, word_unit, q_ids)
            bonus = self._answer_bonus(a, query, q_ids)
            bonus = bonus + self._static_scores(a, ids, word_unit, query)
        else:
            passage_z = bonus = np.zeros(n_units)
            # Information density: mean in-context surprisal of a unit's words,
            # stop words discounted.
            counts = np.bincount(ids, minlength=n_terms)
            stop = a.stop_terms[ids] != 0
            info = np.log2((ids.size + 1.0) / counts[ids]) * np.where(stop, _STOP_FACTOR, 1.0)
            summed = np.bincount(word_unit, weights=info, minlength=n_units)
            lexical = summed / np.maximum(words_per_unit, 1)
        lexical_z = np.zeros(n_units)
        lexical_z[has_words] = _z(lexical[has_words])

        # The encoder costs far more per token than everything else, so it
        # embeds only the lexically best units, up to dense_tokens of them.
        cap = self.options.dense_tokens
        if cap is None or lw == 1.0:
            embed = has_words & (lw < 1.0)
        else:
            ranked = np.where(has_words, lexical_z, -1e9).astype(np.float32)
            embed = (
                self._core.select_units(
                    ranked, a.unit_costs, np.zeros(n_units, np.uint8), cap
                ).astype(bool)
                & has_words
            )
            if not embed.any() and has_words.any():
                embed[int(np.argmax(ranked))] = True
        texts = [a.source[s:e] for (s, e), ok in zip(a.unit_spans, embed, strict=True) if ok]
        encoder_ms = 0.0
        dense_z = np.zeros(n_units)
        if texts:
            batch = ([query] if query is not None else []) + texts
            t0 = time.perf_counter()
            try:
                vectors = np.asarray(self.encoder.encode(batch), dtype=np.float32)
            except Exception as exc:
                if isinstance(exc, EncoderError):
                    raise
                raise EncoderError(f"encoder failed: {exc}") from exc
            encoder_ms = 1e3 * (time.perf_counter() - t0)
            if vectors.shape[0] != len(batch) or not np.isfinite(vectors).all():
                raise EncoderError("encoder returned the wrong number of rows or non-finite values")
            if query is not None:
                dense = vectors[1:] @ vectors[0]
            else:
                centroid = vectors.mean(axis=0)
                dense = vectors @ (centroid / max(float(np.linalg.norm(centroid)), 1e-12))
            z = _z(dense.astype(np.float64))
            # Units the encoder skipped rank as the least similar embedded one.
            dense_z[has_words] = float(z.min())
            dense_z[embed] = z
        fused = (
            (1.0 - lw) * dense_z + lw * lexical_z + self.options.passage_weight * passage_z + bonus
        )
        scores = self._smooth(a, np.where(has_words, fused, -1e9))
        if a.unit_title.any():
            # A title is worth what its passage's best sentence is worth, so it
            # is taken (cheaply) just before that sentence.
            body = ~a.unit_title
            best = np.full(int(a.unit_passage[-1]) + 1, -1e9)
            np.maximum.at(best, a.unit_passage[body], scores[body])
            scores = np.where(a.unit_title, best[a.unit_passage], scores)
        return scores, encoder_ms

    def _passage_scores(
        self,
        a: _Analysis,
        ids: npt.NDArray[np.int32],
        word_unit: npt.NDArray[np.int64],
        q_ids: npt.NDArray[np.int32],
    ) -> npt.NDArray[np.float64]:
        """Each unit's passage BM25, z-scored over passages: context for lone sentences."""
        n_units = len(a.unit_spans)
        if self.options.passage_weight == 0.0 or n_units == 0:
            return np.zeros(n_units)
        n_passages = int(a.unit_passage[-1]) + 1
        per = np.bincount(a.unit_passage[word_unit], minlength=n_passages)
        bounds = np.concatenate([[0], np.cumsum(per)]).astype(np.int64)
        scores = self._core.bm25_scores(ids, bounds, q_ids, a.n_terms, 1.2, 0.75)
        z = np.zeros(n_passages)
        has = per > 0
        z[has] = _z(scores[has].astype(np.float64))
        return z[a.unit_passage]

    def _static_scores(
        self,
        a: _Analysis,
        ids: npt.NDArray[np.int32],
        word_unit: npt.NDArray[np.int64],
        query: str,
    ) -> npt.NDArray[np.float64]:
        """The static-vector signals, z-scored: soft match per passage, centroid cosine per unit."""
        n_units = len(a.unit_spans)
        weight = self.options.static_weight
        q_terms = _content_terms(query)
        if weight == 0.0 or not q_terms or ids.size == 0:
            return np.zeros(n_units)
        if self._word_vectors is None:
            self._word_vectors = shipped_word_vectors()
        vectors = self._word_vectors.vectors([a.term_text[g] for g in a.term_global.tolist()])
        query_vectors = self._word_vectors.vectors(q_terms)
        # Each query word's term id in this context, -1 when the context lacks
        # it (the case only a soft match can serve: "ww2" for "World War II").
        found = np.asarray([a.term_index.get(t, -1) for t in q_terms], dtype=np.int64)
        at = np.searchsorted(a.term_global, found)
        ok = (found >= 0) & (at < a.term_global.size)
        ok[ok] = a.term_global[at[ok]] == found[ok]
        q_local = np.where(ok, at, -1)
        # IDF over passages: a word in every retrieved passage says nothing.
        n_passages = int(a.unit_passage[-1]) + 1
        word_passage = a.unit_passage[word_unit]
        pairs = np.unique(word_passage * a.n_terms + ids)
        df = np.bincount(pairs % a.n_terms, minlength=a.n_terms)
        idf = np.log((n_passages + 1.0) / (df + 0.5))
        q_idf = np.where(ok, idf[np.maximum(q_local, 0)], np.log((n_passages + 1.0) / 0.5))
        content = a.stop_terms == 0
        out = np.zeros(n_units)
        if n_passages > 1:
            soft = st.soft_match(
                vectors,
                ids,
                word_passage,
                n_passages,
                query_vectors,
                q_local,
                q_idf,
                content,
                _SOFT_THRESHOLD,
            )
            has = np.bincount(word_passage, minlength=n_passages) > 0
            z = np.zeros(n_passages)
            z[has] = _z(soft[has])
            out += weight * z[a.unit_passage]
        q_vector = (query_vectors * q_idf[:, None]).sum(axis=0).astype(np.float32)
        cos = st.centroid_cosine(
            vectors, ids, word_unit, n_units, q_vector, np.where(content, idf, 0.0)
        )
        has_words = np.bincount(word_unit, minlength=n_units) > 0
        out[has_words] += weight * _z(cos[has_words])
        return out

    def _answer_bonus(
        self, a: _Analysis, query: str, q_ids: npt.NDArray[np.int32]
    ) -> npt.NDArray[np.float64]:
        """``answer_weight`` for units holding a word of the kind the question asks for."""
        n_units = len(a.unit_spans)
        wanted = pt.answer_type(query)
        if self.options.answer_weight == 0.0 or not wanted or not len(a.words):
            return np.zeros(n_units)
        if wanted == pt.NUMBER:
            hit = (a.flags & pt.NUMBER) != 0
        else:
            hit = ((a.flags & pt.STRONG) != 0) & ((a.flags & pt.NUMBER) == 0)
            # A capital at the start of a sentence says nothing about a name.
            firsts = np.searchsorted(a.unit_of, np.arange(n_units), side="left")
            hit[firsts[firsts < hit.size]] = False
        if q_ids.size:
            hit &= ~np.isin(a.term_ids, q_ids)
        has = np.bincount(a.unit_of[hit], minlength=n_units) > 0
        return has.astype(np.float64) * self.options.answer_weight

    def _smooth(self, a: _Analysis, scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        w = self.options.neighbor_weight
        if w == 0.0 or scores.size < 2:
            return scores
        same_prev = a.unit_passage[1:] == a.unit_passage[:-1]
        best = np.full(scores.size, -1e9)
        best[1:] = np.where(same_prev, scores[:-1], -1e9)
        best[:-1] = np.maximum(best[:-1], np.where(same_prev, scores[1:], -1e9))
        return np.where(best > scores, scores + w * (best - scores), scores)

    def _select(
        self, a: _Analysis, scores: npt.NDArray[np.float64], query: str | None, budget: int
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.uint8]]:
        n_units = len(a.unit_spans)
        _, must = pt.protected_ranges(a.source, self.options.patterns, _literal(query))
        forced = np.zeros(n_units, dtype=np.uint8)
        if must:
            hit = pt.mark_ranges(a.starts, a.ends, must)
            forced[np.unique(a.unit_of[hit])] = 1
        if self.options.keep_code:
            forced[a.unit_code] = 1
        unit_costs = a.unit_costs
        coarse = int(budget * (1.0 + self.options.fine))
        # The best unit is always taken first, even when it alone exceeds the
        # budget: the fine pass and trimming then cut it down, where a plain
        # greedy fill would skip it for a worse unit that happens to fit.
        seeded = forced.copy()
        body = ~a.unit_title if not a.unit_title.all() else np.ones(n_units, dtype=bool)
        seeded[int(np.argmax(np.where(body, scores, -np.inf)))] = 1
        keep = self._core.select_units(scores.astype(np.float32), unit_costs, seeded, coarse)
        keep = keep.astype(bool)
        if a.unit_title.any():
            # Never a title alone: its passage must keep a sentence too.
            with_body = np.zeros(int(a.unit_passage[-1]) + 1, dtype=bool)
            with_body[a.unit_passage[keep & ~a.unit_title]] = True
            keep &= ~a.unit_title | with_body[a.unit_passage] | (forced != 0)
        return keep, forced

    # -- fine level -------------------------------------------------------------

    def _fine_drop(
        self,
        a: _Analysis,
        keep_units: npt.NDArray[np.bool_],
        scores: npt.NDArray[np.float64],
        query: str | None,
        to_drop: int,
    ) -> npt.NDArray[np.bool_]:
        word_idx = np.flatnonzero(a.term_ids >= 0)
        ids = a.term_ids[word_idx]
        flags = a.flags[word_idx]
        protected = pt.entity_like((flags & pt.STRONG) != 0, (flags & pt.CONNECTOR) != 0)
        quoted, must = pt.protected_ranges(a.source, self.options.patterns, _literal(query))
        if quoted or must:
            protected |= pt.mark_ranges(a.starts[word_idx], a.ends[word_idx], quoted + must)
        q_ids = self._query_terms(a, query)
        if q_ids.size:
            protected |= np.isin(ids, q_ids)
        protected |= pt.glued(a.starts, a.ends, a.flags)[word_idx]
        units = a.unit_of[word_idx]
        # keep_units here excludes forced units: they stay whole.
        droppable = keep_units[units] & ~a.unit_code[units] & ~protected
        # Words of more relevant kept units count as more informative.
        kept_scores = scores[keep_units]
        rank = np.searchsorted(np.sort(kept_scores), scores, side="left") / max(
            kept_scores.size - 1, 1
        )
        weights = (1.0 + 2.0 * rank[units]).astype(np.float32)
        drop_words = self._core.drop_tokens(
            ids,
            a.n_terms,
            a.costs[word_idx],
            weights,
            droppable.astype(np.uint8),
            a.stop_terms,
            _STOP_FACTOR,
            to_drop,
        )
        drop = np.zeros(len(a.words), dtype=bool)
        drop[word_idx] = drop_words.astype(bool)
        return drop

    def _trim_units(
        self,
        a: _Analysis,
        keep_piece: npt.NDArray[np.bool_],
        keep_units: npt.NDArray[np.bool_],
        forced: npt.NDArray[np.uint8],
        scores: npt.NDArray[np.float64],
        budget: int,
    ) -> npt.NDArray[np.bool_]:
        """Drop whole kept units, least relevant first, until the budget holds."""
        kept_cost = np.bincount(
            a.unit_of[keep_piece], weights=a.costs[keep_piece], minlength=len(a.unit_spans)
        )
        total = float(kept_cost.sum())
        candidates = np.flatnonzero(keep_units & (forced == 0))
        alive = keep_units.copy()
        for u in candidates[np.argsort(scores[candidates], kind="stable")].tolist():
            if total <= budget or alive.sum() <= 1:
                break
            alive[u] = False
            total -= float(kept_cost[u])
        return keep_piece & alive[a.unit_of]


def _literal(query: str | None) -> list[str]:
    """The query as text to find in the context: only when it is a phrase.

    A one- or two-word query occurs everywhere; forcing every unit holding it
    would defeat pruning. A real question quoted in the prompt is longer.
    """
    return [query] if query is not None and len(query.split()) >= 3 else []


def _content_terms(query: str) -> list[str]:
    """The query's distinct content words as terms (case-folded, plural-stripped)."""
    words, _, _ = pt.pieces(query)
    terms = (pt.term_of(w) for w in words if pt.piece_flags(w) & pt.IS_WORD)
    return [t for t in dict.fromkeys(terms) if t not in pt.STOP_WORDS]


def _drop_wordless_units(a: _Analysis, keep: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Remove the punctuation left behind in units whose every word was dropped.

    The unit with the most kept tokens always stays, so the output is never empty.
    """
    n_units = len(a.unit_spans)
    is_word = a.term_ids >= 0
    had_words = np.bincount(a.unit_of[is_word], minlength=n_units) > 0
    kept_words = np.bincount(a.unit_of[keep & is_word], minlength=n_units) > 0
    orphaned = had_words & ~kept_words
    if not orphaned.any():
        return keep
    if (orphaned | ~had_words)[a.unit_of[keep]].all():
        return keep  # nothing else left: keep what there is
    return keep & ~orphaned[a.unit_of]


def _native_core() -> ModuleType:
    from semroute import _prunecore

    return _prunecore


def _join(context: str | Sequence[str]) -> tuple[str, list[int]]:
    starts: list[int] = []
    if isinstance(context, str):
        source = context
    elif isinstance(context, (bytes, bytearray)) or not isinstance(context, Sequence):
        raise InputTypeError(
            f"context must be str or a sequence of str, not {type(context).__name__}"
        )
    else:
        if not all(isinstance(c, str) for c in context):
            raise InputTypeError("every chunk of the context must be str")
        pos = 0
        for chunk in context:
            starts.append(pos)
            pos += len(chunk) + len(CHUNK_SEPARATOR)
        source = CHUNK_SEPARATOR.join(context)
    if not source.strip():
        raise InputError("context is empty")
    return source, starts


def _runs(a: _Analysis, keep: npt.NDArray[np.bool_]) -> tuple[tuple[int, int], ...]:
    """Maximal runs of consecutive kept pieces as source offsets."""
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return ()
    breaks = np.flatnonzero(np.diff(idx) > 1)
    firsts = idx[np.concatenate([[0], breaks + 1])]
    lasts = idx[np.concatenate([breaks, [idx.size - 1]])]
    return tuple(zip(a.starts[firsts].tolist(), a.ends[lasts].tolist(), strict=True))


_CLOSERS = frozenset(".,;:!?)]}\u201d\u2019%")
_OPENERS = frozenset("([{\u201c\u2018$")


def _render(source: str, spans: tuple[tuple[int, int], ...]) -> str:
    out: list[str] = []
    prev_end = -1
    for start, end in spans:
        if out:
            gap = source[prev_end:start]
            if "\n" in gap:
                out.append("\n\n" if gap.count("\n") > 1 else "\n")
            elif source[start] not in _CLOSERS and source[prev_end - 1] not in _OPENERS:
                out.append(" ")
        out.append(source[start:end])
        prev_end = end
    return "".join(out)


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
