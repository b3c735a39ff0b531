"""The shipped pair verifier: a MiniLM cross-encoder that reads both questions together.

A bi-encoder compares two vectors and cannot see the one word that changes the
answer ("USD to EUR" / "EUR to USD"); a cross-encoder attends across both texts
and returns the probability that one question's answer serves the other. The
cache uses it as a ``verify=`` hook: candidates come from the bi-encoder above a
lower cosine (``candidate_threshold``), the hit guards run first, then the
verifier decides (``probability >= threshold``).

The model (``verifier.onnx``, its manifest ``verifier.json``, the encoder's
WordPiece ``tokenizer.json``) is package data; onnxruntime and tokenizers load it
on the first verification, never before, with one intra-op thread. Built by
models/scripts/train_verifier.py and export_verifier.py; see notes/verifier.md.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from semroute.errors import ConfigError, EncoderError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from tokenizers import Tokenizer

__all__ = ["BUILTIN", "PairVerifier", "Verdict"]

#: ``SemanticCache(verify=BUILTIN)`` uses the shipped verifier.
BUILTIN = "builtin"
_GRAPH = "verifier.onnx"
_MANIFEST = "verifier.json"
_TOKENIZER = "tokenizer.json"
_BATCH = 64


class Verdict:
    """A verifier's answer: true when the candidate may be served, with its probability.

    >>> bool(Verdict(0.97, 0.5)), Verdict(0.97, 0.5).probability
    (True, 0.97)
    """

    __slots__ = ("probability", "served")

    def __init__(self, probability: float, threshold: float) -> None:
        self.probability = probability
        self.served = probability >= threshold

    def __bool__(self) -> bool:
        return self.served

    def __repr__(self) -> str:
        return f"Verdict(served={self.served}, probability={self.probability:.4f})"


def _unit(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise ConfigError(f"{name} must be a number, not {type(value).__name__}")
    result = float(value)
    if not 0.0 <= result <= 1.0:  # also rejects NaN
        raise ConfigError(f"{name} must be in [0, 1], got {value!r}")
    return result


class PairVerifier:
    """Decides whether a cached question's answer serves a new question.

    ``threshold`` is the probability a candidate needs; ``candidate_threshold`` the
    cosine from which the cache asks the verifier (both default to the values the
    manifest records, chosen on development data held out from training). Nothing
    is loaded until the first call. Use it as ``SemanticCache(verify=PairVerifier())``
    or ``SemanticCache(verify="builtin")``; calling it directly returns a
    :class:`Verdict`.

    >>> verifier = PairVerifier()
    >>> bool(verifier("convert 100 USD to EUR", "convert 100 EUR to USD", None))
    False
    >>> bool(verifier("How do I reset my password?", "how can I reset my password", None))
    True
    """

    def __init__(
        self,
        threshold: float | None = None,
        candidate_threshold: float | None = None,
        *,
        model_dir: Traversable | str | None = None,
    ) -> None:
        self._root = model_dir
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Tokenizer | None = None
        self._manifest: dict[str, Any] | None = None
        self._threshold = None if threshold is None else _unit(threshold, "threshold")
        self._candidate = (
            None
            if candidate_threshold is None
            else _unit(candidate_threshold, "candidate_threshold")
        )

    # -- manifest -------------------------------------------------------------------------

    def _files(self) -> Traversable:
        if self._root is None:
            return resources.files("semroute.models")
        if isinstance(self._root, str):
            from pathlib import Path

            return Path(self._root)
        return self._root

    @property
    def manifest(self) -> dict[str, Any]:
        """The shipped model's manifest (source, licence, checksums, training record)."""
        if self._manifest is None:
            try:
                text = self._files().joinpath(_MANIFEST).read_text(encoding="utf-8")
                manifest = json.loads(text)
            except (OSError, ValueError) as exc:
                raise EncoderError(f"verifier manifest {_MANIFEST!r} unreadable: {exc}") from exc
            if not isinstance(manifest, dict) or "decision" not in manifest:
                raise EncoderError(f"verifier manifest {_MANIFEST!r} is damaged")
            self._manifest = manifest
        return self._manifest

    @property
    def threshold(self) -> float:
        """The probability a candidate needs to be served."""
        if self._threshold is None:
            self._threshold = float(self.manifest["decision"]["threshold"])
        return self._threshold

    @property
    def candidate_threshold(self) -> float:
        """The cosine from which the cache asks the verifier."""
        if self._candidate is None:
            self._candidate = float(self.manifest["decision"]["candidate_threshold"])
        return self._candidate

    @property
    def model_id(self) -> str:
        """``<name>-<first 12 hex of the graph's sha256>``."""
        return f"{self.manifest['name']}-{self.manifest['files'][_GRAPH][:12]}"

    # -- model ----------------------------------------------------------------------------

    def _load(self) -> tuple[Any, Tokenizer]:
        with self._lock:
            if self._session is not None and self._tokenizer is not None:
                return self._session, self._tokenizer
            import onnxruntime as ort
            from tokenizers import Tokenizer

            manifest = self.manifest
            root = self._files()
            blobs: dict[str, bytes] = {}
            for name in (_GRAPH, _TOKENIZER):
                try:
                    blobs[name] = root.joinpath(name).read_bytes()
                except OSError as exc:
                    raise EncoderError(f"verifier file {name!r} is missing: {exc}") from exc
                if hashlib.sha256(blobs[name]).hexdigest() != manifest["files"][name]:
                    raise EncoderError(f"verifier file {name!r} does not match its manifest")
            tokenizer = Tokenizer.from_str(blobs[_TOKENIZER].decode("utf-8"))
            tokenizer.no_padding()
            tokenizer.enable_truncation(int(manifest["max_tokens"]))
            options = ort.SessionOptions()
            # One query's pair is ~30 tokens: more threads only add hand-offs.
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._session = ort.InferenceSession(
                blobs[_GRAPH], options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = tokenizer
            return self._session, tokenizer

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> npt.NDArray[np.float64]:
        """The same-answer probability of each ``(cached_query, query)`` pair.

        >>> PairVerifier().probabilities([("What is 2 + 2?", "What is 2 + 3?")]).shape
        (1,)
        """
        session, tokenizer = self._load()
        out = np.empty(len(pairs), dtype=np.float64)
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        for start in range(0, len(order), _BATCH):
            chunk = order[start : start + _BATCH]
            encodings = tokenizer.encode_batch([(pairs[i][0], pairs[i][1]) for i in chunk])
            width = max(len(e.ids) for e in encodings)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            types = np.zeros_like(ids)
            mask = np.zeros_like(ids)
            for row, enc in enumerate(encodings):
                n = len(enc.ids)
                ids[row, :n] = enc.ids
                types[row, :n] = enc.type_ids
                mask[row, :n] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            logits = np.asarray(session.run(None, feeds)[0], dtype=np.float64).reshape(-1)
            if logits.shape[0] != len(chunk) or not np.isfinite(logits).all():
                raise EncoderError("the verifier returned no usable scores")
            out[chunk] = 1.0 / (1.0 + np.exp(-logits))
        return out

    def probability(self, cached_query: str, query: str) -> float:
        """The probability that ``cached_query``'s answer serves ``query``."""
        if not isinstance(cached_query, str) or not isinstance(query, str):
            raise ConfigError("the verifier compares two strings")
        value = float(self.probabilities([(cached_query, query)])[0])
        if not math.isfinite(value):  # pragma: no cover - probabilities() checks logits
            raise EncoderError("the verifier returned no usable score")
        return value

    def __call__(self, query: str, cached_query: str, cached_response: object) -> Verdict:
        """The ``verify=`` hook: serve ``cached_query``'s answer for ``query``?"""
        return Verdict(self.probability(cached_query, query), self.threshold)

    def __repr__(self) -> str:
        return (
            f"PairVerifier(threshold={self._threshold}, "
            f"candidate_threshold={self._candidate}, loaded={self._session is not None})"
        )


def resolve(verify: object, threshold: float | None) -> tuple[Any, float]:
    """The cache's ``verify=`` and ``threshold=`` arguments, resolved.

    ``"builtin"`` becomes a :class:`PairVerifier`; with a ``PairVerifier`` and no
    explicit threshold the cache's threshold is the verifier's candidate cosine,
    otherwise the default stays 0.95. Nothing is loaded here.
    """
    if isinstance(verify, str):
        if verify != BUILTIN:
            raise ConfigError(f"verify must be callable, 'builtin' or None, got {verify!r}")
        verify = PairVerifier()
    if threshold is None:
        threshold = verify.candidate_threshold if isinstance(verify, PairVerifier) else 0.95
    return verify, threshold
