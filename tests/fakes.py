"""A tiny deterministic encoder for fast unit tests (no model, no onnxruntime).

Each distinct word maps to a fixed pseudo-random unit vector; a text is the
normalised sum of its words' vectors. Texts with the same words embed to the
same vector (cosine 1.0); texts sharing most words are close; unrelated
texts are near-orthogonal. That is enough structure to test threshold,
namespace and eviction logic without the real model.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"\w+")


class FakeEncoder:
    """Bag-of-words hashing encoder implementing ``semroute._types.TextEncoder``."""

    def __init__(self, dim: int = 64, model_id: str = "fake-bow-64") -> None:
        self._dim = dim
        self._model_id = model_id
        self._lock = threading.Lock()
        self.calls = 0  # how many texts were embedded: tests check the encoder was skipped

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def model_id(self) -> str:
        return self._model_id

    def _word_vector(self, word: str) -> npt.NDArray[np.float32]:
        seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
        vector = np.random.default_rng(seed).standard_normal(self._dim).astype(np.float32)
        return vector / np.linalg.norm(vector)

    def encode(self, texts: str | Sequence[str]) -> npt.NDArray[np.float32]:
        batch = [texts] if isinstance(texts, str) else list(texts)
        out = np.zeros((len(batch), self._dim), dtype=np.float32)
        for row, text in enumerate(batch):
            if not isinstance(text, str):
                raise TypeError(f"expected str, got {type(text).__name__}")
            words = _WORD.findall(text.lower())
            if not words:
                raise ValueError("empty text")
            for word in words:
                out[row] += self._word_vector(word)
            out[row] /= np.linalg.norm(out[row])
        with self._lock:
            self.calls += len(batch)
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_WORD.findall(text)) for text in texts]
