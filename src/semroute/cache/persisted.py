"""A persisted store opened: rows and blocks loaded, saved index graphs reused, saved again.

A row that cannot be decoded is skipped and counted (``corrupt_entries``), never fatal. A
saved graph is used only if it matches the rows (labels present, sampled vectors equal);
otherwise the index is rebuilt from the rows. Graphs are a shortcut, never the truth.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from semroute._entry import Entry
from semroute.backends._base import Backend
from semroute.cache import snapshot as _index_snapshot
from semroute.cache import stored as _stored
from semroute.cache.blocks import Blocks
from semroute.cache.index import Partition
from semroute.cache.stats import StatsRecorder
from semroute.cache.store import EntryStore

FloatArray = npt.NDArray[np.float32]


def load(store: EntryStore, blocks: Blocks, stats: StatsRecorder, backend: Backend) -> None:
    """Fill the store and the blocks from the backend, reusing saved index graphs."""
    dim = store.dim
    now = time.time()
    snapshots = _snapshot_dir(backend)
    rows: dict[str, list[tuple[Entry, object, FloatArray]]] = {}
    # An entry that cannot be decoded (JSON, vector) is skipped and counted, never
    # fatal: one bad row must not make the whole store unusable.
    usable: list[tuple[Entry, object]] = []
    for entry in backend.load():
        if entry.expires <= now:
            backend.delete(entry.id)
            continue
        ok, value = _stored.decode_value(entry.response)
        if ok and len(entry.vector) == 4 * dim:
            usable.append((entry, value))
        else:
            stats.add("corrupt_entries")
    if usable:
        # One buffer for every vector; rows are read-only views the index copies from.
        stored = np.frombuffer(b"".join(entry.vector for entry, _ in usable), dtype="<f4")
        # Stored little-endian; no copy on a little-endian machine.
        matrix: FloatArray = stored.astype(np.float32, copy=False).reshape(len(usable), dim)
        good = _stored.usable_vectors(matrix)
        stats.add("corrupt_entries", int(good.size - np.count_nonzero(good)))
        for (entry, value), vector, keep in zip(usable, matrix, good.tolist(), strict=True):
            if keep:
                rows.setdefault(entry.namespace, []).append((entry, value, vector))
    loaded: list[tuple[float, int, int]] = []
    for namespace, items in rows.items():
        labels = _restore_graph(store, snapshots, namespace, items) if snapshots else {}
        ns = store.namespaces.get(namespace)
        # Rows the saved graph holds are attached first, so the labels it no longer
        # needs are known (and reused) before the other rows are added.
        for entry, value, vector in sorted(items, key=lambda r: r[0].id not in labels):
            if ns is not None and labels and entry.id not in labels:
                ns.partition.finish_restore()
                labels = {}
            slot = store.insert(entry, value, vector, persist=False, label=labels.get(entry.id))
            loaded.append((entry.last_access, entry.id, slot))
        if labels and ns is not None:
            ns.partition.finish_restore()
    for namespace, query_norm, matched_norm in backend.load_blocks():
        blocks.add(namespace, query_norm, matched_norm)
    # LRU order across restarts follows the persisted last-access times.
    loaded.sort()
    for rank, (_, _, slot) in enumerate(loaded, start=1):
        store.table.stamps[slot] = rank
    store.stamp = len(loaded)
    store.evict(now)


def _snapshot_dir(backend: Backend | None) -> Path | None:
    index_dir = getattr(backend, "index_dir", None)
    return index_dir() if callable(index_dir) else None


def _restore_graph(
    store: EntryStore,
    directory: Path,
    namespace: str,
    items: list[tuple[Entry, object, FloatArray]],
) -> dict[int, int]:
    """Install the namespace's saved graph if it matches the rows; entry id -> label."""
    saved = _index_snapshot.load(
        directory, namespace, dim=store.dim, ef_search=store.index_config.ef_search
    )
    if saved is None:
        return {}
    index, ids_by_label = saved
    vectors = {entry.id: vector for entry, _, vector in items}
    labels = {int(i): label for label, i in enumerate(ids_by_label.tolist()) if i >= 0}
    present = set(index.get_ids_list())
    if any(label not in present for label in labels.values()):
        return {}
    known = [i for i in labels if i in vectors]
    sample = known[:: max(1, len(known) // 32)]
    try:
        stored = index.get_items([labels[i] for i in sample]) if sample else []
    except RuntimeError:  # a label marked deleted: the snapshot does not match the rows
        return {}
    for entry_id, got in zip(sample, stored, strict=True):
        if not np.allclose(np.asarray(got, dtype=np.float32), vectors[entry_id], atol=1e-5):
            return {}
    partition = Partition.restore(store.dim, store.index_config, index, len(ids_by_label))
    store.add_namespace(namespace, partition)
    return {i: labels[i] for i in known}


def save_graphs(store: EntryStore, backend: Backend | None) -> None:
    """Save each namespace's index graph beside the backend's rows, if it has a place."""
    directory = _snapshot_dir(backend)
    if directory is None:
        return
    table, keep = store.table, set()
    try:
        for name, ns in store.namespaces.items():
            state = ns.partition.graph_state()
            if state is None:
                continue
            index, slots = state
            ids = np.where(slots >= 0, table.ids[np.maximum(slots, 0)], -1).astype(np.int64)
            keep.add(_index_snapshot.save(directory, name, index, ids))
        _index_snapshot.prune(directory, keep)
    except (OSError, RuntimeError):
        # The place is unusable (a regular file, no space, read-only): the graphs are
        # only a shortcut for the next open, which rebuilds them from the rows.
        return
