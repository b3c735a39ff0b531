"""What is kept within the budget: whole units first, then words inside them.

The coarse pass takes the best unit, then the best that fit (``fine`` widens
its budget); the fine pass removes the least informative words of kept units
(never protected ones); then whole units go, least relevant first, until the
budget holds. Forced units (``keep`` matches, the query's text, code) stay whole.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import numpy.typing as npt

from semroute.pruning import text as pt
from semroute.pruning.context import Analysis, query_terms
from semroute.pruning.options import PruneOptions
from semroute.pruning.scoring import STOP_FACTOR

__all__ = ["drop_wordless_units", "fine_drop", "literal", "select_units", "trim_units"]


def select_units(
    a: Analysis,
    scores: npt.NDArray[np.float64],
    query: str | None,
    budget: int,
    options: PruneOptions,
    core: ModuleType,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.uint8]]:
    """The units kept by the coarse pass, and which of them are forced (never dropped)."""
    n_units = len(a.unit_spans)
    _, must = pt.protected_ranges(a.source, options.patterns, literal(query))
    forced = np.zeros(n_units, dtype=np.uint8)
    if must:
        hit = pt.mark_ranges(a.starts, a.ends, must)
        forced[np.unique(a.unit_of[hit])] = 1
    if options.keep_code:
        forced[a.unit_code] = 1
    unit_costs = a.unit_costs
    coarse = int(budget * (1.0 + options.fine))
    # The best unit is always taken first, even when it alone exceeds the
    # budget: the fine pass and trimming then cut it down, where a plain
    # greedy fill would skip it for a worse unit that happens to fit.
    seeded = forced.copy()
    body = ~a.unit_title if not a.unit_title.all() else np.ones(n_units, dtype=bool)
    seeded[int(np.argmax(np.where(body, scores, -np.inf)))] = 1
    keep = core.select_units(scores.astype(np.float32), unit_costs, seeded, coarse)
    keep = keep.astype(bool)
    if a.unit_title.any():
        # Never a title alone: its passage must keep a sentence too.
        with_body = np.zeros(int(a.unit_passage[-1]) + 1, dtype=bool)
        with_body[a.unit_passage[keep & ~a.unit_title]] = True
        keep &= ~a.unit_title | with_body[a.unit_passage] | (forced != 0)
    return keep, forced


def fine_drop(
    a: Analysis,
    keep_units: npt.NDArray[np.bool_],
    scores: npt.NDArray[np.float64],
    query: str | None,
    to_drop: int,
    options: PruneOptions,
    core: ModuleType,
) -> npt.NDArray[np.bool_]:
    """The pieces the fine pass removes inside ``keep_units``: about ``to_drop`` tokens."""
    word_idx = np.flatnonzero(a.term_ids >= 0)
    ids = a.term_ids[word_idx]
    flags = a.flags[word_idx]
    protected = pt.entity_like((flags & pt.STRONG) != 0, (flags & pt.CONNECTOR) != 0)
    quoted, must = pt.protected_ranges(a.source, options.patterns, literal(query))
    if quoted or must:
        protected |= pt.mark_ranges(a.starts[word_idx], a.ends[word_idx], quoted + must)
    q_ids = query_terms(a, query)
    if q_ids.size:
        protected |= np.isin(ids, q_ids)
    protected |= pt.glued(a.starts, a.ends, a.flags)[word_idx]
    units = a.unit_of[word_idx]
    # keep_units here excludes forced units: they stay whole.
    droppable = keep_units[units] & ~a.unit_code[units] & ~protected
    # Words of more relevant kept units count as more informative.
    kept_scores = scores[keep_units]
    rank = np.searchsorted(np.sort(kept_scores), scores, side="left") / max(kept_scores.size - 1, 1)
    weights = (1.0 + 2.0 * rank[units]).astype(np.float32)
    drop_words = core.drop_tokens(
        ids,
        a.n_terms,
        a.costs[word_idx],
        weights,
        droppable.astype(np.uint8),
        a.stop_terms,
        STOP_FACTOR,
        to_drop,
    )
    drop = np.zeros(len(a.words), dtype=bool)
    drop[word_idx] = drop_words.astype(bool)
    return drop


def trim_units(
    a: Analysis,
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


def literal(query: str | None) -> list[str]:
    """The query as text to find in the context: only when it is a phrase.

    A one- or two-word query occurs everywhere; forcing every unit holding it
    would defeat pruning. A real question quoted in the prompt is longer.
    """
    return [query] if query is not None and len(query.split()) >= 3 else []


def drop_wordless_units(a: Analysis, keep: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
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
