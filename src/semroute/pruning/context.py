"""The context analysed once per call: pieces, units, terms and token costs as arrays.

Everything the scoring and selection steps read comes from here; the query's
terms are looked up in the same arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from semroute.pruning import text as pt
from semroute.pruning.options import PruneOptions
from semroute.pruning.vocab import PieceTable

__all__ = ["Analysis", "analyse", "query_terms"]


@dataclass
class Analysis:
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


def analyse(
    source: str,
    chunk_starts: list[int],
    options: PruneOptions,
    table: PieceTable,
    count_tokens: Callable[[list[str]], list[int]],
) -> Analysis:
    """Pieces, units and terms of ``source`` (chunks starting at ``chunk_starts``)."""
    words, starts, ends = pt.pieces(source)
    spans, passage, code = pt.units(
        source, granularity=options.granularity, chunk_starts=chunk_starts
    )
    unit_starts = np.fromiter((s for s, _ in spans), dtype=np.int64, count=len(spans))
    unit_of = np.searchsorted(unit_starts, starts, side="right") - 1
    # Each distinct piece is decided once per pruner (PieceTable); a call
    # only gathers from arrays, so Python never loops over all pieces.
    ids, snap = table.lookup(words, count_tokens)
    costs = snap.cost[ids]
    global_terms = snap.term[ids]
    is_word = global_terms >= 0
    uniq, local = np.unique(global_terms[is_word], return_inverse=True)
    term_ids = np.full(len(words), -1, dtype=np.int32)
    term_ids[is_word] = local
    return Analysis(
        source,
        words,
        starts,
        ends,
        costs,
        spans,
        np.asarray(passage, dtype=np.int64),
        np.asarray(code, dtype=bool),
        pt.title_units(source, spans, passage)
        if options.keep_titles
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


def query_terms(a: Analysis, query: str | None) -> npt.NDArray[np.int32]:
    """The context-local term ids of the query's words (its content words, if it has any)."""
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
