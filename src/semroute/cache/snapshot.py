"""Save and restore a namespace's hnswlib graph next to a persistent store.

Rebuilding a 100k-entry graph from rows takes minutes on a small machine;
reading a saved one takes a second. The rows stay the truth: a snapshot is
used only if its checksum matches, and the cache then checks every saved
label against the loaded rows (ids present, a sample of vectors equal),
deletes labels whose rows are gone and adds rows the graph lacks. Anything
amiss and the graph is rebuilt from the rows instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

_SUFFIX_GRAPH = ".hnsw"
_SUFFIX_IDS = ".ids.npz"
_CHUNK = 1 << 22


def stem(namespace: str) -> str:
    return hashlib.sha256(namespace.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def save(directory: Path, namespace: str, index: Any, ids_by_label: npt.NDArray[np.int64]) -> str:
    """Write the graph and its label -> entry id table atomically; returns the file stem."""
    directory.mkdir(parents=True, exist_ok=True)
    name = stem(namespace)
    graph, ids = directory / (name + _SUFFIX_GRAPH), directory / (name + _SUFFIX_IDS)
    tmp_graph, tmp_ids = graph.with_suffix(".tmp"), directory / (name + ".ids.tmp.npz")
    index.save_index(str(tmp_graph))
    np.savez(
        tmp_ids,
        ids=ids_by_label,
        namespace=np.array(namespace),
        digest=np.array(_digest(tmp_graph)),
        dim=np.array(index.dim),
    )
    # The graph first: a crash between the two leaves a digest mismatch, so it is ignored.
    os.replace(tmp_graph, graph)
    os.replace(tmp_ids, ids)
    return name


def load(
    directory: Path, namespace: str, *, dim: int, ef_search: int | None = None
) -> tuple[Any, npt.NDArray[np.int64]] | None:
    """The saved graph and label -> id table of ``namespace``, or ``None`` if absent or damaged.

    ``ef_search=None`` leaves the width to the partition, which sizes it to the namespace.
    """
    import hnswlib

    name = stem(namespace)
    graph, ids_path = directory / (name + _SUFFIX_GRAPH), directory / (name + _SUFFIX_IDS)
    if not graph.exists() or not ids_path.exists():
        return None
    try:
        # Opened here, not by np.load: a damaged zip must not leak the file handle.
        with ids_path.open("rb") as fh, np.load(fh, allow_pickle=False) as saved:
            ids = np.asarray(saved["ids"], dtype=np.int64)
            ok = (
                str(saved["namespace"]) == namespace
                and int(saved["dim"]) == dim
                and str(saved["digest"]) == _digest(graph)
            )
        if not ok:
            return None
        index = hnswlib.Index(space="ip", dim=dim)
        index.load_index(str(graph), max_elements=max(ids.shape[0], 1))
        if ef_search is not None:
            index.set_ef(ef_search)
        index.set_num_threads(1)
    except Exception:
        # Any damage (a truncated zip is BadZipFile or EOFError, a bad member zlib.error,
        # a bad graph RuntimeError): the snapshot is only a shortcut, the rows rebuild it.
        return None
    return index, ids


def prune(directory: Path, keep: set[str]) -> None:
    """Remove snapshots whose stem is not in ``keep`` (namespaces gone or still exact)."""
    if not directory.is_dir():
        return
    for path in directory.iterdir():
        if path.name.split(".", 1)[0] not in keep:
            with contextlib.suppress(OSError):
                path.unlink()
