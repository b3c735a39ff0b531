"""The shipped router model with the real encoder, and held-out quality on the development data.

The held-out check runs from a committed fixture (embeddings, no text), so it needs no
../shared/data and runs in every CI run; it skips only without the shipped model files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.router.router_sample import dequantize
from semroute.errors import ConfigError
from semroute.router.data import targets
from semroute.router.metrics import routing_curve
from semroute.router.model import train_scorer
from semroute.router.router import DEFAULT_L2_EMBEDDING, DEFAULT_L2_FEATURES, Router
from tests.fakes import FakeEncoder

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    try:
        from semroute.encoder.encoder import Encoder

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


SAMPLE = Path(__file__).resolve().parent / "data" / "router_sample.npz"


def test_trained_router_beats_length_on_held_out_groups(encoder) -> None:  # type: ignore[no-untyped-def]
    """Trained on whole subjects/benchmarks, scored on the others (3 folds), real embeddings.

    The embeddings, feature rows and labels of 1,582 development queries (RouteLLM MMLU,
    RouterArena) come from ``benchmarks/router/router_sample.py``; no text is stored.
    Training goes through the router's own ``train_scorer`` with its default penalties.
    """
    with np.load(SAMPLE, allow_pickle=False) as data:
        sample = {key: data[key] for key in data.files}
    info = json.loads(str(sample["info"]))
    assert info["encoder_id"] == encoder.model_id, "re-run benchmarks/router/router_sample.py"
    vectors = dequantize(sample["embeddings"], sample["scale"])
    features = sample["features"]
    weak, strong = sample["weak"].astype(np.float64), sample["strong"].astype(np.float64)
    source, groups = sample["source"], sample["group"]
    assert vectors.shape == (len(weak), encoder.dim) and features.shape[0] == len(weak)
    names = sorted(set(groups.tolist()))
    fold_of = {g: k % 3 for k, g in enumerate(np.random.default_rng(0).permutation(names))}
    fold = np.array([fold_of[g] for g in groups.tolist()])
    y = targets(weak, strong, "soft")
    scores = np.zeros(len(y))
    for f in range(3):
        train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        scorer = train_scorer(
            vectors[train],
            features[train],
            y[train],
            encoder_id=encoder.model_id,
            l2_embedding=DEFAULT_L2_EMBEDDING,
            l2_features=DEFAULT_L2_FEATURES,
        )
        scores[test] = scorer.scores(vectors[test], features[test])
    lengths = sample["lengths"].astype(np.float64)
    for set_id, name in ((0, "mmlu"), (1, "routerarena")):
        m = source == set_id
        trained = routing_curve(scores[m], weak[m], strong[m])
        length = routing_curve(lengths[m], weak[m], strong[m])
        assert trained.apgr > length.apgr + 0.02, (name, trained.apgr, length.apgr)
        assert trained.cpt(0.5) < length.cpt(0.5), name
