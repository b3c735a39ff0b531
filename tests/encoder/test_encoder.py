"""The shipped encoder, end to end with the real model (it lives in the repo: never skipped)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from semroute import Encoder, default_encoder
from semroute.errors import ConfigError, EncoderError, EncoderInputTypeError

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parent / "data" / "reference_embeddings.npz"
MODELS = resources.files("semroute.models")
MANIFEST = json.loads(MODELS.joinpath("MANIFEST").read_text(encoding="utf-8"))
QUESTIONS = [
    "How do I reset my password?",
    "What time does the pharmacy on Main Street close on Sundays?",
    "Is it safe to run two onnxruntime sessions in one process?",
    "Recommend a vegetarian lasagne recipe for eight people.",
    "Why does my bicycle chain keep slipping when I climb hills?",
    "hello",
]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder(threads=1)


@pytest.fixture(scope="module")
def uncached() -> Encoder:
    return Encoder(threads=1, cache_size=0)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_hello_is_one_unit_row(encoder: Encoder) -> None:
    vectors = encoder.encode("hello")
    assert vectors.shape == (1, 384) == (1, encoder.dim)
    assert vectors.dtype == np.float32
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-5)


def test_matches_reference_embeddings_of_the_original_model(uncached: Encoder) -> None:
    fixture = np.load(FIXTURE)
    sentences = [str(s) for s in fixture["sentences"]]
    expected = fixture["embeddings"]
    assert len(sentences) >= 20 and expected.shape == (len(sentences), 384)
    floor = 0.999 if MANIFEST["quantisation"].startswith("none") else 0.99
    got = cosines(uncached.encode(sentences), expected)
    assert got.min() >= floor, dict(zip(sentences, got.round(5), strict=True))


def test_paraphrases_are_closer_than_unrelated_texts(encoder: Encoder) -> None:
    a, b, c = encoder.encode(
        ["Which city is Australia's capital?", "What is the capital of Australia?", "hello"]
    )
    assert float(a @ b) > 0.8 > float(a @ c)


def test_batch_rows_equal_single_encodes(uncached: Encoder) -> None:
    batch = uncached.encode(QUESTIONS)
    singles = np.vstack([uncached.encode(q) for q in QUESTIONS])
    np.testing.assert_allclose(batch, singles, atol=2e-5)


def test_batches_split_by_length_keep_input_order(uncached: Encoder) -> None:
    small_batches = Encoder(threads=1, cache_size=0, batch_size=2)
    # Distinct texts whose length order differs from their input order.
    texts = [*QUESTIONS, "a", "tell me everything about the history of Lisbon's trams please"]
    got = small_batches.encode(texts)
    expected = np.vstack([uncached.encode(t) for t in texts])
    np.testing.assert_allclose(got, expected, atol=2e-5)


def test_batches_hold_at_most_batch_tokens_padded_pieces(
    uncached: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    budgeted = Encoder(threads=1, cache_size=0, batch_size=64, batch_tokens=60)
    shapes: list[tuple[int, int]] = []
    run = budgeted._run

    def spy(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        shapes.append(ids.shape)
        return run(ids, mask)

    monkeypatch.setattr(budgeted, "_run", spy)
    short = [f"question number {i} about trams" for i in range(12)]  # 7 with [CLS]/[SEP]
    long = "tell me everything about the history of Lisbon trams " * 10  # over budget alone
    texts = [*short, long]
    got = budgeted.encode(texts)
    # 8 rows of 7 pieces fit 60, 9 do not; the long text (92) runs alone over the budget.
    assert sorted(shapes) == [(1, 92), (4, 7), (8, 7)]
    expected = np.vstack([uncached.encode(t) for t in texts])
    np.testing.assert_allclose(got, expected, atol=2e-5)


def test_long_text_is_truncated_at_max_tokens(encoder: Encoder) -> None:
    huge = "the quick brown fox jumps over the lazy dog " * 2000
    assert encoder.count_tokens([huge])[0] == 18000
    first, second = encoder.encode([huge, huge + " but the ending differs completely"])
    assert np.linalg.norm(first) == pytest.approx(1.0, abs=1e-5)
    # Only the first max_tokens word pieces are embedded, so the tails do not matter.
    np.testing.assert_array_equal(first, second)


def test_shorter_max_tokens_cuts_earlier() -> None:
    short = Encoder(threads=1, max_tokens=8, cache_size=0)
    assert short.max_tokens == 8
    a, b = short.encode(["one two three four five six", "one two three four five six seven"])
    np.testing.assert_array_equal(a, b)


def test_count_tokens_excludes_special_tokens(encoder: Encoder) -> None:
    assert encoder.count_tokens(["hello", "hello world", ""]) == [1, 2, 0]
    assert encoder.tokenizer.encode("hello world", add_special_tokens=False).tokens == [
        "hello",
        "world",
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_an_encoder_error(encoder: Encoder, text: str) -> None:
    with pytest.raises(EncoderError, match="empty"):
        encoder.encode(text)
    with pytest.raises(EncoderError):
        encoder.encode(["fine", text])


@pytest.mark.parametrize("bad", [None, 42, b"bytes", ["fine", 3], [None]])
def test_non_str_is_an_input_type_error(encoder: Encoder, bad: Any) -> None:
    with pytest.raises(EncoderInputTypeError) as info:
        encoder.encode(bad)
    assert isinstance(info.value, TypeError)


def test_nan_output_is_an_encoder_error(uncached: Encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    class NaNSession:
        def run(self, names: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
            n, t = feeds["input_ids"].shape
            return [np.full((n, t, 384), np.nan, dtype=np.float32)]

    monkeypatch.setattr(uncached, "_session", NaNSession())
    with pytest.raises(EncoderError, match="NaN"):
        uncached.encode("hello")


@pytest.mark.parametrize(
    "options", [{"threads": 0}, {"max_tokens": 2}, {"max_tokens": 513}, {"cache_size": -1}]
)
def test_bad_options_are_config_errors(options: dict[str, int]) -> None:
    with pytest.raises(ConfigError):
        Encoder(**options)


def _model_copy(tmp_path: Path, **replace: bytes) -> Path:
    for name in ("encoder.onnx", "tokenizer.json", "MANIFEST"):
        target = tmp_path / name
        if name in replace:
            target.write_bytes(replace[name])
        else:
            with resources.as_file(MODELS.joinpath(name)) as source:
                target.symlink_to(source)
    return tmp_path


def test_missing_model_dir_is_an_encoder_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="does not exist"):
        Encoder(tmp_path / "nowhere")


@pytest.mark.parametrize("name", ["encoder.onnx", "tokenizer.json", "MANIFEST"])
def test_missing_file_is_an_encoder_error(tmp_path: Path, name: str) -> None:
    model_dir = _model_copy(tmp_path)
    (model_dir / name).unlink()
    with pytest.raises(EncoderError, match=re.escape(name)):
        Encoder(model_dir)


def test_truncated_graph_is_an_encoder_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="damaged"):
        Encoder(_model_copy(tmp_path, **{"encoder.onnx": b"\x08\x07 not a graph"}))


def test_unloadable_graph_is_an_encoder_error(tmp_path: Path) -> None:
    manifest = {**MANIFEST, "sizes": {}}
    model_dir = _model_copy(
        tmp_path,
        **{"encoder.onnx": b"\x08\x07 not a graph", "MANIFEST": json.dumps(manifest).encode()},
    )
    with pytest.raises(EncoderError, match="onnxruntime"):
        Encoder(model_dir)


def test_damaged_manifest_is_an_encoder_error(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match="MANIFEST"):
        Encoder(_model_copy(tmp_path, MANIFEST=b'{"name": "x"}'))


def test_verify_catches_a_same_size_edit(tmp_path: Path) -> None:
    original = MODELS.joinpath("tokenizer.json").read_bytes()
    edited = original.replace(b"[UNK]", b"[UNX]", 1)
    assert len(edited) == len(original) and edited != original
    model_dir = _model_copy(tmp_path, **{"tokenizer.json": edited})
    with pytest.raises(EncoderError, match="sha256"):
        Encoder(model_dir, verify=True)


def test_model_id_names_the_model_and_its_graph(encoder: Encoder) -> None:
    graph_sha = hashlib.sha256(MODELS.joinpath("encoder.onnx").read_bytes()).hexdigest()
    assert encoder.model_id == f"{MANIFEST['name']}-{graph_sha[:12]}"


def test_installed_files_match_manifest_sha256() -> None:
    assert set(MANIFEST["files"]) == {"encoder.onnx", "tokenizer.json", "encoder_int8.onnx"}
    for name, expected in MANIFEST["files"].items():
        blob = MODELS.joinpath(name).read_bytes()
        assert hashlib.sha256(blob).hexdigest() == expected, name
        assert len(blob) == MANIFEST["sizes"][name], name
    assert MANIFEST["licence"] == "Apache-2.0" and MANIFEST["dim"] == 384


def test_threads_agree_with_serial_results(uncached: Encoder) -> None:
    texts = [f"{q} (variant {i})" for i in range(6) for q in QUESTIONS]
    serial = np.vstack([uncached.encode(t) for t in texts])
    shared = Encoder(threads=1, cache_size=8)  # small: threads race on eviction too
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(shared.encode, texts * 2))
    np.testing.assert_allclose(np.vstack(results), np.vstack([serial, serial]), atol=2e-5)


def test_lru_returns_identical_vectors_and_protects_itself(encoder: Encoder) -> None:
    first = encoder.encode("a text worth remembering")
    first_copy = first.copy()
    first[:] = 0  # the caller owns what it got back
    again = encoder.encode("a text worth remembering")
    np.testing.assert_array_equal(again, first_copy)


def test_lru_evicts_least_recently_used(monkeypatch: pytest.MonkeyPatch) -> None:
    small = Encoder(threads=1, cache_size=2)
    seen: list[str] = []
    embed = small._embed

    def counting(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return embed(texts)

    monkeypatch.setattr(small, "_embed", counting)
    small.encode(["a", "b", "a"])
    small.encode("a")  # hit, so "b" is now the oldest
    small.encode("c")  # evicts "b"
    small.encode(["a", "b"])
    assert seen == ["a", "b", "c", "b"]


def test_default_encoder_is_one_instance_across_threads() -> None:
    barrier = threading.Barrier(4)

    def get() -> Encoder:
        barrier.wait()
        return default_encoder()

    with ThreadPoolExecutor(max_workers=4) as pool:
        instances = list(pool.map(lambda _: get(), range(4)))
    assert all(instance is instances[0] for instance in instances)
    assert instances[0] is default_encoder()


def test_import_semroute_does_not_load_the_model_runtime() -> None:
    code = (
        "import sys, semroute; "
        "loaded = [m for m in ('onnxruntime', 'tokenizers') if m in sys.modules]; "
        "print(','.join(loaded))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""


def test_verify_accepts_the_shipped_files() -> None:
    verified = Encoder(threads=1, verify=True)
    assert verified.model_id == MANIFEST["model_id"]
    assert verified.encode("hello").shape == (1, 384)


def differ_at(position: int, length: int = 600) -> tuple[str, str]:
    """Two texts of ``length`` one-piece words that differ only in word ``position`` (0-based)."""
    words = ["word"] * length
    other = list(words)
    words[position], other[position] = "river", "mountain"
    return " ".join(words), " ".join(other)


def test_max_tokens_can_use_every_position_of_the_model() -> None:
    longest = Encoder(threads=1, max_tokens=512, cache_size=0)
    default = Encoder(threads=1, cache_size=0)
    assert default.max_tokens == 256
    a, b = differ_at(400)  # word piece 402 counting [CLS]: past 256, before 512
    assert longest.count_tokens([a]) == [600]
    wide = longest.encode([a, b])
    assert not np.allclose(wide[0], wide[1], atol=1e-4)  # position ~400 is read at 512
    narrow = default.encode([a, b])
    np.testing.assert_array_equal(narrow[0], narrow[1])  # and cut off at 256
    far = longest.encode(list(differ_at(560)))  # beyond 512: cut off there too
    np.testing.assert_array_equal(far[0], far[1])
    assert np.linalg.norm(wide[0]) == pytest.approx(1.0, abs=1e-5)
