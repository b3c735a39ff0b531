"""The router's classifier: logistic regression over [embedding, features], in numpy.

Training is Newton's method on the L2-regularised cross-entropy, which accepts
soft targets in [0, 1]; it is deterministic and takes about a second on ten
thousand queries. Inputs are standardised with the training mean and spread,
so one penalty fits both blocks; a separate penalty per block lets the
embedding (384 weak, correlated columns) be shrunk harder than the few
hand-made features. Scoring is one dot product.

The file format is ``.npz`` holding only numeric arrays and one JSON string,
read with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from semroute.errors import ConfigError
from semroute.router.features import FEATURE_NAMES

FORMAT = "semroute-router"
FORMAT_VERSION = 1
_QUANTILE_GRID = np.linspace(0.0, 1.0, 1001)

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


def _sigmoid(z: F64) -> F64:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)), dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Scorer:
    """P(needs the stronger model) from an embedding and the raw feature row."""

    encoder_id: str
    dim: int
    weights: F64  # (dim + n_features,) over standardised inputs
    bias: float
    mean: F64
    scale: F64
    score_quantiles: F64  # training scores at _QUANTILE_GRID, for strong_share
    feature_names: tuple[str, ...] = FEATURE_NAMES
    info: str = ""
    # The share of the reference (training) queries above the default cut; the
    # shipped model sets it so plainly hard prompts go strong (None: the router's own).
    default_strong_share: float | None = None
    _coef_emb: F64 = field(init=False, repr=False)
    _offset_emb: float = field(init=False, repr=False)
    _coef_feat: F64 = field(init=False, repr=False)
    _offset_feat: F64 = field(init=False, repr=False)

    def __post_init__(self) -> None:
        width = self.dim + len(self.feature_names)
        for name in ("weights", "mean", "scale"):
            if getattr(self, name).shape != (width,):
                raise ConfigError(f"router model: {name} has the wrong shape for dim {self.dim}")
        if not (np.all(np.isfinite(self.weights)) and np.isfinite(self.bias)):
            raise ConfigError("router model: weights are not finite")
        if self.score_quantiles.shape != _QUANTILE_GRID.shape:
            raise ConfigError("router model: score quantile table has the wrong length")
        # Fold the standardisation into the weights once: w * (x - m) / s = x * c - o.
        coef = self.weights / self.scale
        offset = self.mean * coef
        d = self.dim
        object.__setattr__(self, "_coef_emb", coef[:d])
        object.__setattr__(self, "_offset_emb", float(offset[:d].sum()))
        object.__setattr__(self, "_coef_feat", coef[d:])
        object.__setattr__(self, "_offset_feat", offset[d:])

    def scores(self, embeddings: F32, features: F32) -> F64:
        return self.explain(embeddings, features)[0]

    @property
    def part_names(self) -> tuple[str, ...]:
        """Names of the columns of :meth:`explain`'s contributions: the embedding, then features."""
        return ("topic", *self.feature_names)

    def explain(self, embeddings: F32, features: F32) -> tuple[F64, F64]:
        """Scores and each row's logit contributions (embedding block summed, then features)."""
        named = np.empty((len(embeddings), 1 + len(self.feature_names)))
        named[:, 0] = embeddings @ self._coef_emb
        named[:, 0] -= self._offset_emb
        named[:, 1:] = features * self._coef_feat
        named[:, 1:] -= self._offset_feat
        return _sigmoid(named.sum(axis=1) + self.bias), named

    def standardised_features(self, features: F32) -> F64:
        """The feature rows as the model sees them: minus the training mean, over its spread."""
        d = self.dim
        return np.asarray((features - self.mean[d:]) / self.scale[d:], dtype=np.float64)

    def share_threshold(self, share: float) -> float:
        """The score above which ``share`` of the training queries fall."""
        return float(np.interp(1.0 - share, _QUANTILE_GRID, self.score_quantiles))

    # -- persistence -------------------------------------------------------

    def save(self, path: str | Path, *, extra: dict[str, Any] | None = None) -> None:
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "encoder_id": self.encoder_id,
            "dim": self.dim,
            "feature_names": list(self.feature_names),
            "bias": self.bias,
            "info": self.info,
            "default_strong_share": self.default_strong_share,
            **(extra or {}),
        }
        with open(path, "wb") as fh:
            np.savez_compressed(
                fh,
                meta=np.array(json.dumps(meta, sort_keys=True)),
                weights=self.weights,
                mean=self.mean,
                scale=self.scale,
                score_quantiles=self.score_quantiles,
            )

    @classmethod
    def load(cls, path: str | Path) -> tuple[Scorer, dict[str, Any]]:
        """The scorer in ``path`` and the whole metadata dict (router settings included)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                arrays = {k: np.asarray(data[k], dtype=np.float64) for k in _ARRAYS}
        except FileNotFoundError as exc:
            raise ConfigError(f"router model {path}: no such file") from exc
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ConfigError(f"router model {path}: not a semroute router file ({exc})") from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ConfigError(f"router model {path}: not a semroute router file")
        if meta.get("format_version") != FORMAT_VERSION:
            raise ConfigError(
                f"router model {path}: format version {meta.get('format_version')!r}, "
                f"this semroute reads version {FORMAT_VERSION}"
            )
        if tuple(meta.get("feature_names", ())) != FEATURE_NAMES:
            raise ConfigError(f"router model {path}: made with another feature set")
        try:
            scorer = cls(
                encoder_id=str(meta["encoder_id"]),
                dim=int(meta["dim"]),
                bias=float(meta["bias"]),
                info=str(meta.get("info", "")),
                default_strong_share=_optional_share(meta.get("default_strong_share")),
                weights=arrays["weights"],
                mean=arrays["mean"],
                scale=arrays["scale"],
                score_quantiles=arrays["score_quantiles"],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"router model {path}: damaged metadata ({exc})") from exc
        return scorer, meta


_ARRAYS = ("weights", "mean", "scale", "score_quantiles")


def _optional_share(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"default_strong_share {value!r} is not a share in [0, 1]")
    return float(value)


def fit_logistic(
    x: F64,
    y: F64,
    *,
    l2: float | F64,
    sample_weight: F64 | None = None,
    max_iter: int = 50,
    tol: float = 1e-8,
) -> tuple[F64, float]:
    """Weights and bias minimising mean weighted cross-entropy + ``l2/2 * |w|^2``.

    ``y`` may be soft (any value in [0, 1]); ``l2`` may be one value per column.
    """
    n, p = x.shape
    sw = np.ones(n) if sample_weight is None else sample_weight / sample_weight.mean()
    penalty = np.broadcast_to(np.asarray(l2, dtype=np.float64), (p,))
    xb = np.concatenate([x, np.ones((n, 1))], axis=1)
    reg = np.r_[penalty, 0.0]  # the bias is not penalised
    beta = np.zeros(p + 1)
    for _ in range(max_iter):
        prob = _sigmoid(xb @ beta)
        grad = xb.T @ (sw * (prob - y)) / n + reg * beta
        curvature = sw * prob * (1.0 - prob) / n
        hess = (xb * curvature[:, None]).T @ xb + np.diag(reg + 1e-10)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if float(np.max(np.abs(step))) < tol:
            break
    return beta[:p], float(beta[p])


def train_scorer(
    embeddings: F32,
    features: F32,
    targets: npt.ArrayLike,
    *,
    encoder_id: str,
    l2_embedding: float = 1.0,
    l2_features: float | npt.ArrayLike = 0.01,
    sample_weight: npt.ArrayLike | None = None,
    reference: npt.ArrayLike | None = None,
    info: str = "",
    feature_names: tuple[str, ...] | None = None,
) -> Scorer:
    """Fit a :class:`Scorer`; ``targets`` in [0, 1] (hard labels or soft).

    ``l2_features`` is one penalty for every feature column or one per column.
    ``reference`` (a boolean mask over the rows, default all) picks the rows
    whose scores make the quantile table behind ``strong_share``: extra
    training rows such as written examples need not change what a share means.
    """
    y = np.asarray(targets, dtype=np.float64)
    x = np.concatenate([embeddings, features], axis=1).astype(np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0  # a constant column carries no signal; keep it finite
    z = (x - mean) / scale
    dim = embeddings.shape[1]
    l2_feat = np.broadcast_to(np.asarray(l2_features, dtype=np.float64), (features.shape[1],))
    l2 = np.r_[np.full(dim, l2_embedding), l2_feat]
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    weights, bias = fit_logistic(z, y, l2=l2, sample_weight=sw)
    rows = np.ones(len(z), bool) if reference is None else np.asarray(reference, dtype=bool)
    if rows.shape != (len(z),) or not rows.any():
        raise ValueError("reference must be a boolean mask over the rows with at least one row")
    train_scores = _sigmoid(z[rows] @ weights + bias)
    return Scorer(
        encoder_id=encoder_id,
        dim=dim,
        weights=weights,
        bias=bias,
        mean=mean,
        scale=scale,
        score_quantiles=np.quantile(train_scores, _QUANTILE_GRID),
        feature_names=FEATURE_NAMES if feature_names is None else feature_names,
        info=info,
    )
