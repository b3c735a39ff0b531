"""The pruner's memory of pieces it has seen: token count, term and flags per piece.

Deciding a piece's token count (a tokenizer call), its matching term and its
flags costs Python work; text repeats, so each distinct piece is decided once
and later calls only gather from arrays. Shared by a pruner's threads: the
dictionaries only grow under a lock and readers take a consistent snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from semroute.pruning import text as pt


@dataclass(frozen=True)
class Snapshot:
    """Arrays indexed by global piece id (and term id); valid for ids below ``size``."""

    index: dict[str, int]
    cost: npt.NDArray[np.int32]
    flags: npt.NDArray[np.uint8]
    term: npt.NDArray[np.int32]  # -1 for punctuation
    term_index: dict[str, int]
    term_stop: npt.NDArray[np.uint8]
    term_text: list[str]  # by term id; shared and append-only, like the dicts

    @property
    def size(self) -> int:
        return int(self.cost.shape[0])


def _empty() -> Snapshot:
    return Snapshot(
        {},
        np.zeros(0, np.int32),
        np.zeros(0, np.uint8),
        np.zeros(0, np.int32),
        {},
        np.zeros(0, np.uint8),
        [],
    )


class PieceTable:
    """Global ids for pieces, growing on demand; cleared past ``max_pieces``.

    >>> table = PieceTable()
    >>> ids, snap = table.lookup(["Cats", "purr", "."], lambda ws: [1] * len(ws))
    >>> snap.cost[ids].tolist(), snap.term[ids].tolist()
    ([1, 1, 1], [0, 1, -1])
    """

    def __init__(self, max_pieces: int = 200_000) -> None:
        self._max = max_pieces
        self._lock = threading.Lock()
        self._snap = _empty()

    def lookup(
        self, words: Sequence[str], count_tokens: Callable[[list[str]], list[int]]
    ) -> tuple[npt.NDArray[np.int64], Snapshot]:
        """Global ids of ``words`` and the snapshot whose arrays they index."""
        snap = self._snap
        found = list(map(snap.index.get, words))
        if None in found or (found and max(found) >= snap.size):  # type: ignore[type-var,operator]
            unseen = [w for w in dict.fromkeys(words) if snap.index.get(w, snap.size) >= snap.size]
            counts = count_tokens(unseen) if unseen else []
            with self._lock:
                snap = self._grow(unseen, counts)
            found = list(map(snap.index.get, words))
        return np.fromiter(found, dtype=np.int64, count=len(found)), snap

    def _grow(self, words: list[str], counts: list[int]) -> Snapshot:
        snap = self._snap
        if snap.size + len(words) > self._max:
            snap = _empty()
        index, term_index, term_text = snap.index, snap.term_index, snap.term_text
        new = [w for w in dict.fromkeys(words) if w not in index]
        cost = dict(zip(words, counts, strict=True))
        flags = [pt.piece_flags(w) for w in new]
        terms: list[int] = []
        stops: list[int] = []
        for w, f in zip(new, flags, strict=True):
            if not f & pt.IS_WORD:
                terms.append(-1)
                continue
            t = pt.term_of(w)
            tid = term_index.get(t)
            if tid is None:
                tid = term_index[t] = len(term_index)
                term_text.append(t)
                stops.append(1 if t in pt.STOP_WORDS else 0)
            terms.append(tid)
        base = snap.size
        grown = Snapshot(
            index,
            np.concatenate([snap.cost, np.asarray([cost[w] for w in new], np.int32)]),
            np.concatenate([snap.flags, np.asarray(flags, np.uint8)]),
            np.concatenate([snap.term, np.asarray(terms, np.int32)]),
            term_index,
            np.concatenate([snap.term_stop, np.asarray(stops, np.uint8)]),
            term_text,
        )
        # New ids enter the shared dict after their rows exist in the new
        # snapshot; a reader of an older snapshot sees them as >= its size and
        # takes the locked path.
        index.update(zip(new, range(base, base + len(new)), strict=True))
        self._snap = grown
        return grown
