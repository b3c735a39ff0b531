"""One namespace's vectors: exact search while small, an hnswlib graph when large.

Each stored vector gets a *label*, dense and reused after deletes, mapped to
the cache's slot. Below ``IndexConfig.brute_force_below`` entries the vectors
sit in one matrix scanned exactly by ``_cachecore.best_row`` (faster than HNSW
there, and single-threaded: a BLAS product may fan out to threads). Crossing
it builds an hnswlib graph, in a background thread so no caller stalls; the
matrix keeps serving until the graph is installed, and the changes made
meanwhile are replayed onto it. In the graph a deleted label is
``mark_deleted`` at once (it can never be returned again) and stays as a
tombstone: a later insert takes a label the graph has never held, a normal
insert (~0.4 ms at 5k entries), because re-adding a deleted label makes hnswlib
re-link that node in place (``updatePoint``: ~12 ms, 30x; so does hnswlib's
``replace_deleted``; ``benchmarks/cache/eviction.py``). Once tombstones reach half the
live size (and at least ``_COMPACT_MIN``), the graph is rebuilt from the live
vectors in the background, as the first build is, and the tombstoned labels
become free again.

The graph's search width follows the namespace's size (``IndexConfig.ef_for``):
it is re-set (a field write in hnswlib) whenever an insert or delete changes it.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import weakref
from typing import Any

import numpy as np
import numpy.typing as npt

from semroute.cache.config import IndexConfig
from semroute.cache.core_ref import row_dots
from semroute.cache.table import column, grown

_EMPTY_SLOTS = np.empty(0, dtype=np.int64)
_BUILD_CHUNK = 256
_INSTALL_REPLAY = 64  # changes left for the installing caller to replay under the lock
_MAX_REPLAY = 100_000  # changes queued behind a running build before a caller waits for it
_EMPTY_SIMS = np.empty(0, dtype=np.float32)
# Rebuild a graph once its tombstones reach this share of the live entries (and at
# least _COMPACT_MIN): memory stays within 1.5x, the rebuild costs ~2 inserts per put.
_COMPACT_RATIO = 0.5
_COMPACT_MIN = 1024
# A replayed change: (label, its vector) for an insert, (label, None) for a delete.
_Op = tuple[int, "npt.NDArray[np.float32] | None"]


_STOPPING = threading.Event()
_BUILDERS: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


@atexit.register
def _stop_builders() -> None:
    # A daemon thread killed inside hnswlib's C++ aborts the process ("terminate
    # called"); atexit runs before daemon threads die, so stop them cleanly here.
    _STOPPING.set()
    for thread in list(_BUILDERS):
        thread.join()


class Partition:
    """The vectors of one namespace; callers serialise access (the cache's lock)."""

    def __init__(self, dim: int, config: IndexConfig) -> None:
        self.dim = dim
        self.config = config
        self.size = 0
        self._n_labels = 0
        self._free: list[int] = []  # labels the current graph does not hold: cheap to add
        self._dead: list[int] = []  # labels deleted in the graph: never re-added to it
        self._label_slot = np.full(16, -1, dtype=np.int64)
        self._matrix: npt.NDArray[np.float32] | None = np.empty((16, dim), dtype=np.float32)
        self._hnsw: Any = None
        self._ef = 0  # the search width set on the installed graph
        self._building: threading.Thread | None = None
        self._built: Any = None
        self._replay: list[_Op] = []  # changes since the build's snapshot, in order
        self._replay_lock = threading.Lock()

    @classmethod
    def restore(cls, dim: int, config: IndexConfig, index: Any, n_labels: int) -> Partition:
        """A partition over a saved graph; ``attach`` its live labels, then ``finish_restore``."""
        part = cls(dim, config)
        part._matrix = None
        part._hnsw = index
        part._n_labels = n_labels
        part._label_slot = column(max(n_labels, 16), np.int64, -1)
        part._tune_ef()
        return part

    def attach(self, label: int, slot: int) -> int:
        self._label_slot[label] = slot
        self.size += 1
        return label

    def finish_restore(self) -> None:
        """Delete the saved labels no loaded row claimed and make them reusable."""
        unclaimed = np.flatnonzero(self._label_slot[: self._n_labels] < 0).tolist()
        for label in unclaimed:
            with contextlib.suppress(RuntimeError):  # not in the graph, or deleted already
                self._hnsw.mark_deleted(label)
        self._sort_free_labels(self._hnsw)
        self._tune_ef()
        self._maybe_compact()

    def graph_state(self) -> tuple[Any, npt.NDArray[np.int64]] | None:
        """The installed graph and the slot of each label (-1: free), or None."""
        self._install_if_built()
        if self._hnsw is None:
            return None
        return self._hnsw, self._label_slot[: self._n_labels].copy()

    @property
    def ef(self) -> int:
        """The search width the graph uses now (0 while the namespace is searched exactly)."""
        self._install_if_built()
        return self._ef

    def _tune_ef(self) -> None:
        if self._hnsw is not None:
            ef = self.config.ef_for(self.size)
            if ef != self._ef:
                self._hnsw.set_ef(ef)
                self._ef = ef

    @property
    def uses_graph(self) -> bool:
        self._install_if_built()
        return self._hnsw is not None

    def add(self, slot: int, vector: npt.NDArray[np.float32]) -> int:
        """Store ``vector`` for ``slot``; returns its label."""
        self._install_if_built()
        label = self._free.pop() if self._free else self._n_labels
        if label == self._n_labels:
            self._n_labels += 1
            if label >= self._label_slot.shape[0]:
                self._label_slot = grown(self._label_slot, 2 * self._label_slot.shape[0], -1)
        self._label_slot[label] = slot
        self.size += 1
        if self._matrix is not None:
            if label >= self._matrix.shape[0]:
                bigger = np.empty((2 * self._matrix.shape[0], self.dim), dtype=np.float32)
                bigger[: self._matrix.shape[0]] = self._matrix
                self._matrix = bigger
            self._matrix[label] = vector
        if self._hnsw is not None:
            self._graph_add(self._hnsw, vector[None, :], np.array([label]))
            self._tune_ef()
            if self._building is not None:  # a compaction: the new graph gets it too
                with self._replay_lock:
                    self._replay.append((label, vector.copy()))
        elif self._building is not None:
            with self._replay_lock:
                self._replay.append((label, vector.copy()))
                backlog = len(self._replay)
            if backlog > _MAX_REPLAY:
                # Inserts outpace the builder: let it catch up rather than grow without bound.
                self.wait()
        elif self.size >= self.config.brute_force_below:
            self._start_build()
        return label

    def remove(self, label: int) -> None:
        self._install_if_built()
        if self._label_slot[label] < 0:
            return
        self._label_slot[label] = -1
        self.size -= 1
        if self._hnsw is not None:
            self._hnsw.mark_deleted(label)
            self._dead.append(label)
            self._tune_ef()
        else:
            self._free.append(label)  # a matrix row: reused as is
        if self._building is not None:
            with self._replay_lock:
                self._replay.append((label, None))
        self._maybe_compact()

    def exact_rows(self) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]] | None:
        """``(matrix, slots)`` to scan exactly (``_cachecore.best_row``), or None for the graph."""
        self._install_if_built()
        if self._hnsw is not None or self._matrix is None:
            return None
        n = self._n_labels
        return self._matrix[:n], self._label_slot[:n]

    def search(
        self, vector: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """Candidate slots (``-1`` for a free label) and their cosines to ``vector``."""
        self._install_if_built()
        if self.size == 0:
            return _EMPTY_SLOTS, _EMPTY_SIMS
        if self._hnsw is None:
            assert self._matrix is not None
            n = self._n_labels
            sims = row_dots(self._matrix[:n], vector)
            return self._label_slot[:n], sims
        k = min(self.config.k, self.size)
        try:
            labels, distances = self._hnsw.knn_query(vector, k=k, num_threads=1)
        except RuntimeError:
            # hnswlib found fewer than k live nodes (many deletes around the query):
            # a miss is a correct answer, a crash is not; k=1 rarely fails.
            try:
                labels, distances = self._hnsw.knn_query(vector, k=1, num_threads=1)
            except RuntimeError:
                return _EMPTY_SLOTS, _EMPTY_SIMS
        # Labels are < 2**31: read hnswlib's uint64 as int64 in place; 1 - float32 stays float32.
        return self._label_slot[labels[0].view(np.int64)], 1.0 - distances[0]

    def wait(self) -> None:
        """Block until a background graph build (if any) is installed; for tests and benchmarks."""
        building = self._building
        if building is not None:
            building.join()
        self._install_if_built()

    # -- graph building ---------------------------------------------------------------

    def _graph_add(self, index: Any, vectors: npt.NDArray[np.float32], labels: Any) -> None:
        needed = self._n_labels
        capacity = index.get_max_elements()
        if needed > capacity:
            # hnswlib reallocs (mremap on Linux): measured 1 ms growing 100k slots to 200k.
            # Doubling keeps powers of two: hnswlib touches ~46 bytes per slot of capacity
            # (a mutex, a level, a visited mark) whether it is used or not.
            while capacity < needed:
                capacity *= 2
            index.resize_index(capacity)
        index.add_items(vectors, labels, num_threads=1)

    def _new_graph(self, capacity: int) -> Any:
        import hnswlib

        cfg = self.config
        index = hnswlib.Index(space="ip", dim=self.dim)
        index.init_index(max_elements=capacity, M=cfg.m, ef_construction=cfg.ef_construction)
        index.set_num_threads(1)
        return index

    def _maybe_compact(self) -> None:
        """Rebuild the graph from the live vectors once tombstones outweigh the rest."""
        if (
            self._hnsw is None
            or self._building is not None
            or len(self._dead) < max(_COMPACT_MIN, _COMPACT_RATIO * self.size)
        ):
            return
        labels = np.flatnonzero(self._label_slot[: self._n_labels] >= 0)
        vectors = (
            np.asarray(self._hnsw.get_items(labels, return_type="numpy"), dtype=np.float32)
            if labels.size
            else np.empty((0, self.dim), dtype=np.float32)
        )
        self._start_build(labels, vectors)

    def _sort_free_labels(self, index: Any) -> None:
        """Split the unused labels into those ``index`` holds (deleted) and the free ones."""
        unused = np.flatnonzero(self._label_slot[: self._n_labels] < 0).tolist()
        held = set(index.get_ids_list())
        self._dead = [label for label in unused if label in held]
        self._free = [label for label in reversed(unused) if label not in held]

    def _start_build(
        self,
        labels: npt.NDArray[np.int64] | None = None,
        vectors: npt.NDArray[np.float32] | None = None,
    ) -> None:
        if labels is None or vectors is None:
            assert self._matrix is not None
            labels = np.flatnonzero(self._label_slot[: self._n_labels] >= 0)
            vectors = self._matrix[labels].copy()
        capacity = 1 << max(10, (2 * self._n_labels - 1).bit_length())
        self._replay = []

        def build() -> None:
            index = self._new_graph(capacity)
            # In chunks, so interpreter exit can stop a build between two of them.
            for lo in range(0, labels.shape[0], _BUILD_CHUNK):
                if _STOPPING.is_set():
                    return
                hi = lo + _BUILD_CHUNK
                index.add_items(vectors[lo:hi], labels[lo:hi], num_threads=1)
            # Catch up with the changes made meanwhile here, off the callers' path,
            # until few remain; installing then replays only those, under the lock.
            while True:
                with self._replay_lock:
                    ops = self._replay
                    if len(ops) <= _INSTALL_REPLAY:
                        self._built = index
                        return
                    self._replay = []
                if _STOPPING.is_set():
                    return
                self._apply(index, ops)

        if self.config.background_build:
            self._building = threading.Thread(target=build, name="semroute-index", daemon=True)
            _BUILDERS.add(self._building)
            self._building.start()
        else:
            build()
            self._building = threading.Thread()  # marks "built, not yet installed"
            self._install_if_built()

    def _apply(self, index: Any, ops: list[_Op]) -> None:
        # In order, so each label ends as it is now.
        for label, vector in ops:
            if vector is not None:
                self._graph_add(index, vector[None, :], np.array([label]))
            else:
                # Never in the graph, or already deleted: nothing to do.
                with contextlib.suppress(RuntimeError):
                    index.mark_deleted(label)

    def _install_if_built(self) -> None:
        index = self._built
        if index is None:
            return
        with self._replay_lock:
            self._apply(index, self._replay)
            self._replay = []
        self._hnsw = index
        self._built = None
        self._building = None
        self._matrix = None
        self._sort_free_labels(index)
        self._ef = 0
        self._tune_ef()
