"""semroute._cachecore agrees with its numpy twin, semroute.cache.core_ref."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from semroute import _cachecore as native
from semroute.cache import core_ref as ref


@st.composite
def tables(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    cap = draw(st.integers(1, 40))
    alive = draw(hnp.arrays(np.uint8, cap, elements=st.integers(0, 1)))
    expires = draw(hnp.arrays(np.float64, cap, elements=st.sampled_from([0.5, 1.0, 2.0, np.inf])))
    ns_ids = draw(hnp.arrays(np.int32, cap, elements=st.integers(0, 2)))
    stamps = np.array(draw(st.permutations(range(cap))), dtype=np.int64)
    return alive, expires, ns_ids, stamps


@settings(max_examples=120)
@given(
    table=tables(),
    data=st.data(),
    ns_id=st.integers(0, 2),
    now=st.sampled_from([0.0, 1.0, 1.5]),
    min_sim=st.sampled_from([-1.0, 0.0, 0.5, 0.95, 1.0]),
)
def test_pick_candidate_agrees(
    table: tuple[np.ndarray, ...], data: st.DataObject, ns_id: int, now: float, min_sim: float
) -> None:
    alive, expires, ns_ids, _ = table
    cap = alive.shape[0]
    k = data.draw(st.integers(0, 12))
    slots = data.draw(hnp.arrays(np.int64, k, elements=st.integers(-1, cap + 1)))
    sims = data.draw(
        hnp.arrays(np.float32, k, elements=st.sampled_from([-1.0, 0.2, 0.5, 0.95, 0.97, 1.0]))
    )
    got = native.pick_candidate(slots, sims, alive, expires, ns_ids, ns_id, now, min_sim)
    assert got == ref.pick_candidate(slots, sims, alive, expires, ns_ids, ns_id, now, min_sim)
    best = got[0]
    if best >= 0:
        s = slots[best]
        assert alive[s] and ns_ids[s] == ns_id and expires[s] > now and sims[best] >= min_sim


@settings(max_examples=120)
@given(table=tables(), count=st.integers(0, 45))
def test_lru_victims_agrees(table: tuple[np.ndarray, ...], count: int) -> None:
    alive, _, _, stamps = table
    got = native.lru_victims(stamps, alive, count)
    np.testing.assert_array_equal(got, ref.lru_victims(stamps, alive, count))
    assert got.dtype == np.int64 and got.size == min(count, int(alive.sum()))


@pytest.mark.parametrize("impl", [native, ref])
def test_shape_mismatches_raise_value_error(impl: Any) -> None:
    alive = np.ones(4, dtype=np.uint8)
    with pytest.raises(ValueError):
        impl.pick_candidate(
            np.zeros(2, np.int64),
            np.zeros(3, np.float32),
            alive,
            np.zeros(4),
            np.zeros(4, np.int32),
            0,
            0.0,
            0.0,
        )
    with pytest.raises(ValueError):
        impl.lru_victims(np.zeros(3, np.int64), alive, 1)
    with pytest.raises(ValueError):
        impl.lru_victims(np.zeros(4, np.int64), alive, -1)


@settings(max_examples=100)
@given(
    table=tables(),
    data=st.data(),
    ns_id=st.integers(0, 2),
    min_sim=st.sampled_from([-1.0, 0.0, 3.0, 9.0]),
)
def test_best_row_agrees(
    table: tuple[np.ndarray, ...], data: st.DataObject, ns_id: int, min_sim: float
) -> None:
    alive, expires, ns_ids, _ = table
    cap = alive.shape[0]
    n = data.draw(st.integers(0, 12))
    d = data.draw(st.integers(1, 20))
    # Small integers: every dot product is exact in float32, so both sides agree bit for bit.
    matrix = data.draw(hnp.arrays(np.float32, (n, d), elements=st.integers(-3, 3).map(float)))
    vector = data.draw(hnp.arrays(np.float32, d, elements=st.integers(-3, 3).map(float)))
    slots = data.draw(hnp.arrays(np.int64, n, elements=st.integers(-1, cap + 1)))
    args = (matrix, vector, slots, alive, expires, ns_ids, ns_id, 1.0, min_sim)
    assert native.best_row(*args) == ref.best_row(*args)


@pytest.mark.parametrize("impl", [native, ref])
def test_best_row_shape_mismatches_raise_value_error(impl: Any) -> None:
    alive = np.ones(4, dtype=np.uint8)
    table = (alive, np.zeros(4), np.zeros(4, np.int32), 0, 0.0, 0.0)
    with pytest.raises(ValueError):
        impl.best_row(
            np.zeros((2, 3), np.float32), np.zeros(4, np.float32), np.zeros(2, np.int64), *table
        )
    with pytest.raises(ValueError):
        impl.best_row(
            np.zeros((2, 3), np.float32), np.zeros(3, np.float32), np.zeros(3, np.int64), *table
        )


@settings(max_examples=120)
@given(
    table=tables(),
    data=st.data(),
    ns_id=st.integers(0, 2),
    now=st.sampled_from([0.0, 1.0, 1.5]),
    min_sim=st.sampled_from([-1.0, 0.0, 0.5, 0.95, 1.0]),
)
def test_rank_candidates_agrees_and_starts_with_pick_candidate(
    table: tuple[np.ndarray, ...], data: st.DataObject, ns_id: int, now: float, min_sim: float
) -> None:
    alive, expires, ns_ids, _ = table
    cap = alive.shape[0]
    k = data.draw(st.integers(0, 12))
    slots = data.draw(hnp.arrays(np.int64, k, elements=st.integers(-1, cap + 1)))
    sims = data.draw(
        hnp.arrays(np.float32, k, elements=st.sampled_from([-1.0, 0.2, 0.5, 0.95, 0.97, 1.0]))
    )
    args = (slots, sims, alive, expires, ns_ids, ns_id, now, min_sim)
    order, n_expired = native.rank_candidates(*args)
    ref_order, ref_expired = ref.rank_candidates(*args)
    np.testing.assert_array_equal(order, ref_order)
    assert order.dtype == np.int64 and n_expired == ref_expired
    best, best_expired = native.pick_candidate(*args)
    assert n_expired == best_expired
    assert (order[0] if order.size else -1) == best
    assert np.all(np.diff(sims[order]) <= 0)


@settings(max_examples=100)
@given(
    table=tables(),
    data=st.data(),
    ns_id=st.integers(0, 2),
    min_sim=st.sampled_from([-1.0, 0.0, 3.0, 9.0]),
)
def test_rank_rows_agrees_and_starts_with_best_row(
    table: tuple[np.ndarray, ...], data: st.DataObject, ns_id: int, min_sim: float
) -> None:
    alive, expires, ns_ids, _ = table
    cap = alive.shape[0]
    n = data.draw(st.integers(0, 12))
    d = data.draw(st.integers(1, 20))
    matrix = data.draw(hnp.arrays(np.float32, (n, d), elements=st.integers(-3, 3).map(float)))
    vector = data.draw(hnp.arrays(np.float32, d, elements=st.integers(-3, 3).map(float)))
    slots = data.draw(hnp.arrays(np.int64, n, elements=st.integers(-1, cap + 1)))
    args = (matrix, vector, slots, alive, expires, ns_ids, ns_id, 1.0, min_sim)
    rows, sims, n_expired = native.rank_rows(*args)
    ref_rows, ref_sims, ref_expired = ref.rank_rows(*args)
    np.testing.assert_array_equal(rows, ref_rows)
    np.testing.assert_array_equal(sims, ref_sims)
    assert sims.dtype == np.float32 and n_expired == ref_expired
    best, best_sim, _ = native.best_row(*args)
    assert (rows[0] if rows.size else -1) == best
    if rows.size:
        assert sims[0] == best_sim


@pytest.mark.parametrize("impl", [native, ref])
def test_rank_shape_mismatches_raise_value_error(impl: Any) -> None:
    alive = np.ones(4, dtype=np.uint8)
    table = (alive, np.zeros(4), np.zeros(4, np.int32), 0, 0.0, 0.0)
    with pytest.raises(ValueError):
        impl.rank_candidates(np.zeros(2, np.int64), np.zeros(3, np.float32), *table)
    with pytest.raises(ValueError):
        impl.rank_rows(
            np.zeros((2, 3), np.float32), np.zeros(4, np.float32), np.zeros(2, np.int64), *table
        )
    with pytest.raises(ValueError):
        impl.rank_rows(
            np.zeros((2, 3), np.float32), np.zeros(3, np.float32), np.zeros(3, np.int64), *table
        )
