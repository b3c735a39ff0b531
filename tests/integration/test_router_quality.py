"""The shipped router model with the real encoder, and held-out quality on the development data.

Skips cleanly without the shipped model files or without ../shared/data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from semroute._router import Router
from semroute._router_data import (
    default_data_dir,
    embed_cached,
    load_mmlu,
    load_routerarena,
    targets,
)
from semroute._router_metrics import routing_curve
from semroute.errors import ConfigError
from tests.fakes import FakeEncoder

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    try:
        from semroute._encoder import Encoder

        return Encoder(threads=1)
    except Exception as exc:
        pytest.skip(f"shipped encoder unavailable: {exc}")


@pytest.fixture(scope="module")
def router(encoder) -> Router:  # type: ignore[no-untyped-def]
    try:
        return Router(encoder=encoder)
    except ConfigError as exc:
        pytest.skip(f"shipped router model unavailable: {exc}")


def test_shipped_model_matches_the_shipped_encoder(router: Router) -> None:
    with pytest.raises(ConfigError, match="encoder"):
        Router(encoder=FakeEncoder(dim=384, model_id="some-other-encoder"))
    d = router.choose("What is the capital of France?")
    assert d.model == "gpt-4o-mini" and 0 <= d.score <= 1 and d.reason


class _CacheOnly:
    """Serves the development embedding cache and refuses to embed anything new."""

    def __init__(self, model_id: str, dim: int) -> None:
        self.model_id, self.dim = model_id, dim

    def encode(self, texts: list[str]) -> np.ndarray:
        pytest.skip(
            "development embeddings not cached: run benchmarks/quality/router_eval.py once "
            f"({len(texts)} texts missing)"
        )

    def count_tokens(self, texts: list[str]) -> list[int]:
        raise NotImplementedError


def test_trained_router_beats_length_on_held_out_groups(encoder) -> None:  # type: ignore[no-untyped-def]
    """Trained on whole subjects/benchmarks, scored on the others (3 folds), real embeddings."""
    data_dir = default_data_dir()
    if not (data_dir / "routing" / "mmlu").is_dir():
        pytest.skip(f"development data not found under {data_dir}")
    sets = [load_mmlu(data_dir), load_routerarena(data_dir)]
    texts = [t for s in sets for t in s.texts]
    cache = Path(__file__).resolve().parents[2] / "benchmarks" / ".cache"
    vectors = embed_cached(_CacheOnly(encoder.model_id, encoder.dim), texts, cache)
    weak = np.concatenate([s.weak for s in sets])
    strong = np.concatenate([s.strong for s in sets])
    source = np.concatenate([[s.name] * len(s) for s in sets])
    groups = [
        f"{s.name}:{g.split('_')[0] if s.name == 'routerarena' else g}"
        for s in sets
        for g in s.groups
    ]
    names = sorted(set(groups))
    fold_of = {g: k % 3 for k, g in enumerate(np.random.default_rng(0).permutation(names))}
    fold = np.array([fold_of[g] for g in groups])
    y = targets(weak, strong, "soft")
    scores = np.zeros(len(texts))
    for f in range(3):
        train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        router = Router(encoder=encoder, model=None).fit(
            [texts[i] for i in train], y[train], embeddings=vectors[train]
        )
        scores[test] = router.scores([texts[i] for i in test], embeddings=vectors[test])
    lengths = np.array([len(t) for t in texts], float)
    for name in ("mmlu", "routerarena"):
        m = source == name
        trained = routing_curve(scores[m], weak[m], strong[m])
        length = routing_curve(lengths[m], weak[m], strong[m])
        assert trained.apgr > length.apgr + 0.01, name
        assert trained.cpt(0.5) < length.cpt(0.5), name
