"""Router, Tier, Rule and Decision with the fake encoder: no model files, no data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from semroute.errors import ConfigError, InputError, InputTypeError
from semroute.router.metrics import routing_curve
from semroute.router.router import DEFAULT_TIERS, Decision, Router, Rule, Tier
from tests.fakes import FakeEncoder

HARD = ["theorem", "derive", "integral", "eigenvalue", "prove", "lemma", "entropy", "tensor"]
EASY = ["hello", "weather", "recipe", "movie", "holiday", "shopping", "music", "garden"]
FILLER = ["the", "a", "about", "please", "tell", "me", "some", "with", "and", "for", "my"]


def _synthetic(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Queries whose need for the strong tier depends on topic words, not on length."""
    rng = np.random.default_rng(seed)
    queries, labels = [], []
    for _ in range(n):
        hard = bool(rng.random() < 0.4)
        words = list(rng.choice(FILLER, size=int(rng.integers(2, 30))))
        words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(HARD if hard else EASY)))
        queries.append(" ".join(words))
        labels.append(float(hard) if rng.random() > 0.1 else float(not hard))
    return queries, np.array(labels)


@pytest.fixture(scope="module")
def data() -> tuple[list[str], np.ndarray]:
    return _synthetic(400, seed=1)


@pytest.fixture()
def router(data: tuple[list[str], np.ndarray]) -> Router:
    queries, labels = data
    return Router(encoder=FakeEncoder(), model=None).fit(queries, labels)


# -- Tier, Rule, configuration ------------------------------------------------


@pytest.mark.parametrize("price", [-0.01, math.nan, math.inf, "1.0", True])
def test_tier_rejects_bad_prices(price: object) -> None:
    with pytest.raises(ConfigError):
        Tier("m", input_per_mtok=price)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        Tier("m", output_per_mtok=price)  # type: ignore[arg-type]


def test_tier_is_frozen_and_prices_a_call() -> None:
    tier = Tier("gpt-4o", input_per_mtok=2.5, output_per_mtok=10.0)
    assert tier.cost(1_000_000, 0) == pytest.approx(2.5)
    assert tier.cost(400, 100) == pytest.approx((400 * 2.5 + 100 * 10.0) / 1e6)
    with pytest.raises(AttributeError):
        tier.model = "other"  # type: ignore[misc]
    with pytest.raises(ConfigError):
        Tier("  ")


def test_default_tiers_are_cheap_then_strong() -> None:
    assert DEFAULT_TIERS[0].output_per_mtok < DEFAULT_TIERS[1].output_per_mtok


@pytest.mark.parametrize(
    "kwargs",
    [
        {"tiers": [Tier("only")]},
        {"tiers": [Tier("a"), Tier("a")]},
        {"tiers": ["a", "b"]},
        {"threshold": 0.5, "strong_share": 0.2},
        {"threshold": 1.5},
        {"threshold": "0.5"},
        {"threshold": None, "strong_share": True},
        {"threshold": [0.2, 0.4]},
        {"tiers": [Tier("a"), Tier("b"), Tier("c")], "threshold": [0.6, 0.4]},
        {"strong_share": 1.2},
        {"strong_share": -0.1},
        {"rules": [Rule("x", "no-such-model")]},
        {"rules": [Rule("x", 7)]},
        {"keywords": {"contract": "gpt-5"}},
        {"output_tokens": -1},
    ],
)
def test_bad_configuration_raises_config_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        Router(encoder=FakeEncoder(), model=None, **kwargs)  # type: ignore[arg-type]


def test_bad_rules_raise_config_error() -> None:
    with pytest.raises(ConfigError):
        Rule("(unclosed", "gpt-4o")
    with pytest.raises(ConfigError):
        Rule("", "gpt-4o")
    with pytest.raises(ConfigError):
        Rule.keyword("   ", "gpt-4o")


def test_keyword_rule_matches_whole_words_in_any_case() -> None:
    rule = Rule.keyword("contract", "gpt-4o")
    assert rule.matches("Please review this CONTRACT.")
    assert not rule.matches("the muscle contracted")


# -- choosing ----------------------------------------------------------------


def test_untrained_router_says_so() -> None:
    with pytest.raises(ConfigError, match="fit"):
        Router(encoder=FakeEncoder(), model=None).choose("hello")


def test_decision_fields(router: Router) -> None:
    d = router.choose("please derive the integral of the tensor")
    assert isinstance(d, Decision)
    assert 0.0 <= d.score <= 1.0
    assert d.model == router.tiers[d.tier_index].model == "gpt-4o"
    assert d.rule is None
    assert "gpt-4o" in d.reason and "score" in d.reason
    chars = len("please derive the integral of the tensor")
    assert d.estimated_cost == pytest.approx(router.tiers[1].cost(math.ceil(chars / 4), 256))
    cheap = router.choose("tell me about the weather and my garden")
    assert cheap.tier_index == 0 and cheap.score < d.score


