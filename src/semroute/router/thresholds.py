"""The router's score cut-offs: checked when given, or set so a share of queries goes up.

``thresholds[j]`` is the score at or above which a query goes to tier j + 1,
so there is one fewer cut-off than tiers and they ascend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise
from numbers import Real

import numpy as np
import numpy.typing as npt

from semroute.errors import ConfigError
from semroute.router.model import Scorer

__all__ = ["check_share", "check_thresholds", "share_thresholds"]

NEVER = float(np.nextafter(1.0, 2.0))  # above any probability: the tier is never used


def check_share(share: float) -> float:
    """``strong_share`` as a float in [0, 1], else ``ConfigError``."""
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
        raise ConfigError(f"strong_share must be a number in [0, 1], got {share!r}")
    return float(share)


def check_thresholds(threshold: float | Sequence[float], n_tiers: int) -> tuple[float, ...]:
    """A user's ``threshold`` (one number, or one per upper tier) as ascending floats."""
    if isinstance(threshold, Real):
        values: tuple[object, ...] = (threshold,)
    elif isinstance(threshold, str) or not isinstance(threshold, Iterable):
        raise ConfigError(f"threshold must be a number or a sequence of numbers, got {threshold!r}")
    else:
        values = tuple(threshold)
    if len(values) != n_tiers - 1:
        raise ConfigError(f"{n_tiers} tiers need {n_tiers - 1} threshold(s), got {values}")
    cuts: list[float] = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, Real) or not 0 <= float(v) <= 1:
            raise ConfigError(f"thresholds must be numbers in [0, 1], got {values}")
        cuts.append(float(v))
    if any(a > b for a, b in pairwise(cuts)):
        raise ConfigError(f"thresholds must be ascending, got {values}")
    return tuple(cuts)


def share_thresholds(
    share: float,
    n_tiers: int,
    scorer: Scorer | None,
    scores: npt.NDArray[np.float64] | None = None,
) -> tuple[float, ...]:
    """Cut-offs sending ``share`` above the cheapest tier, evenly split over upper tiers.

    From ``scores`` when given (calibration), else from the training score
    distribution stored with ``scorer``.
    """
    k = n_tiers
    cuts = []
    for j in range(1, k):
        above = share * (k - j) / (k - 1)  # share routed to tier j or higher
        if above <= 0:
            cuts.append(NEVER)
        elif above >= 1:
            cuts.append(0.0)
        elif scores is not None:
            ranked = np.sort(scores)
            n_below = round((1.0 - above) * ranked.size)
            if n_below <= 0:
                cuts.append(0.0)
            elif n_below >= ranked.size:
                cuts.append(NEVER)
            else:
                cuts.append(float(ranked[n_below - 1] + ranked[n_below]) / 2)
        elif scorer is not None:
            cuts.append(scorer.share_threshold(above))
        else:
            cuts.append(1.0 - above)  # untrained: a placeholder until fit or load
    return tuple(float(c) for c in np.maximum.accumulate(cuts))
