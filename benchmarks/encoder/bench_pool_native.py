"""The encoder's pooling kernel (``semroute._pool``) against its numpy twin, in the same run.

pytest benchmarks/encoder/bench_pool_native.py --benchmark-only --benchmark-group-by=group
"""

from __future__ import annotations

import numpy as np
import pytest

from semroute import _pool
from semroute.encoder import pool_ref as _pool_ref


def _encoder_output(n: int, t: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    hidden = rng.standard_normal((n, t, 384), dtype=np.float32)
    mask = np.ones((n, t), dtype=np.int64)
    mask[:, t * 3 // 4 :] = 0  # dynamic padding leaves a tail of pad tokens
    return hidden, mask


POOL = {"native": _pool.mean_pool_normalize, "reference": _pool_ref.mean_pool_normalize}


@pytest.mark.parametrize("shape", [(1, 16), (32, 32)], ids=["1x16", "32x32"])
@pytest.mark.parametrize("impl", ["native", "reference"])
def test_mean_pool_normalize(benchmark, impl: str, shape: tuple[int, int]) -> None:
    benchmark.group = f"mean_pool_normalize {shape[0]}x{shape[1]}x384"
    hidden, mask = _encoder_output(*shape)
    out = benchmark(POOL[impl], hidden, mask)
    np.testing.assert_allclose(out, _pool_ref.mean_pool_normalize(hidden, mask), atol=2e-5)
