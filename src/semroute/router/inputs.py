"""The checks on what a caller hands the router: queries, their embeddings, labels.

Each raises a ``semroute.errors`` type before anything is scored or trained.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from semroute._inputs import plain_text, real_vector
from semroute.errors import InputError, InputTypeError

__all__ = ["check_labels", "check_queries", "given_embeddings"]


def check_queries(queries: Sequence[str]) -> list[str]:
    """The queries as a list of non-blank strings."""
    if isinstance(queries, str):
        raise InputTypeError("choose_many takes a sequence of str, not one str")
    try:
        items = [plain_text(q, "a query") for q in queries]
    except TypeError as exc:
        if isinstance(exc, InputTypeError):
            raise
        raise InputTypeError(f"queries must be a sequence of str: {exc}") from exc
    for q in items:
        if not q.strip():
            raise InputError("a query must not be empty or whitespace")
    return items


def given_embeddings(embeddings: npt.ArrayLike, n: int, dim: int) -> npt.NDArray[np.float32]:
    """A caller's embeddings of ``n`` queries as a contiguous ``(n, dim)`` float32 array."""
    bad = "embeddings contain NaN, infinity or values beyond float32"
    if isinstance(embeddings, np.ndarray) and embeddings.dtype == np.float32:
        # The cache's own vectors: one finiteness pass, no float64 round trip (hot path).
        vectors = embeddings
        if not np.isfinite(vectors).all():
            raise InputError(bad)
    else:
        exact = real_vector(embeddings, "embeddings")
        # Checked before the cast: a value beyond float32 would overflow in it.
        if not np.isfinite(exact).all() or (np.abs(exact) > np.finfo(np.float32).max).any():
            raise InputError(bad)
        vectors = exact.astype(np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    if vectors.shape != (n, dim):
        raise InputError(f"embeddings have shape {vectors.shape}, expected ({n}, {dim})")
    return np.ascontiguousarray(vectors)


def check_labels(labels: Sequence[float] | npt.ArrayLike, n: int) -> npt.NDArray[np.float64]:
    """Training labels for ``n`` queries: in [0, 1], both kinds present."""
    y = np.asarray(labels, dtype=np.float64)
    if y.shape != (n,):
        raise InputError(f"{n} queries but labels of shape {y.shape}")
    if not np.all((y >= 0) & (y <= 1)):
        raise InputError("labels must lie in [0, 1]")
    if n < 2 or y.min() == y.max():
        raise InputError("fit needs at least two queries and both kinds of label")
    return y
