"""Pick a similarity threshold from your own labelled pairs.

Each pair is two queries and whether one's answer may serve the other. Both
are embedded, the cosine computed, and for every threshold of a sweep the
pairs that would hit are counted: precision (hits that were right), recall
(duplicates that hit) and false-hit rate (non-duplicates that hit). By default
the hit guards are applied too, so the figures describe what the cache does.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from semroute._types import TextEncoder
from semroute.cache.guards.api import Guards, guard_reason, guard_signature
from semroute.errors import ConfigError, InputError

__all__ = [
    "CalibrationReport",
    "ThresholdStats",
    "calibrate",
    "default_thresholds",
    "load_pairs",
]

Pair = tuple[str, str, bool]
PairLike = Sequence[Any] | Mapping[str, Any]


def default_thresholds() -> tuple[float, ...]:
    """The sweep used when none is given: 0.80 to 0.99 in steps of 0.005."""
    return tuple(round(0.80 + 0.005 * i, 3) for i in range(39))


@dataclass(frozen=True, slots=True)
class ThresholdStats:
    """What a cache at ``threshold`` would have done on the pairs."""

    threshold: float
    hits: int  # duplicates served: true positives
    false_hits: int  # non-duplicates served: wrong answers
    precision: float | None  # None when nothing hits
    recall: float
    false_hit_rate: float


@dataclass(frozen=True, slots=True)
class CalibrationReport:
    """Per-threshold figures and the recommended threshold (None if none qualifies).

    ``recommended`` is the lowest threshold of the sweep whose precision (over
    every pair it would serve, i.e. all pairs at or above it) reaches
    ``target_precision``: the most hits at that precision.
    """

    rows: tuple[ThresholdStats, ...]
    target_precision: float
    recommended: float | None
    positives: int
    negatives: int
    guards: tuple[str, ...]
    encoder: str

    @property
    def recommended_row(self) -> ThresholdStats | None:
        """The row of the recommended threshold."""
        return next((r for r in self.rows if r.threshold == self.recommended), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        out = asdict(self)
        out["rows"] = [asdict(r) for r in self.rows]
        out["guards"] = list(self.guards)
        return out

    def format_table(self) -> str:
        """A text table, one row per threshold, the recommended one marked."""
        lines = [
            f"{self.positives} duplicate and {self.negatives} non-duplicate pairs; "
            f"encoder {self.encoder}; guards: {', '.join(self.guards) or 'off'}",
            f"{'threshold':>9} {'precision':>9} {'recall':>7} {'false-hit':>9} "
            f"{'hits':>6} {'wrong':>6}",
        ]
        for r in self.rows:
            precision = "-" if r.precision is None else f"{r.precision:.4f}"
            mark = "  <- recommended" if r.threshold == self.recommended else ""
            lines.append(
                f"{r.threshold:>9.3f} {precision:>9} {r.recall:>7.4f} {r.false_hit_rate:>9.4f} "
                f"{r.hits:>6} {r.false_hits:>6}{mark}"
            )
        if self.recommended is None:
            lines.append(f"no threshold reaches precision {self.target_precision}")
        else:
            lines.append(
                f"recommended threshold: {self.recommended:.3f} "
                f"(target precision {self.target_precision})"
            )
        return "\n".join(lines)

    def save_plot(self, path: str | PathLike[str]) -> None:
        """Write precision, recall and false-hit rate against threshold as a PNG.

        Needs matplotlib (``pip install matplotlib``); without it, ``ConfigError``.
        """
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError as exc:
            raise ConfigError(
                "CalibrationReport.save_plot needs matplotlib: "
                "pip install 'semroute[report]' (or pip install matplotlib)"
            ) from exc
        xs = [r.threshold for r in self.rows]
        fig = Figure(figsize=(7, 4.5), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.plot(
            xs,
            [math.nan if r.precision is None else r.precision for r in self.rows],
            label="precision",
        )
        ax.plot(xs, [r.recall for r in self.rows], label="recall (hit rate on duplicates)")
        ax.plot(xs, [r.false_hit_rate for r in self.rows], label="false-hit rate")
        ax.axhline(
            self.target_precision,
            color="grey",
            linestyle=":",
            linewidth=1,
            label=f"target precision {self.target_precision}",
        )
        if self.recommended is not None:
            ax.axvline(
                self.recommended,
                color="black",
                linestyle="--",
                linewidth=1,
                label=f"recommended {self.recommended:.3f}",
            )
        ax.set_xlabel("cosine similarity threshold")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"semroute calibrate: {self.positives} + {self.negatives} pairs")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best", fontsize="small")
        fig.tight_layout()
        try:
            fig.savefig(Path(path), format="png")
        except OSError as exc:
            raise InputError(f"cannot write plot to {str(path)!r}: {exc}") from exc


def _as_pair(item: PairLike, where: str) -> Pair:
    if isinstance(item, Mapping):
        missing = [k for k in ("a", "b", "duplicate") if k not in item]
        if missing:
            raise InputError(f"{where}: missing key(s) {', '.join(missing)}")
        a, b, dup = item["a"], item["b"], item["duplicate"]
    elif isinstance(item, Sequence) and not isinstance(item, str | bytes) and len(item) == 3:
        a, b, dup = item
    else:
        raise InputError(f"{where}: expected (a, b, duplicate) or {{'a', 'b', 'duplicate'}}")
    for name, text in (("a", a), ("b", b)):
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{where}: {name!r} must be a non-empty string, got {text!r}")
    # bool or exactly 0/1: a score like 4.2 is not a label.
    if isinstance(dup, bool):
        label = dup
    elif isinstance(dup, int) and dup in (0, 1):
        label = bool(dup)
    else:
        raise InputError(f"{where}: 'duplicate' must be true/false, got {dup!r}")
    return a, b, label


def load_pairs(path: str | PathLike[str]) -> list[Pair]:
    """Read labelled pairs from a JSONL file, one ``{"a", "b", "duplicate"}`` per line.

    >>> import tempfile, os
    >>> f = tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False)
    >>> _ = f.write('{"a": "hi", "b": "hello", "duplicate": true}\\n'); f.close()
    >>> load_pairs(f.name)
    [('hi', 'hello', True)]
    >>> os.unlink(f.name)
    """
    pairs: list[Pair] = []
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path} line {number}"
                try:
                    item = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{where}: not valid JSON ({exc.msg})") from exc
                if not isinstance(item, dict):
                    raise InputError(f"{where}: expected a JSON object")
                pairs.append(_as_pair(item, where))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read pairs from {str(path)!r}: {exc}") from exc
    if not pairs:
        raise InputError(f"{path}: no pairs (the file is empty)")
    return pairs


def _check_thresholds(thresholds: Iterable[float] | None) -> tuple[float, ...]:
    if thresholds is None:
        return default_thresholds()
    try:
        values = tuple(sorted({float(t) for t in thresholds}))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"thresholds must be numbers: {exc}") from exc
    if not values:
        raise ConfigError("thresholds is empty")
    bad = [t for t in values if not -1.0 <= t <= 1.0]
    if bad:
        raise ConfigError(f"thresholds are cosines in [-1, 1], got {bad}")
    return values


def _cosines(pairs: list[Pair], encoder: TextEncoder) -> npt.NDArray[np.float64]:
    texts = sorted({t for a, b, _ in pairs for t in (a, b)})
    index = {t: i for i, t in enumerate(texts)}
    vectors = np.asarray(encoder.encode(texts), dtype=np.float64)
    if vectors.shape[0] != len(texts):
        raise ConfigError(f"encoder returned {vectors.shape[0]} vectors for {len(texts)} texts")
    a = vectors[[index[p[0]] for p in pairs]]
    b = vectors[[index[p[1]] for p in pairs]]
    cosines: npt.NDArray[np.float64] = np.clip(np.einsum("ij,ij->i", a, b), -1.0, 1.0)
    return cosines


def calibrate(
    pairs: Iterable[PairLike],
    *,
    encoder: TextEncoder | None = None,
    target_precision: float = 0.99,
    thresholds: Iterable[float] | None = None,
    guards: Guards | None = None,
) -> CalibrationReport:
    """Precision / recall / false-hit rate per threshold, and the threshold to use.

    ``guards`` defaults to ``Guards()`` (what the cache applies); pass
    ``Guards.none()`` to calibrate similarity alone.

    >>> report = calibrate(
    ...     [("How do I reset my password?", "How can I reset my password?", True),
    ...      ("How do I reset my password?", "How do I delete my account?", False)],
    ...     target_precision=0.99)
    >>> report.recommended, report.recommended_row.recall
    (0.8, 1.0)
    """
    if isinstance(target_precision, bool) or not isinstance(target_precision, int | float):
        raise ConfigError(f"target_precision must be a number, got {target_precision!r}")
    if not 0.0 < target_precision <= 1.0:
        raise ConfigError(f"target_precision must be in (0, 1], got {target_precision}")
    sweep = _check_thresholds(thresholds)
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
    sims = _cosines(checked, encoder)
    allowed = np.ones(len(checked), dtype=bool)
    if guards.any:
        signatures: dict[str, Any] = {}
        for i, (a, b, _) in enumerate(checked):
            if sims[i] < sweep[0]:
                continue  # below every threshold: the guards would never be asked
            sa = signatures.setdefault(a, guard_signature(a))
            sb = signatures.setdefault(b, guard_signature(b))
            allowed[i] = guard_reason(sa, sb, guards) is None
    rows = []
    for t in sweep:
        hit = (sims >= t) & allowed
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
        encoder=encoder.model_id,
    )


def _recommend(rows: list[ThresholdStats], target: float) -> float | None:
    # Precision at t already covers every pair served at t, so the lowest
    # qualifying threshold is the answer even if a higher one dips below.
    for row in rows:
        if row.precision is not None and row.precision >= target:
            return row.threshold
    return None
