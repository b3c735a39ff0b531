"""Plain numpy twins of ``semroute._cachecore``, with the same signatures.

The oracle for the native tests and the baseline in ``benchmarks/cache/bench_cache.py``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def _usable_slots(
    slots: npt.NDArray[np.int64],
    alive: npt.NDArray[np.uint8],
    expires: npt.NDArray[np.float64],
    ns_ids: npt.NDArray[np.int32],
    ns_id: int,
    now: float,
) -> tuple[npt.NDArray[np.bool_], int]:
    """Which candidates' slots are alive, in ``ns_id`` and unexpired; and how many expired."""
    cap = alive.shape[0]
    if expires.shape[0] != cap or ns_ids.shape[0] != cap:
        raise ValueError("slot arrays differ in length")
    inside = (slots >= 0) & (slots < cap)
    safe = np.where(inside, slots, 0)
    live = inside & (alive[safe] != 0) & (ns_ids[safe] == ns_id)
    fresh = expires[safe] > now
    return live & fresh, int(np.count_nonzero(live & ~fresh))


def pick_candidate(
    slots: npt.NDArray[np.int64],
    sims: npt.NDArray[np.float32],
    alive: npt.NDArray[np.uint8],
    expires: npt.NDArray[np.float64],
    ns_ids: npt.NDArray[np.int32],
    ns_id: int,
    now: float,
    min_sim: float,
) -> tuple[int, int]:
    """Index of the best valid candidate (or -1) and how many candidates were expired."""
    if sims.shape[0] != slots.shape[0]:
        raise ValueError("slots and sims differ in length")
    usable, n_expired = _usable_slots(slots, alive, expires, ns_ids, ns_id, now)
    valid = usable & (sims >= np.float32(min_sim))
    if not valid.any():
        return -1, n_expired
    masked = np.where(valid, sims, -np.inf)
    return int(np.argmax(masked)), n_expired


def row_dots(
    matrix: npt.NDArray[np.float32], vector: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """``matrix @ vector`` as float32, without OpenBLAS's spurious floating-point flags.

    Some OpenBLAS kernels leave FE_INVALID set on finite input (numpy/numpy#24067,
    OpenMathLib/OpenBLAS#1924), which numpy reports as "invalid value encountered in
    matmul"; a real NaN still fails every ``>=`` comparison downstream, so nothing is lost.
    """
    with np.errstate(invalid="ignore"):
        return (matrix @ vector).astype(np.float32)


def best_row(
    matrix: npt.NDArray[np.float32],
    vector: npt.NDArray[np.float32],
    slots: npt.NDArray[np.int64],
    alive: npt.NDArray[np.uint8],
    expires: npt.NDArray[np.float64],
    ns_ids: npt.NDArray[np.int32],
    ns_id: int,
    now: float,
    min_sim: float,
) -> tuple[int, float, int]:
    """Exact search of a small partition: ``(row, cosine, n_expired)``, row -1 if none."""
    if vector.shape[0] != matrix.shape[1]:
        raise ValueError("vector length differs from the matrix width")
    if slots.shape[0] != matrix.shape[0]:
        raise ValueError("slots and matrix rows differ in number")
    sims = row_dots(matrix, vector)
    best, n_expired = pick_candidate(slots, sims, alive, expires, ns_ids, ns_id, now, min_sim)
    return best, float(sims[best]) if best >= 0 else 0.0, n_expired


def lru_victims(
    stamps: npt.NDArray[np.int64], alive: npt.NDArray[np.uint8], count: int
) -> npt.NDArray[np.int64]:
    """The ``count`` alive slots with the smallest stamps, oldest first."""
    if alive.shape[0] != stamps.shape[0]:
        raise ValueError("slot arrays differ in length")
    if count < 0:
        raise ValueError("count must be >= 0")
    candidates = np.flatnonzero(alive != 0)
    if count < candidates.size:
        part = np.argpartition(stamps[candidates], count)[:count] if count else candidates[:0]
        candidates = candidates[part]
    order = np.argsort(stamps[candidates], kind="stable")
    return candidates[order].astype(np.int64)


def rank_candidates(
    slots: npt.NDArray[np.int64],
    sims: npt.NDArray[np.float32],
    alive: npt.NDArray[np.uint8],
    expires: npt.NDArray[np.float64],
    ns_ids: npt.NDArray[np.int32],
    ns_id: int,
    now: float,
    min_sim: float,
) -> tuple[npt.NDArray[np.int64], int]:
    """Indices of every valid candidate, best first (ties: earlier first), and n_expired."""
    if sims.shape[0] != slots.shape[0]:
        raise ValueError("slots and sims differ in length")
    usable, n_expired = _usable_slots(slots, alive, expires, ns_ids, ns_id, now)
    valid = np.flatnonzero(usable & (sims >= np.float32(min_sim)))
    order = np.argsort(-sims[valid], kind="stable")
    return valid[order].astype(np.int64), n_expired


def rank_rows(
    matrix: npt.NDArray[np.float32],
    vector: npt.NDArray[np.float32],
    slots: npt.NDArray[np.int64],
    alive: npt.NDArray[np.uint8],
    expires: npt.NDArray[np.float64],
    ns_ids: npt.NDArray[np.int32],
    ns_id: int,
    now: float,
    min_sim: float,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32], int]:
    """Every row at or above ``min_sim``, best first: ``(rows, cosines, n_expired)``."""
    if vector.shape[0] != matrix.shape[1]:
        raise ValueError("vector length differs from the matrix width")
    if slots.shape[0] != matrix.shape[0]:
        raise ValueError("slots and matrix rows differ in number")
    sims = row_dots(matrix, vector).reshape(-1)
    rows, n_expired = rank_candidates(slots, sims, alive, expires, ns_ids, ns_id, now, min_sim)
    return rows, sims[rows], n_expired
