"""Small shared types: what any component needs to know about an encoder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


@runtime_checkable
class TextEncoder(Protocol):
    """What the cache, router and pruner need from an encoder.

    ``semroute.Encoder`` is the shipped implementation; tests use a fake, and
    users may pass their own (an API embedder, say) to any component.
    """

    @property
    def dim(self) -> int:
        """Length of every vector ``encode`` returns."""
        ...

    @property
    def model_id(self) -> str:
        """Identifies the vector space; stores refuse to mix vectors of two ids."""
        ...

    def encode(self, texts: str | Sequence[str]) -> FloatArray:
        """Embed text(s) as rows of a ``(n, dim)`` float32 array, each of unit length."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text under the encoder's tokenizer, special tokens excluded."""
        ...
