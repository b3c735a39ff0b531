"""Plain-numpy twin of the native ``_pool`` kernel, with the same signature.

The oracle for the native tests (hypothesis: both agree) and the baseline in the
benchmarks that show what the kernel buys.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def mean_pool_normalize(
    hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """Mean of the unmasked token states per row, L2-normalised, as numpy does it."""
    if mask.shape != hidden.shape[:2]:
        raise ValueError(f"mask shape {mask.shape} does not match hidden {hidden.shape[:2]}")
    weights = mask.astype(np.float32)[:, :, None]
    summed = (hidden * weights).sum(axis=1)
    counts = np.maximum(weights.sum(axis=1), 1.0)
    mean = (summed / counts).astype(np.float64)
    norms = np.linalg.norm(mean, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(norms > 0, mean / np.where(norms > 0, norms, 1.0), 0.0)
    return out.astype(np.float32)
