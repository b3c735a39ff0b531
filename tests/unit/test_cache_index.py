"""The namespace index: exact while small, a graph built in the background when large."""

from __future__ import annotations

import numpy as np

from semroute._cache_config import IndexConfig
from semroute._index import Partition


def unit(rng: np.random.Generator, n: int, dim: int = 32) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_background_build_catches_up_with_changes_made_meanwhile() -> None:
    rng = np.random.default_rng(0)
    vectors = unit(rng, 3000)
    part = Partition(32, IndexConfig(brute_force_below=500, k=4, ef_search=64))
    live: dict[int, int] = {}  # slot -> row of vectors
    for row in range(3000):
        label = part.add(row, vectors[row])
        live[row] = label
        if row % 5 == 4:  # delete while the graph may be building
            victim = row - 3
            part.remove(live.pop(victim))
    part.wait()
    assert part.uses_graph and part.size == len(live)
    for row in list(live)[::7]:
        slots, sims = part.search(vectors[row])
        assert slots[0] == row and sims[0] > 0.999
    removed = [row for row in range(3000) if row not in live]
    for row in removed[::11]:
        slots, _ = part.search(vectors[row])
        assert row not in slots.tolist()


def test_labels_are_reused_and_reinserted_vectors_found() -> None:
    rng = np.random.default_rng(1)
    vectors = unit(rng, 40)
    part = Partition(32, IndexConfig(brute_force_below=8, background_build=False, k=4, ef_search=8))
    labels = [part.add(i, vectors[i]) for i in range(20)]
    assert part.uses_graph
    for label in labels[:10]:
        part.remove(label)
    new = [part.add(20 + i, vectors[20 + i]) for i in range(10)]
    assert sorted(new) == sorted(labels[:10])  # freed labels (graph nodes) are reused
    for i in range(20, 30):
        slots, sims = part.search(vectors[i])
        assert slots[0] == i and sims[0] > 0.999
    for i in range(10):
        slots, sims = part.search(vectors[i])
        assert i not in slots.tolist()


def test_empty_partition_returns_no_candidates() -> None:
    part = Partition(8, IndexConfig())
    slots, sims = part.search(np.ones(8, dtype=np.float32) / np.sqrt(8))
    assert slots.size == 0 and sims.size == 0


def test_a_builder_outpaced_by_inserts_is_waited_for(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading

    import semroute._index as module

    monkeypatch.setattr(module, "_MAX_REPLAY", 50)
    gate = threading.Event()
    new_graph = Partition._new_graph

    def held_graph(self: Partition, capacity: int) -> object:
        gate.wait(30)  # the builder cannot progress until an add waits for it (a hang guard)
        return new_graph(self, capacity)

    # No timer: the gate opens only when the bound makes an add wait for the builder.
    backlogs: list[int] = []
    real_wait = Partition.wait

    def waiting(self: Partition) -> None:
        with self._replay_lock:
            backlogs.append(len(self._replay))
        gate.set()
        real_wait(self)

    monkeypatch.setattr(Partition, "_new_graph", held_graph)
    monkeypatch.setattr(Partition, "wait", waiting)
    rng = np.random.default_rng(2)
    vectors = unit(rng, 400)
    part = Partition(32, IndexConfig(brute_force_below=100))
    try:
        for i in range(400):
            part.add(i, vectors[i])
    finally:
        gate.set()
    # The add that queued the 51st change behind the held builder waited for it, once.
    assert backlogs == [51]
    # Without the bound, 300 changes would still be queued behind the held builder and
    # the matrix would serve; with it, an add waited for the build and installed it.
    assert part._hnsw is not None and part._matrix is None
    slots, sims = part.search(vectors[399])
    assert slots[0] == 399 and sims[0] > 0.999
