"""Route each query to the cheapest model tier that will answer it well.

The score is P(the query needs a stronger tier than the cheapest), from a
logistic model over the query embedding and a few native lexical/structural
features. Ordered thresholds map scores to ordered tiers; ``strong_share``
sets them from the score distribution of the training queries (or of your own
queries with :meth:`Router.calibrate`). Rules (regex or keyword -> tier) win
over the score. Deciding takes microseconds given the embedding the cache
already computed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from semroute._inputs import plain_text
from semroute._types import TextEncoder
from semroute.errors import ConfigError, EncoderError, InputError, SemrouteError
from semroute.router.features import route_features
from semroute.router.inputs import check_labels, check_queries, given_embeddings
from semroute.router.model import Scorer, train_scorer
from semroute.router.prefix import route_prefixes
from semroute.router.reasons import reason, signal_matrix
from semroute.router.rules import Rule
from semroute.router.thresholds import check_share, check_thresholds, share_thresholds
from semroute.router.tiers import DEFAULT_TIERS, PRICES_AS_OF, Tier

__all__ = ["DEFAULT_TIERS", "PRICES_AS_OF", "Decision", "Router", "Rule", "Tier"]


DEFAULT_STRONG_SHARE = 0.3
# Penalties for standardised inputs, chosen by grouped cross-validation in
# models/scripts/train_router.py; Router.fit(l2=...) scales both.
DEFAULT_L2_EMBEDDING = 1.0
DEFAULT_L2_FEATURES = 0.3
# Word pieces of each prompt the router embeds (its start); chosen by held-out
# APGR and sanity-set separation against 32/128/254 (benchmarks/router/router_eval.py).
DEFAULT_ROUTE_TOKENS = 64
_DEFAULT_MODEL = "router_default.npz"


class _Shipped(enum.Enum):
    """Marks "the model installed with semroute", distinct from any user path."""

    MODEL = "shipped"


SHIPPED = _Shipped.MODEL


@dataclass(frozen=True, slots=True)
class Decision:
    """Which model to call, and why.

    ``score`` is P(the query needs a tier above the cheapest), in [0, 1];
    ``estimated_cost`` is dollars for the call at the chosen tier's prices,
    with input tokens estimated as characters / 4 and ``output_tokens`` from
    the router's settings. ``rule`` is the pattern that forced the tier, if any.
    """

    model: str
    tier_index: int
    score: float
    reason: str
    estimated_cost: float
    rule: str | None = None


def _default_model_path() -> Path:
    return Path(str(resources.files("semroute.models").joinpath(_DEFAULT_MODEL)))


class Router:
    """Picks the cheapest adequate tier for each query.

    Give either ``threshold`` (one value for two tiers, or an ascending
    sequence of ``len(tiers) - 1``) or ``strong_share``, the share of the
    training queries that would go above the cheapest tier (split evenly over
    the upper tiers when there are more than two). By default the cut is the
    one stored with the model: the shipped model's sends plainly hard requests
    (proofs, non-trivial code, multi-step maths) to the strong tier and plainly
    easy ones (FAQs, greetings, lookups) to the cheap one; a model without one
    (after :meth:`fit`) sends 30 % of its training queries up.

    ``rules`` (and ``keywords``, word -> tier) force a tier when they match,
    first match wins. ``encoder`` defaults to the shared shipped encoder and
    must be the one the model was trained with. ``model`` is the shipped
    classifier by default, a file from :meth:`save`, or ``None`` for an
    untrained router to :meth:`fit`. ``output_tokens`` is the answer length
    assumed by ``Decision.estimated_cost``. ``route_tokens`` caps what is
    embedded to the first that many word pieces of each query (so long
    prompts cost what short ones do); length and structure features still see
    the whole text. An ``embedding`` you pass is used as given.

    >>> router = Router(model=None, threshold=0.5)
    >>> router.fit(["hi", "thanks", "prove the theorem", "derive the integral"], [0, 0, 1, 1])
    Router(tiers=['gpt-4o-mini', 'gpt-4o'], ...)
    >>> router.choose("Prove that the square root of 2 is irrational").model
    'gpt-4o'
    """

    def __init__(
        self,
        *,
        tiers: Sequence[Tier] = DEFAULT_TIERS,
        threshold: float | Sequence[float] | None = None,
        strong_share: float | None = None,
        rules: Sequence[Rule] = (),
        keywords: Mapping[str, str | int] | None = None,
        encoder: TextEncoder | None = None,
        model: str | Path | _Shipped | None = SHIPPED,
        output_tokens: int = 256,
        route_tokens: int = DEFAULT_ROUTE_TOKENS,
    ) -> None:
        self._tiers = tuple(tiers)
        if len(self._tiers) < 2:
            raise ConfigError("a router needs at least two tiers")
        if not all(isinstance(t, Tier) for t in self._tiers):
            raise ConfigError("tiers must be Tier objects")
        names = [t.model for t in self._tiers]
        if len(set(names)) != len(names):
            raise ConfigError(f"tier models must be distinct, got {names}")
        if (
            isinstance(output_tokens, bool)
            or not isinstance(output_tokens, int)
            or output_tokens < 0
        ):
            raise ConfigError(f"output_tokens must be an int >= 0, got {output_tokens!r}")
        self._output_tokens = output_tokens
        if isinstance(route_tokens, bool) or not isinstance(route_tokens, int) or route_tokens < 1:
            raise ConfigError(f"route_tokens must be an int >= 1, got {route_tokens!r}")
        self._route_tokens = route_tokens
        all_rules = [*rules, *(Rule.keyword(w, t) for w, t in (keywords or {}).items())]
        self._rules = tuple((rule, self._tier_index(rule.tier)) for rule in all_rules)
        if threshold is not None and strong_share is not None:
            raise ConfigError("give threshold or strong_share, not both")
        self._fixed: tuple[float, ...] | None = None
        self._share = DEFAULT_STRONG_SHARE
        self._share_given = strong_share is not None
        if threshold is not None:
            self._fixed = check_thresholds(threshold, len(self._tiers))
        elif strong_share is not None:
            self._share = check_share(strong_share)
        self._encoder = encoder
        self._scorer: Scorer | None = None
        if model is SHIPPED:
            model = _default_model_path()
        if model is not None:
            self._scorer, _ = Scorer.load(model)
            self._check_encoder()
            self._adopt_default_share()
        self._thresholds = self._fixed or self._share_thresholds(self._share)

    # -- configuration -----------------------------------------------------

    @property
    def tiers(self) -> tuple[Tier, ...]:
        return self._tiers

    @property
    def thresholds(self) -> tuple[float, ...]:
        """Ascending score cut-offs; a score at or above ``thresholds[j]`` goes to tier j + 1."""
        return self._thresholds

    @property
    def route_tokens(self) -> int:
        """Word pieces of each query's start that are embedded for routing."""
        return self._route_tokens

    def _encode(self, queries: list[str]) -> npt.NDArray[np.float32]:
        encoder = self.encoder
        return encoder.encode(route_prefixes(queries, encoder, self._route_tokens))

    @property
    def encoder(self) -> TextEncoder:
        if self._encoder is None:
            from semroute.encoder.encoder import default_encoder

            self._encoder = default_encoder()
            self._check_encoder()
        return self._encoder

    def __repr__(self) -> str:
        return f"Router(tiers={[t.model for t in self._tiers]}, ...)"

    def _tier_index(self, tier: str | int) -> int:
        if isinstance(tier, int) and not isinstance(tier, bool):
            if 0 <= tier < len(self._tiers):
                return tier
            raise ConfigError(f"tier index {tier} out of range for {len(self._tiers)} tiers")
        for k, t in enumerate(self._tiers):
            if t.model == tier:
                return k
        raise ConfigError(f"unknown tier {tier!r}; tiers are {[t.model for t in self._tiers]}")

    def _share_thresholds(
        self, share: float, scores: npt.NDArray[np.float64] | None = None
    ) -> tuple[float, ...]:
        return share_thresholds(share, len(self._tiers), self._scorer, scores)

    def _adopt_default_share(self) -> None:
        """Use the model's own default cut unless the caller chose a share or threshold."""
        if self._share_given or self._scorer is None:
            return
        if self._scorer.default_strong_share is not None:
            self._share = self._scorer.default_strong_share

    def _check_encoder(self) -> None:
        if self._scorer is None or self._encoder is None:
            return
        if self._encoder.model_id != self._scorer.encoder_id:
            raise ConfigError(
                f"router model was trained on encoder {self._scorer.encoder_id!r}, "
                f"not {self._encoder.model_id!r}: refit it or pass the matching encoder"
            )
        if self._encoder.dim != self._scorer.dim:
            raise ConfigError(
                f"router model expects dim {self._scorer.dim}, encoder has {self._encoder.dim}"
            )

    # -- scoring -----------------------------------------------------------

    def _embeddings(
        self, queries: list[str], embeddings: npt.ArrayLike | None
    ) -> npt.NDArray[np.float32]:
        scorer = self._require_scorer()
        if embeddings is None:
            try:
                return self._encode(queries)
            except SemrouteError:
                raise
            except Exception as exc:  # a user's encoder: wrap, as the errors tree promises
                raise EncoderError(f"the encoder failed on the queries: {exc!r}") from exc
        return given_embeddings(embeddings, len(queries), scorer.dim)

    def _require_scorer(self) -> Scorer:
        if self._scorer is None:
            raise ConfigError("this router has no model: fit it or load one")
        return self._scorer

    def scores(
        self, queries: Sequence[str], *, embeddings: npt.ArrayLike | None = None
    ) -> npt.NDArray[np.float64]:
        """P(needs a tier above the cheapest) for each query.

        >>> router = Router(model=None).fit(["a b", "c d"], [0, 1])
        >>> router.scores(["a b", "c d"]).round(1).tolist()
        [0.0, 1.0]
        """
        items = check_queries(queries)
        if not items:
            return np.zeros(0)
        vectors = self._embeddings(items, embeddings)
        return self._require_scorer().scores(vectors, route_features(items))

    def choose(self, query: str, *, embedding: npt.ArrayLike | None = None) -> Decision:
        """The tier for one query; pass the cache's ``embedding`` to skip encoding.

        >>> router = Router(model=None, threshold=0.5)
        >>> router = router.fit(["hi there", "prove it formally"], [0, 1])
        >>> router.choose("prove it formally").tier_index
        1
        """
        return self.choose_many([plain_text(query, "a query")], embeddings=embedding)[0]

    def choose_many(
        self, queries: Sequence[str], *, embeddings: npt.ArrayLike | None = None
    ) -> list[Decision]:
        """Decisions for a batch, encoding (if needed) and scoring in one pass.

        >>> router = Router(model=None).fit(["a", "b c"], [0, 1])
        >>> [d.model for d in router.choose_many(["a", "b c"])]
        ['gpt-4o-mini', 'gpt-4o']
        """
        items = check_queries(queries)
        if not items:
            return []
        scorer = self._require_scorer()
        vectors = self._embeddings(items, embeddings)
        feats = route_features(items)
        scores, parts = scorer.explain(vectors, feats)
        to_signals = signal_matrix(scorer.part_names)
        signals = parts @ to_signals.T
        # How far each signal's inputs sit above or below the training mean (topic: 0).
        levels = scorer.standardised_features(feats) @ to_signals[:, 1:].T
        tiers = np.searchsorted(np.asarray(self._thresholds), scores, side="right")
        out = []
        for i, query in enumerate(items):
            score = float(scores[i])
            index = int(tiers[i])
            forced = next(((r, t) for r, t in self._rules if r.matches(query)), None)
            if forced is not None:
                index = forced[1]
                why = f"rule {forced[0].name} -> {self._tiers[index].model}"
            else:
                why = reason(
                    score, index, self._thresholds, self._tiers[index].model, signals[i], levels[i]
                )
            tier = self._tiers[index]
            out.append(
                Decision(
                    model=tier.model,
                    tier_index=index,
                    score=score,
                    reason=why,
                    estimated_cost=tier.cost(-(-len(query) // 4), self._output_tokens),
                    rule=forced[0].name if forced is not None else None,
                )
            )
        return out

    # -- training and persistence ------------------------------------------

    def fit(
        self,
        queries: Sequence[str],
        labels: Sequence[float] | npt.ArrayLike,
        *,
        embeddings: npt.ArrayLike | None = None,
        sample_weight: npt.ArrayLike | None = None,
        l2: float = 1.0,
    ) -> Router:
        """Train on your own queries; ``labels`` are 1 (needs the stronger tier) or 0, or soft.

        ``l2`` scales the regularisation (higher is smoother); thresholds set
        by ``strong_share`` are recomputed from the new scores.
        """
        items = check_queries(queries)
        y = check_labels(labels, len(items))
        if isinstance(l2, bool) or not isinstance(l2, int | float) or not l2 > 0:
            raise ConfigError(f"l2 must be a number > 0, got {l2!r}")
        encoder = self.encoder
        if embeddings is None:
            vectors = self._encode(items)
        else:
            vectors = np.ascontiguousarray(np.asarray(embeddings, dtype=np.float32))
            if vectors.shape != (len(items), encoder.dim):
                raise InputError(
                    f"embeddings have shape {vectors.shape}, expected ({len(items)}, {encoder.dim})"
                )
        self._scorer = train_scorer(
            vectors,
            route_features(items),
            y,
            encoder_id=encoder.model_id,
            l2_embedding=DEFAULT_L2_EMBEDDING * l2,
            l2_features=DEFAULT_L2_FEATURES * l2,
            sample_weight=sample_weight,
        )
        if not self._share_given:  # the shipped model's default cut means nothing for this one
            self._share = DEFAULT_STRONG_SHARE
        self._thresholds = self._fixed or self._share_thresholds(self._share)
        return self

    def calibrate(
        self,
        queries: Sequence[str],
        *,
        strong_share: float,
        embeddings: npt.ArrayLike | None = None,
    ) -> tuple[float, ...]:
        """Set thresholds so ``strong_share`` of ``queries`` go above the cheapest tier.

        Use a sample of your real traffic; returns the new thresholds.
        """
        share = check_share(strong_share)
        scores = self.scores(queries, embeddings=embeddings)
        if scores.size == 0:
            raise InputError("calibrate needs at least one query")
        self._fixed = self._share_thresholds(share, scores)
        self._thresholds = self._fixed
        return self._thresholds

    def save(self, path: str | Path) -> None:
        """Write the model, tiers, thresholds and rules to ``path`` (``.npz``, no pickle)."""
        scorer = self._require_scorer()
        settings: dict[str, Any] = {
            "tiers": [[t.model, t.input_per_mtok, t.output_per_mtok] for t in self._tiers],
            "thresholds": list(self._thresholds) if self._fixed is not None else None,
            "strong_share": self._share,
            "rules": [[r.pattern, t, r.ignore_case, r.name] for r, t in self._rules],
            "output_tokens": self._output_tokens,
            "route_tokens": self._route_tokens,
        }
        scorer.save(path, extra={"router": settings})

    @classmethod
    def load(cls, path: str | Path, *, encoder: TextEncoder | None = None) -> Router:
        """A router saved by :meth:`save` (or a bare model file, with default settings).

        Raises ``ConfigError`` for a file of another format version, or one
        trained on another encoder than ``encoder`` (default: the shipped one).
        """
        scorer, meta = Scorer.load(path)
        settings = meta.get("router")
        router = cls(encoder=encoder, model=None)
        try:
            if isinstance(settings, dict):
                tiers = [
                    Tier(str(m), input_per_mtok=i, output_per_mtok=o)
                    for m, i, o in settings["tiers"]
                ]
                rules = [
                    Rule(p, int(t), ignore_case=bool(c), name=str(n))
                    for p, t, c, n in settings["rules"]
                ]
                fixed = settings["thresholds"]
                router = cls(
                    tiers=tiers,
                    threshold=fixed,
                    strong_share=None if fixed is not None else float(settings["strong_share"]),
                    rules=rules,
                    encoder=encoder,
                    model=None,
                    output_tokens=int(settings["output_tokens"]),
                    route_tokens=int(settings.get("route_tokens", DEFAULT_ROUTE_TOKENS)),
                )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"router file {path}: damaged settings ({exc})") from exc
        router._scorer = scorer
        if not isinstance(settings, dict):
            router._adopt_default_share()
        if encoder is not None:
            router._check_encoder()
        else:
            _ = router.encoder  # loads the default encoder and checks its id
        router._thresholds = router._fixed or router._share_thresholds(router._share)
        return router
