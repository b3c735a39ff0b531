"""APGR / CPT as RouteLLM defines them, on cases small enough to work out by hand."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from semroute.router.data import targets
from semroute.router.metrics import routing_curve


def test_oracle_router_recovers_the_gap_first() -> None:
    weak = np.array([0, 0, 1, 1.0])
    strong = np.ones(4)
    curve = routing_curve([0.9, 0.8, 0.1, 0.2], weak, strong)
    np.testing.assert_allclose(curve.pgr, [0, 0.5, 1, 1, 1])
    assert curve.apgr == pytest.approx((0.25 + 0.75 + 1 + 1) / 4)
    assert curve.cpt(0.5) == 0.25 and curve.cpt(0.8) == 0.5
    assert curve.quality_at(0.25) == pytest.approx(0.75)


def test_worst_router_sends_the_gap_last() -> None:
    weak = np.array([0, 1.0])
    curve = routing_curve([0.0, 1.0], weak, np.ones(2))
    assert curve.apgr == pytest.approx(0.25) and curve.cpt(0.5) == 1.0


@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=40))
def test_a_constant_router_scores_one_half(pairs: list[tuple[bool, bool]]) -> None:
    weak = np.array([w for w, _ in pairs], float)
    strong = np.array([s for _, s in pairs], float)
    if strong.sum() <= weak.sum():
        with pytest.raises(ValueError):
            routing_curve(np.zeros(len(pairs)), weak, strong)
        return
    assert routing_curve(np.zeros(len(pairs)), weak, strong).apgr == pytest.approx(0.5)


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(ValueError):
        routing_curve([0.1, 0.2], [0.0], [1.0, 1.0])


def test_training_targets() -> None:
    weak = np.array([0.0, 0.0, 1.0, 1.0, 0.25])
    strong = np.array([0.0, 1.0, 0.0, 1.0, 0.75])
    np.testing.assert_allclose(targets(weak, strong, "needs_strong"), [0, 1, 0, 0, 0.5])
    np.testing.assert_allclose(targets(weak, strong, "weak_wrong"), [1, 1, 0, 0, 0.75])
    np.testing.assert_allclose(targets(weak, strong, "soft"), [0.5, 1, 0, 0, 0.625])
    np.testing.assert_allclose(
        targets(weak, strong, "soft", needs_weight=0.25), [0.75, 1, 0, 0, 0.6875]
    )
    with pytest.raises(ValueError):
        targets(weak, strong, "other")
    with pytest.raises(ValueError):
        targets(weak, strong, "soft", needs_weight=1.5)
