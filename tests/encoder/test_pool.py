"""semroute._pool agrees with its numpy twin."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from semroute import _pool as native
from semroute.encoder import pool_ref as ref


@st.composite
def batches(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 4))
    t = draw(st.integers(1, 12))
    d = draw(st.integers(1, 24))
    hidden = draw(
        hnp.arrays(
            np.float32, (n, t, d), elements=st.floats(-50, 50, width=32, allow_subnormal=False)
        )
    )
    mask = draw(hnp.arrays(np.int64, (n, t), elements=st.integers(0, 1)))
    return hidden, mask


@given(batches())
def test_matches_numpy_reference(batch: tuple[np.ndarray, np.ndarray]) -> None:
    hidden, mask = batch
    got = native.mean_pool_normalize(hidden, mask)
    want = ref.mean_pool_normalize(hidden, mask)
    assert got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=2e-5)


def test_rows_are_unit_length_and_masked_tokens_ignored() -> None:
    hidden = np.zeros((1, 3, 2), dtype=np.float32)
    hidden[0, 0] = [3.0, 4.0]
    hidden[0, 2] = [100.0, -100.0]  # padding: must not count
    mask = np.array([[1, 1, 0]], dtype=np.int64)
    out = native.mean_pool_normalize(hidden, mask)
    np.testing.assert_allclose(out, [[0.6, 0.8]], atol=1e-6)


def test_fully_masked_row_is_zero_and_non_finite_row_is_nan() -> None:
    hidden = np.ones((2, 2, 3), dtype=np.float32)
    hidden[1, 0, 0] = np.inf
    mask = np.array([[0, 0], [1, 1]], dtype=np.int64)
    out = native.mean_pool_normalize(hidden, mask)
    assert not out[0].any()
    assert np.isnan(out[1]).all()


def test_shape_mismatch_raises_value_error() -> None:
    with pytest.raises(ValueError):
        native.mean_pool_normalize(np.ones((1, 2, 3), np.float32), np.ones((1, 3), np.int64))
