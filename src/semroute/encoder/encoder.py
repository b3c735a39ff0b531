"""The shipped sentence encoder: ONNX all-MiniLM-L6-v2, run in-process and offline.

Text is tokenised by ``tokenizers``, run through onnxruntime to token states,
and mean-pooled + L2-normalised by the native ``semroute._pool`` kernel. The
model files are package data (``semroute.models``): no hub, no network. Both
onnxruntime and tokenizers are imported when the first encoder is built, so
``import semroute`` stays cheap.

Texts longer than ``max_tokens`` word pieces (256 by default, ``[CLS]`` and
``[SEP]`` included, as sentence-transformers does for this model) are
truncated: only their beginning is embedded. ``Encoder.window_end`` says where
that beginning ends, so the cache can require the rest to be identical. Only a
prefix of a long text is tokenised (a 1 MB text took 0.7 s to tokenise whole).

Two graphs ship: fp32 (the default) and an opt-in int8 one
(``Encoder(precision="int8")``: 0.60-0.66 of fp32's time for one text, 33 MB; its
vectors differ slightly, so it has its own ``model_id`` and stores made with one
refuse the other). MANIFEST's ``precisions`` names the graph of each.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from semroute.encoder.files import (
    GRAPH,
    MANIFEST,
    TOKENIZER,
    check_blob,
    graph_name,
    graph_source,
    model_files,
    read,
)
from semroute.errors import ConfigError, EncoderError, EncoderInputTypeError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable  # 3.11+; annotations only

    from tokenizers import Tokenizer

__all__ = ["Encoder", "default_encoder"]

# Imported by name so this module type-checks whether or not _pool has a stub.
_pool = import_module("semroute._pool")

PRECISIONS = ("fp32", "int8")
# Beyond a few threads a 6-layer, 384-wide model gains nothing on one query.
_MAX_DEFAULT_THREADS = 4
# Padded word pieces per onnxruntime run: past about this many, a batch's activations
# outgrow the CPU caches and a text costs more batched than alone (256-token texts:
# batches of 32 cost 1.2-1.3x batches of 4 per text; benchmarks/encoder/threads_batches.py).
DEFAULT_BATCH_TOKENS = 1024
# No character yields more word pieces than this (NFD splits a Hangul syllable in 3).
_MAX_PIECES_PER_CHAR = 4
# Characters per window word piece tried first when tokenising a prefix of a long text.
_PREFIX_CHARS_PER_PIECE = 8
# A prefix cut this many characters after the window's end cannot change the window's
# word pieces: a word longer than 100 characters is one [UNK] spanning it, and
# WordPiece's greedy pieces left of the cut do not depend on what follows it.
_CUT_MARGIN = 256


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class Encoder:
    """Embed text as unit-length float32 vectors with the shipped ONNX model.

    ``model_dir`` holds ``encoder.onnx``, ``tokenizer.json`` and ``MANIFEST``
    (default: the files installed with semroute). ``threads`` sets
    onnxruntime's intra-op threads (default: the usable cores, at most 4).
    Texts are cut to ``max_tokens`` word pieces, specials included. A list is
    run in batches of texts of similar length, at most ``batch_size`` texts and
    ``batch_tokens`` padded word pieces each (long texts run a few at a time:
    big batches of them cost more per text on a CPU). The last
    ``cache_size`` distinct texts are remembered, so repeated texts skip the
    model. ``verify=True`` also checks each file's sha256 against MANIFEST
    (about 0.1 s for the fp32 graph); sizes are always checked. Safe to share
    between threads.

    ``precision="int8"`` runs the shipped int8 graph instead of fp32: about
    twice as fast, cosine about 0.996 to the fp32 vectors, and its own
    ``model_id`` (a store or router built with one refuses the other).

    >>> from semroute import Encoder
    >>> encoder = Encoder(threads=1)
    >>> encoder.encode(["hello", "hi there"]).shape
    (2, 384)
    >>> Encoder(precision="int8").model_id != encoder.model_id
    True
    """

    def __init__(
        self,
        model_dir: str | os.PathLike[str] | None = None,
        *,
        threads: int | None = None,
        max_tokens: int = 256,
        cache_size: int = 4096,
        batch_size: int = 32,
        batch_tokens: int = DEFAULT_BATCH_TOKENS,
        verify: bool = False,
        precision: str = "fp32",
    ) -> None:
        if precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        if threads is not None and (
            not isinstance(threads, int) or isinstance(threads, bool) or threads < 1
        ):
            raise ConfigError(f"threads must be a positive int or None, got {threads!r}")
        if not isinstance(cache_size, int) or cache_size < 0:
            raise ConfigError(f"cache_size must be an int >= 0, got {cache_size!r}")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"batch_size must be a positive int, got {batch_size!r}")
        if isinstance(batch_tokens, bool) or not isinstance(batch_tokens, int) or batch_tokens < 1:
            raise ConfigError(f"batch_tokens must be a positive int, got {batch_tokens!r}")
        root = model_files(model_dir)
        manifest = self._load_manifest(root)
        max_positions = int(manifest.get("max_positions", 512))
        # Three positions are the minimum: [CLS], one word piece, [SEP].
        if not isinstance(max_tokens, int) or not 3 <= max_tokens <= max_positions:
            raise ConfigError(
                f"max_tokens must be an int in [3, {max_positions}], got {max_tokens!r}"
            )
        graph_file = graph_name(root, manifest, precision)
        graph = graph_source(root, manifest, graph_file, verify=verify)
        tokenizer_json = read(root, TOKENIZER)
        check_blob(manifest, TOKENIZER, tokenizer_json, verify=verify)

        self._dim = int(manifest["dim"])
        # fp32 keeps its historical id (stores and the shipped router record it).
        tag = "" if precision == "fp32" else f"{precision}-"
        self._model_id = f"{manifest['name']}-{tag}{manifest['files'][graph_file][:12]}"
        self._precision = precision
        self._max_tokens = max_tokens
        self._batch_size = batch_size
        self._batch_tokens = batch_tokens
        self._threads = threads or min(_available_cores(), _MAX_DEFAULT_THREADS)
        self._tokenizer_json = tokenizer_json.decode("utf-8")
        self._session = self._open_session(graph, self._threads)
        self._encoding_tokenizer = self._new_tokenizer()
        self._encoding_tokenizer.enable_truncation(max_tokens)
        self._plain_tokenizer: Tokenizer | None = None
        self._cache_size = cache_size
        self._cache: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    # -- loading ----------------------------------------------------------------------

    @staticmethod
    def _load_manifest(root: Traversable) -> dict[str, Any]:
        try:
            manifest = json.loads(read(root, MANIFEST))
            files = manifest["files"]
            if not (
                isinstance(manifest["name"], str)
                and int(manifest["dim"]) > 0
                and isinstance(files[GRAPH], str)
                and isinstance(files[TOKENIZER], str)
            ):
                raise ValueError("bad field types")
        except (ValueError, KeyError, TypeError) as exc:
            raise EncoderError(f"encoder MANIFEST in {root} is damaged: {exc!r}") from exc
        return dict(manifest)

    @staticmethod
    def _open_session(graph: str | bytes, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.intra_op_num_threads = threads
        # Requests arrive on the caller's threads; one model has no parallel branches.
        options.inter_op_num_threads = 1
        # Busy-waiting workers would burn a core between requests and, on a
        # shared or oversubscribed machine, slowed single queries in our runs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        try:
            return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise EncoderError(f"onnxruntime cannot load the encoder graph: {exc}") from exc

    def _new_tokenizer(self) -> Tokenizer:
        from tokenizers import Tokenizer

        try:
            tokenizer = Tokenizer.from_str(self._tokenizer_json)
        except Exception as exc:  # tokenizers raises a bare Exception on bad JSON
            raise EncoderError(f"encoder tokenizer.json is damaged: {exc}") from exc
        tokenizer.no_padding()
        tokenizer.no_truncation()
        return tokenizer

    # -- public -----------------------------------------------------------------------

    @property
    def dim(self) -> int:
        """Length of every vector (384 for the shipped model)."""
        return self._dim

    @property
    def model_id(self) -> str:
        """Model name + short sha256 of the graph: another graph gives another id."""
        return self._model_id

    @property
    def precision(self) -> str:
        """``"fp32"`` (the default graph) or ``"int8"`` (the opt-in quantised graph)."""
        return self._precision

    @property
    def max_tokens(self) -> int:
        """Word pieces kept per text, ``[CLS]``/``[SEP]`` included; the rest is cut."""
        return self._max_tokens

    @property
    def threads(self) -> int:
        """onnxruntime intra-op threads this encoder runs with."""
        return self._threads

    @property
    def tokenizer(self) -> Tokenizer:
        """The model's ``tokenizers.Tokenizer``, without padding or truncation."""
        if self._plain_tokenizer is None:
            with self._lock:
                if self._plain_tokenizer is None:
                    self._plain_tokenizer = self._new_tokenizer()
        return self._plain_tokenizer

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces per text, special tokens excluded and no truncation.

        >>> from semroute import default_encoder
        >>> default_encoder().count_tokens(["hello world"])
        [2]
        """
        batch = _as_texts(texts, allow_empty=True)
        encodings = self.tokenizer.encode_batch(batch, add_special_tokens=False)
        return [len(encoding.ids) for encoding in encodings]

    def window_end(self, text: str) -> int:
        """How many leading characters of ``text`` the model sees: ``len(text)`` unless
        the text has more word pieces than ``max_tokens`` allows.

        >>> from semroute import default_encoder
        >>> encoder = default_encoder()
        >>> encoder.window_end("short"), encoder.window_end("word " * 1000) < 5000
        (5, True)
        """
        (text,) = _as_texts([text], allow_empty=True)
        # Too short to fill the window: skip the tokenizer. An ASCII character yields at
        # most one word piece (no NFD expansion); any character at most three.
        per_char = 1 if text.isascii() else _MAX_PIECES_PER_CHAR
        if len(text) * per_char <= self._max_tokens - 2:
            return len(text)
        return self._cut(text)[1]

    def _cut(self, text: str) -> tuple[str, int]:
        """``(source, end)``: a prefix of ``text`` whose truncated tokenisation is the
        whole text's, and the character where the model's window ends."""
        limit = self._max_tokens - 2  # word pieces besides [CLS] and [SEP]
        tokenizer = self.tokenizer
        size = limit * _PREFIX_CHARS_PER_PIECE + _CUT_MARGIN
        while True:
            whole = size >= len(text)
            source = text if whole else text[:size]
            encoding = tokenizer.encode(source, add_special_tokens=False)
            if len(encoding.ids) <= limit:
                if whole:
                    return text, len(text)
            else:
                end = int(encoding.offsets[limit - 1][1])
                if whole or end <= size - _CUT_MARGIN:
                    return source, end
            size *= 4

    def encode(self, texts: str | Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed one text or a sequence of texts as rows of a ``(n, dim)`` float32 array.

        Rows have unit L2 norm; a single ``str`` gives shape ``(1, dim)``.

        >>> from semroute import default_encoder
        >>> vectors = default_encoder().encode(["How do I reset my password?"])
        >>> vectors.shape, vectors.dtype.name
        ((1, 384), 'float32')
        """
        batch = _as_texts(texts, allow_empty=False)
        out = np.empty((len(batch), self._dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for row, text in enumerate(batch):
                cached = self._cache.get(text)
                if cached is None:
                    missing.setdefault(text, []).append(row)
                else:
                    self._cache.move_to_end(text)
                    out[row] = cached
        if missing:
            fresh = self._embed(list(missing))
            for text, vector in zip(missing, fresh, strict=True):
                out[missing[text]] = vector
            self._remember(list(missing), fresh)
        return out

    # -- internals --------------------------------------------------------------------

    def _remember(self, texts: Sequence[str], vectors: npt.NDArray[np.float32]) -> None:
        if self._cache_size == 0:
            return
        vectors.flags.writeable = False
        with self._lock:
            for text, vector in zip(texts, vectors, strict=True):
                self._cache[text] = vector
                self._cache.move_to_end(text)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        tokenizer = self._encoding_tokenizer
        # A long text's window depends on its prefix only: tokenise no more of it.
        limit_chars = (self._max_tokens - 2) * _PREFIX_CHARS_PER_PIECE
        texts = [t if len(t) <= limit_chars else self._cut(t)[0] for t in texts]
        if len(texts) == 1:
            encodings = [tokenizer.encode(texts[0])]
        else:
            encodings = tokenizer.encode_batch(texts)
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        # Sorting by length keeps each padded batch nearly rectangular.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for rows in self._batches(order, [len(e.ids) for e in encodings]):
            if len(rows) == 1:
                ids = np.array([encodings[rows[0]].ids], dtype=np.int64)
                mask = np.ones_like(ids)
            else:
                width = len(encodings[rows[-1]].ids)
                ids = np.zeros((len(rows), width), dtype=np.int64)
                mask = np.zeros((len(rows), width), dtype=np.int64)
                for r, i in enumerate(rows):
                    pieces = encodings[i].ids
                    ids[r, : len(pieces)] = pieces
                    mask[r, : len(pieces)] = 1
            out[rows] = self._run(ids, mask)
        return out

    def _batches(self, order: list[int], lengths: list[int]) -> list[list[int]]:
        """Rows in ``order`` (by ascending length) grouped into runs of at most
        ``batch_size`` rows and ``batch_tokens`` padded word pieces (one row at least)."""
        batches: list[list[int]] = []
        rows: list[int] = []
        for i in order:
            # Ascending order: the new row is the widest, so it sets the padded width.
            if rows and (
                len(rows) == self._batch_size or (len(rows) + 1) * lengths[i] > self._batch_tokens
            ):
                batches.append(rows)
                rows = []
            rows.append(i)
        if rows:
            batches.append(rows)
        return batches

    def _run(
        self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        try:
            (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise EncoderError(f"onnxruntime failed to run the encoder: {exc}") from exc
        pooled: npt.NDArray[np.float32] = _pool.mean_pool_normalize(
            np.ascontiguousarray(hidden, dtype=np.float32), mask
        )
        if not np.isfinite(pooled).all():
            raise EncoderError("the encoder produced NaN or inf; the model file may be damaged")
        return pooled


def _as_texts(texts: str | Sequence[str], *, allow_empty: bool) -> list[str]:
    if isinstance(texts, str):
        batch = [texts]
    elif isinstance(texts, (bytes, bytearray)) or not isinstance(texts, Sequence):
        raise EncoderInputTypeError(
            f"expected a str or a sequence of str, got {type(texts).__name__}"
        )
    else:
        batch = list(texts)
    for i, text in enumerate(batch):
        if type(text) is not str:
            if not isinstance(text, str):
                raise EncoderInputTypeError(f"expected str, got {type(text).__name__}")
            batch[i] = text = str.__str__(text)  # a StrEnum or numpy.str_: its plain value
        if not allow_empty and (not text or text.isspace()):
            raise EncoderError("cannot embed empty or whitespace-only text")
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise EncoderError(
                    f"text holds a lone surrogate at index {exc.start}: not valid Unicode"
                ) from exc
    return batch


_default: Encoder | None = None
_default_lock = threading.Lock()


def default_encoder() -> Encoder:
    """The process-wide shared encoder, built on first call (thread-safe).

    The cache, router and pruner use it unless given another, so a request's
    text is embedded once however many components look at it.

    >>> from semroute import default_encoder
    >>> default_encoder() is default_encoder()
    True
    """
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Encoder()
    return _default
