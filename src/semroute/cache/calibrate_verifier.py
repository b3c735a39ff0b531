"""Pick the pair verifier's probability threshold from your own labelled pairs.

The cache with a :class:`~semroute.cache.verifier.PairVerifier` serves a pair when
its cosine reaches the verifier's candidate cosine, no hit guard objects, and the
verifier's probability reaches its threshold. This sweeps that last threshold on
labelled pairs, exactly as :func:`semroute.cache.calibrate.calibrate` sweeps the
cosine, and recommends the lowest one that keeps the target precision.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from semroute._types import TextEncoder
from semroute.cache.calibrate import (
    CalibrationReport,
    PairLike,
    ThresholdStats,
    _as_pair,
    _cosines,
    _recommend,
)
from semroute.cache.config import check_threshold
from semroute.cache.guards.api import Guards, guard_reason, guard_signature
from semroute.cache.verifier import PairVerifier
from semroute.errors import ConfigError, InputError

__all__ = ["calibrate_verifier", "default_probabilities"]


def default_probabilities() -> tuple[float, ...]:
    """The sweep used when none is given: 0.05 to 0.995 (finer near 1)."""
    coarse = [round(0.05 * i, 3) for i in range(1, 18)]
    fine = [round(0.90 + 0.005 * i, 3) for i in range(20)]
    return tuple(sorted(set(coarse + fine)))


def _check_probabilities(values: Iterable[float] | None) -> tuple[float, ...]:
    if values is None:
        return default_probabilities()
    try:
        out = tuple(sorted({float(v) for v in values}))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"thresholds must be numbers: {exc}") from exc
    if not out or any(not 0.0 <= v <= 1.0 for v in out):
        raise ConfigError(f"thresholds are probabilities in [0, 1], got {out}")
    return out


def calibrate_verifier(
    pairs: Iterable[PairLike],
    *,
    verifier: PairVerifier | None = None,
    encoder: TextEncoder | None = None,
    candidate_threshold: float | None = None,
    target_precision: float = 0.99,
    thresholds: Iterable[float] | None = None,
    guards: Guards | None = None,
) -> CalibrationReport:
    """Precision / recall / false-hit rate per verifier probability threshold.

    ``candidate_threshold`` defaults to the verifier's own candidate cosine;
    ``guards`` to ``Guards()`` (what the cache applies before the verifier).
    Use the recommended value as ``PairVerifier(threshold=...)``.

    >>> report = calibrate_verifier(
    ...     [("Convert 100 USD to EUR", "How much is 100 USD in EUR?", True),
    ...      ("Convert 100 USD to EUR", "Convert 100 EUR to USD", False)],
    ...     guards=Guards.none())
    >>> report.recommended is not None and report.recommended_row.recall
    1.0
    """
    if isinstance(target_precision, bool) or not isinstance(target_precision, int | float):
        raise ConfigError(f"target_precision must be a number, got {target_precision!r}")
    if not 0.0 < target_precision <= 1.0:
        raise ConfigError(f"target_precision must be in (0, 1], got {target_precision}")
    sweep = _check_probabilities(thresholds)
    if verifier is None:
        verifier = PairVerifier()
    elif not isinstance(verifier, PairVerifier):
        raise ConfigError(f"verifier must be a PairVerifier, got {type(verifier).__name__}")
    cosine = (
        verifier.candidate_threshold
        if candidate_threshold is None
        else check_threshold(candidate_threshold, "candidate_threshold")
    )
    if guards is None:
        guards = Guards()
    elif not isinstance(guards, Guards):
        raise ConfigError(f"guards must be a Guards, got {type(guards).__name__}")
    checked = [_as_pair(item, f"pair {i}") for i, item in enumerate(pairs)]
    if not checked:
        raise InputError("no pairs to calibrate on")
    labels = np.array([dup for _, _, dup in checked], dtype=bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0:
        raise InputError("no duplicate pairs: recall and precision cannot be measured")
    if negatives == 0:
        raise InputError("no non-duplicate pairs: precision cannot be measured")
    if encoder is None:
        from semroute.encoder.encoder import default_encoder

        encoder = default_encoder()
    candidate = _cosines(checked, encoder) >= cosine
    if guards.any:
        signatures: dict[str, Any] = {}
        for i, (a, b, _) in enumerate(checked):
            if candidate[i]:
                sa = signatures.setdefault(a, guard_signature(a))
                sb = signatures.setdefault(b, guard_signature(b))
                candidate[i] = guard_reason(sa, sb, guards) is None
    prob = np.zeros(len(checked), dtype=np.float64)
    asked = np.flatnonzero(candidate)
    if asked.size:
        # The cache asks with (stored, new): the pair's first text is the stored one.
        prob[asked] = verifier.probabilities([checked[i][:2] for i in asked.tolist()])
    rows = []
    for t in sweep:
        hit = candidate & (prob >= t)
        tp = int((hit & labels).sum())
        fp = int((hit & ~labels).sum())
        rows.append(
            ThresholdStats(
                threshold=t,
                hits=tp,
                false_hits=fp,
                precision=tp / (tp + fp) if tp + fp else None,
                recall=tp / positives,
                false_hit_rate=fp / negatives,
            )
        )
    return CalibrationReport(
        rows=tuple(rows),
        target_precision=float(target_precision),
        recommended=_recommend(rows, target_precision),
        positives=positives,
        negatives=negatives,
        guards=guards.enabled,
        encoder=f"{encoder.model_id} (cosine >= {cosine:.3f}) + verifier {verifier.model_id}",
    )
