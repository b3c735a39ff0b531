"""The opt-in int8 encoder shipped beside the fp32 default (issue 20)."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from semroute import Encoder, SemanticCache
from semroute.errors import ConfigError, EncoderError

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parent / "data" / "reference_embeddings.npz"
MODELS = resources.files("semroute.models")
MANIFEST = json.loads(MODELS.joinpath("MANIFEST").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def int8() -> Encoder:
    return Encoder(precision="int8", threads=1, cache_size=0)


@pytest.fixture(scope="module")
def fp32() -> Encoder:
    return Encoder(threads=1, cache_size=0)


def test_int8_graph_is_package_data_listed_in_manifest() -> None:
    graph = MANIFEST["precisions"]["int8"]["graph"]
    blob = MODELS.joinpath(graph).read_bytes()
    assert hashlib.sha256(blob).hexdigest() == MANIFEST["files"][graph]
    assert len(blob) == MANIFEST["sizes"][graph]
    # Quantised: well under the fp32 graph (90 MB), FFN output projections kept fp32.
    assert len(blob) < 0.45 * MANIFEST["sizes"]["encoder.onnx"]
    assert MANIFEST["precisions"]["fp32"]["graph"] == "encoder.onnx"


def test_int8_agrees_with_fp32_and_the_original_model(int8: Encoder, fp32: Encoder) -> None:
    fixture = np.load(FIXTURE)
    sentences = [str(s) for s in fixture["sentences"]]
    got = int8.encode(sentences)
    assert got.shape == (len(sentences), 384) and got.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    to_fp32 = np.sum(got * fp32.encode(sentences), axis=1)
    to_original = np.sum(got * fixture["embeddings"], axis=1)
    assert to_fp32.min() >= 0.98 and to_fp32.mean() >= 0.995, to_fp32.round(4)
    assert to_original.min() >= 0.98, to_original.round(4)
    # Really another graph: not bit-identical to fp32.
    assert to_fp32.min() < 0.99999


def test_int8_has_its_own_model_id(int8: Encoder, fp32: Encoder) -> None:
    graph = MANIFEST["precisions"]["int8"]["graph"]
    assert int8.precision == "int8" and fp32.precision == "fp32"
    assert int8.model_id == f"{MANIFEST['name']}-int8-{MANIFEST['files'][graph][:12]}"
    assert fp32.model_id == MANIFEST["model_id"]  # the default's id is unchanged
    assert int8.model_id != fp32.model_id


@pytest.mark.parametrize(("first", "second"), [("fp32", "int8"), ("int8", "fp32")])
def test_a_store_made_by_one_precision_refuses_the_other(
    tmp_path: Path, int8: Encoder, fp32: Encoder, first: str, second: str
) -> None:
    encoders = {"fp32": fp32, "int8": int8}
    path = tmp_path / "faq.db"
    with SemanticCache(path, encoder=encoders[first]) as cache:
        cache.put("How do I reset my password?", "Use the reset link.")
    with pytest.raises(ConfigError, match=r"all-MiniLM-L6-v2"):
        SemanticCache(path, encoder=encoders[second])
    with SemanticCache(path, encoder=encoders[first]) as again:
        assert again.get("How do I reset my password?") is not None


def test_unknown_precision_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="precision"):
        Encoder(precision="int4")


def test_a_model_dir_without_an_int8_graph_says_so(tmp_path: Path) -> None:
    manifest = {k: v for k, v in MANIFEST.items() if k != "precisions"}
    for name in ("encoder.onnx", "tokenizer.json"):
        (tmp_path / name).symlink_to(Path(str(MODELS.joinpath(name))))
    (tmp_path / "MANIFEST").write_text(json.dumps(manifest), encoding="utf-8")
    assert Encoder(tmp_path, threads=1).model_id == MANIFEST["model_id"]
    with pytest.raises(EncoderError, match="no int8 graph"):
        Encoder(tmp_path, precision="int8")