def test_bad_queries_raise_input_errors(router: Router) -> None:
    with pytest.raises(InputError):
        router.choose("   ")
    with pytest.raises(InputTypeError):
        router.choose(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(InputTypeError):
        router.choose_many("one string")
    with pytest.raises(InputTypeError):
        router.choose_many(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(InputError):
        router.choose("ok", embedding=np.zeros(5, np.float32))
    bad = np.full(64, np.nan, np.float32)
    with pytest.raises(InputError):
        router.choose("ok", embedding=bad)


def test_given_embedding_skips_the_encoder_and_agrees(router: Router) -> None:
    query = "prove the lemma about entropy"
    encoder = router.encoder
    assert isinstance(encoder, FakeEncoder)
    vector = encoder.encode(query)[0]
    calls = encoder.calls
    with_vec = router.choose(query, embedding=vector)
    assert encoder.calls == calls
    without = router.choose(query)
    assert encoder.calls == calls + 1
    assert with_vec.model == without.model
    assert with_vec.score == pytest.approx(without.score, rel=1e-9)


@pytest.mark.parametrize(
    "bad",
    [
        np.float64(3.4028235677973366e38),  # just beyond float32: must not overflow in a cast
        np.full(16, np.nan, dtype=np.float32),  # the float32 fast path
        [math.inf] * 16,
    ],
)
def test_embeddings_that_are_not_finite_float32_are_input_errors(
    router: Router, bad: object
) -> None:
    with pytest.raises(InputError, match="NaN, infinity or values beyond float32"):
        router.choose("prove the lemma", embedding=bad)  # type: ignore[arg-type]


def test_choose_many_matches_choose(router: Router, data: tuple[list[str], np.ndarray]) -> None:
    queries = data[0][:25]
    batched = router.choose_many(queries)
    single = [router.choose(q) for q in queries]
    # A batch goes through one matrix product: scores may differ in the last bits.
    assert [d.model for d in batched] == [d.model for d in single]
    np.testing.assert_allclose([d.score for d in batched], [d.score for d in single], rtol=1e-9)
    assert router.choose_many([]) == []


def test_rules_override_the_score(router: Router, data: tuple[list[str], np.ndarray]) -> None:
    queries, labels = data
    forced = Router(
        encoder=FakeEncoder(),
        model=None,
        rules=[Rule(r"\bweather\b", 0)],
        keywords={"contract": "gpt-4o"},
    ).fit(queries, labels)
    d = forced.choose("hello, can you check this contract")
    assert d.model == "gpt-4o" and d.rule == "keyword 'contract'" and "contract" in d.reason
    assert d.score == pytest.approx(router.choose("hello, can you check this contract").score)
    assert forced.choose("derive the theorem about weather").tier_index == 0


# -- thresholds, shares, calibration ------------------------------------------


def test_strong_share_sets_the_training_share(data: tuple[list[str], np.ndarray]) -> None:
    queries, labels = data
    for share in (0.1, 0.5):
        r = Router(encoder=FakeEncoder(), model=None, strong_share=share).fit(queries, labels)
        sent = np.mean([d.tier_index for d in r.choose_many(queries)])
        assert sent == pytest.approx(share, abs=0.03)


def test_three_tiers_follow_ordered_thresholds(data: tuple[list[str], np.ndarray]) -> None:
    queries, labels = data
    tiers = [Tier("small"), Tier("medium", input_per_mtok=1.0), Tier("large", input_per_mtok=5)]
    r = Router(tiers=tiers, encoder=FakeEncoder(), model=None, strong_share=0.6).fit(
        queries, labels
    )
    decisions = r.choose_many(queries)
    order = np.argsort([d.score for d in decisions])
    indices = [decisions[i].tier_index for i in order]
    assert indices == sorted(indices)  # higher score never gets a cheaper tier
    counts = np.bincount(indices, minlength=3) / len(queries)
    np.testing.assert_allclose(counts, [0.4, 0.3, 0.3], atol=0.03)
    fixed = Router(
        tiers=tiers, encoder=FakeEncoder(), model=None, threshold=np.array([0.3, 0.7], np.float32)
    )
    fixed.fit(queries, labels)
    for d in fixed.choose_many(queries[:50]):
        assert d.tier_index == (d.score >= 0.3) + (d.score >= 0.7)


def test_calibrate_hits_the_requested_share(router: Router) -> None:
    traffic, _ = _synthetic(300, seed=3)
    thresholds = router.calibrate(traffic, strong_share=0.25)
    assert thresholds == router.thresholds
    sent = np.mean([d.tier_index for d in router.choose_many(traffic)])
    assert sent == pytest.approx(0.25, abs=0.01)
    assert router.calibrate(traffic, strong_share=0.0) and not any(
        d.tier_index for d in router.choose_many(traffic)
    )
    router.calibrate(traffic, strong_share=1.0)
    assert all(d.tier_index == 1 for d in router.choose_many(traffic))
    with pytest.raises(ConfigError):
        router.calibrate(traffic, strong_share=2.0)


# -- fit, quality -----------------------------------------------------------


def test_fit_rejects_bad_labels(data: tuple[list[str], np.ndarray]) -> None:
    queries, labels = data
    r = Router(encoder=FakeEncoder(), model=None)
    with pytest.raises(InputError):
        r.fit(queries, labels[:-1])
    with pytest.raises(InputError):
        r.fit(queries, labels * 2)
    with pytest.raises(InputError):
        r.fit(queries, np.ones(len(queries)))
    with pytest.raises(ConfigError):
        r.fit(queries, labels, l2=0)


def test_trained_router_beats_length_on_held_out_queries(router: Router) -> None:
    queries, labels = _synthetic(300, seed=4)
    strong = np.ones(len(queries))
    weak = 1.0 - labels  # the weak model fails exactly where the strong tier is needed
    trained = routing_curve(router.scores(queries), weak, strong)
    length = routing_curve([len(q) for q in queries], weak, strong)
    assert trained.apgr > length.apgr + 0.1
    assert trained.cpt(0.5) < length.cpt(0.5)


def test_soft_labels_fit(data: tuple[list[str], np.ndarray]) -> None:
    queries, labels = data
    soft = 0.2 + 0.6 * labels
    r = Router(encoder=FakeEncoder(), model=None).fit(queries, soft)
    s = r.scores(queries)
    assert s[labels == 1].mean() > s[labels == 0].mean()


# -- persistence ---------------------------------------------------------------


def test_save_load_round_trip(tmp_path: Path, data: tuple[list[str], np.ndarray]) -> None:
    queries, labels = data
    tiers = [
        Tier("a", input_per_mtok=0.1),
        Tier("b", input_per_mtok=1),
        Tier("c", output_per_mtok=9),
    ]
    r = Router(
        tiers=tiers, encoder=FakeEncoder(), model=None, keywords={"contract": "c"}, output_tokens=50
    ).fit(queries, labels)
    path = tmp_path / "router.npz"
    r.save(path)
    back = Router.load(path, encoder=FakeEncoder())
    assert back.tiers == r.tiers and back.thresholds == r.thresholds
    assert back.choose_many(queries[:40]) == r.choose_many(queries[:40])
    assert back.choose("a contract question").model == "c"
    r.calibrate(queries, strong_share=0.2)
    r.save(path)
    assert Router.load(path, encoder=FakeEncoder()).thresholds == r.thresholds


def test_loaded_model_for_another_encoder_is_refused(tmp_path: Path, router: Router) -> None:
    path = tmp_path / "router.npz"
    router.save(path)
    with pytest.raises(ConfigError, match="encoder"):
        Router.load(path, encoder=FakeEncoder(model_id="another-encoder"))
    with pytest.raises(ConfigError):
        Router(model=path, encoder=FakeEncoder(dim=32))


def _rewrite_meta(src: Path, dst: Path, **changes: object) -> None:
    with np.load(src, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["meta"]))
    meta.update(changes)
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez(dst, **arrays)


def test_other_format_versions_and_damaged_files_are_refused(
    tmp_path: Path, router: Router
) -> None:
    good = tmp_path / "good.npz"
    router.save(good)
    newer = tmp_path / "newer.npz"
    _rewrite_meta(good, newer, format_version=99)
    with pytest.raises(ConfigError, match="version"):
        Router.load(newer, encoder=FakeEncoder())
    alien = tmp_path / "alien.npz"
    _rewrite_meta(good, alien, format="something-else")
    with pytest.raises(ConfigError):
        Router.load(alien, encoder=FakeEncoder())
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all")
    with pytest.raises(ConfigError):
        Router.load(garbage, encoder=FakeEncoder())
    with pytest.raises(ConfigError):
        Router.load(tmp_path / "missing.npz", encoder=FakeEncoder())


# -- training options used by the shipped recipe -----------------------------


def test_reference_rows_set_the_share_quantiles_and_per_column_penalties_apply() -> None:
    from semroute.router.model import train_scorer

    rng = np.random.default_rng(3)
    emb = rng.normal(size=(300, 8)).astype(np.float32)
    feats = rng.normal(size=(300, 3)).astype(np.float32)
    y = (feats[:, 0] > 0).astype(float)
    real = np.arange(300) < 200
    names = ("f0", "f1", "f2")
    on_all = train_scorer(emb, feats, y, encoder_id="fake", feature_names=names, l2_features=0.1)
    on_real = train_scorer(
        emb, feats, y, encoder_id="fake", feature_names=names, l2_features=0.1, reference=real
    )
    np.testing.assert_array_equal(on_all.weights, on_real.weights)
    real_scores = on_real.scores(emb[real], feats[real])
    assert np.mean(real_scores > on_real.share_threshold(0.3)) == pytest.approx(0.3, abs=0.01)
    # One penalty per feature column: shrinking only column 0 hard weakens its weight.
    per_col = train_scorer(
        emb, feats, y, encoder_id="fake", feature_names=names, l2_features=[100.0, 0.1, 0.1]
    )
    assert abs(per_col.weights[8]) < abs(on_all.weights[8]) / 10
    with pytest.raises(ValueError, match="reference"):
        train_scorer(
            emb, feats, y, encoder_id="fake", feature_names=names, reference=np.zeros(300, bool)
        )
