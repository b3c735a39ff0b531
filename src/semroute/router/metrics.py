"""RouteLLM's routing metrics: performance gap recovered (PGR), APGR and CPT.

A router ranks queries by score and sends the top share to the strong model.
For each share ``k / n`` of strong calls, quality is the mean of the strong
model's result on the routed queries and the weak model's on the rest; PGR is
how much of the weak-to-strong quality gap that recovers. APGR is the area
under PGR over shares 0..1 (random routing gives 0.5); CPT(x) is the smallest
share of strong calls that recovers ``x`` of the gap.

Ties in score are broken at random, in expectation: a block of tied queries is
routed in proportion, so a constant router scores exactly 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class RoutingCurve:
    """PGR at every strong-call share ``k / n``, ``k = 0..n``, and the summary figures."""

    shares: FloatArray
    pgr: FloatArray
    weak_quality: float
    strong_quality: float

    @property
    def apgr(self) -> float:
        """Average PGR over strong-call shares 0..1 (trapezoid rule)."""
        # By hand: np.trapezoid is numpy >= 2 only.
        return float(np.sum((self.pgr[1:] + self.pgr[:-1]) * np.diff(self.shares)) / 2)

    def cpt(self, level: float) -> float:
        """Smallest share of strong calls whose PGR reaches ``level`` (1.0 if never)."""
        reached = np.flatnonzero(self.pgr >= level - 1e-12)
        return float(self.shares[reached[0]]) if reached.size else 1.0

    def quality_at(self, share: float) -> float:
        """Mean quality when ``share`` of queries (rounded down) go to the strong model."""
        k = int(np.floor(share * (len(self.shares) - 1) + 1e-9))
        gap = self.strong_quality - self.weak_quality
        return float(self.weak_quality + self.pgr[k] * gap)


def routing_curve(
    scores: npt.ArrayLike, weak: npt.ArrayLike, strong: npt.ArrayLike
) -> RoutingCurve:
    """PGR curve of a router's ``scores`` given each query's weak and strong quality.

    >>> curve = routing_curve([0.9, 0.1], weak=[0.0, 1.0], strong=[1.0, 1.0])
    >>> round(curve.apgr, 2), curve.cpt(0.5)
    (0.75, 0.5)
    """
    s = np.asarray(scores, dtype=np.float64)
    w = np.asarray(weak, dtype=np.float64)
    g = np.asarray(strong, dtype=np.float64)
    if not (s.ndim == 1 and s.shape == w.shape == g.shape and s.size > 0):
        raise ValueError("scores, weak and strong must be 1-d arrays of one non-zero length")
    total_gain = float(np.sum(g - w))
    if total_gain <= 0:
        raise ValueError("the strong model is not better on these queries: PGR is undefined")
    order = np.argsort(-s, kind="stable")
    s_sorted, gain = s[order], (g - w)[order]
    n = s.size
    # Cumulative gain after routing the first k queries, with each tie block
    # spread evenly over its members (the expectation under random tie-breaks).
    starts = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
    ends = np.r_[starts[1:], n]
    block_mean = np.add.reduceat(gain, starts) / (ends - starts)
    per_query = np.repeat(block_mean, ends - starts)
    cum = np.r_[0.0, np.cumsum(per_query)]
    return RoutingCurve(
        shares=np.arange(n + 1, dtype=np.float64) / n,
        pgr=cum / total_gain,
        weak_quality=float(w.mean()),
        strong_quality=float(g.mean()),
    )
