"""The encoder's model files: where they are, reading them, checking them against MANIFEST."""

from __future__ import annotations

import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from semroute.errors import EncoderError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable  # 3.11+; annotations only

GRAPH = "encoder.onnx"
TOKENIZER = "tokenizer.json"
MANIFEST = "MANIFEST"


def model_files(model_dir: str | os.PathLike[str] | None) -> Traversable:
    if model_dir is None:
        return resources.files("semroute.models")
    path = Path(model_dir)
    if not path.is_dir():
        raise EncoderError(f"encoder model directory {str(path)!r} does not exist")
    return path


def read(root: Traversable, name: str) -> bytes:
    entry = root.joinpath(name)
    try:
        return entry.read_bytes()
    except OSError as exc:
        raise EncoderError(
            f"encoder file {name!r} is missing or unreadable in {root}: {exc}; "
            "reinstall semroute or rebuild with models/scripts/export_encoder.py"
        ) from exc


def check_size(manifest: dict[str, Any], name: str, size: int) -> None:
    expected = manifest.get("sizes", {}).get(name)
    if expected is not None and size != expected:
        raise EncoderError(
            f"encoder file {name!r} has {size} bytes, MANIFEST says {expected}: "
            "the file is damaged or belongs to another model"
        )


def check_blob(manifest: dict[str, Any], name: str, blob: bytes, *, verify: bool) -> None:
    check_size(manifest, name, len(blob))
    if verify and hashlib.sha256(blob).hexdigest() != manifest["files"][name]:
        raise EncoderError(f"encoder file {name!r} does not match its MANIFEST sha256")


def graph_name(root: Traversable, manifest: dict[str, Any], precision: str) -> str:
    """The graph file for ``precision``; a MANIFEST without ``precisions`` has fp32 only."""
    entry = manifest.get("precisions", {}).get(precision)
    if entry is None:
        if precision == "fp32":
            return GRAPH
        raise EncoderError(
            f"the encoder in {root} has no {precision} graph (MANIFEST lists none); "
            "rebuild with models/scripts/export_encoder.py"
        )
    graph = entry.get("graph") if isinstance(entry, dict) else None
    if not isinstance(graph, str) or not isinstance(manifest["files"].get(graph), str):
        raise EncoderError(f"encoder MANIFEST in {root} is damaged: bad {precision} graph entry")
    return graph


def graph_source(
    root: Traversable, manifest: dict[str, Any], name: str, *, verify: bool
) -> str | bytes:
    """A path when the graph is a real file (onnxruntime loads it faster), else its bytes."""
    entry = root.joinpath(name)
    if not isinstance(entry, Path):
        blob = read(root, name)
        check_blob(manifest, name, blob, verify=verify)
        return blob
    try:
        size = entry.stat().st_size
    except OSError as exc:
        raise EncoderError(
            f"encoder file {name!r} is missing or unreadable in {root}: {exc}; "
            "reinstall semroute or rebuild with models/scripts/export_encoder.py"
        ) from exc
    check_size(manifest, name, size)
    if verify:
        check_blob(manifest, name, read(root, name), verify=True)
    return str(entry)
