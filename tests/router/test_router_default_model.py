"""The shipped router file carries the recipe issue 17 chose (no encoder needed)."""

from __future__ import annotations

from semroute.router.model import Scorer
from semroute.router.router import _default_model_path


def test_shipped_model_adds_the_length_prior() -> None:
    scorer, _ = Scorer.load(_default_model_path())
    assert "length prior 0.25" in scorer.info, scorer.info
    weight = scorer.weights[scorer.dim + scorer.feature_names.index("log_chars")]
    # 0.073 fitted + 0.25 prior = 0.323 in the shipped file; the same recipe without the
    # prior fits about 0.07 on this standardised column.
    assert weight > 0.25, weight


def test_shipped_model_records_its_default_cut() -> None:
    scorer, _ = Scorer.load(_default_model_path())
    assert scorer.default_strong_share is not None
    cut = scorer.share_threshold(scorer.default_strong_share)
    assert 0.0 < cut < 1.0
    assert "default cut" in scorer.info and "easy technical" in scorer.info, scorer.info
