"""The namespace index: exact while small, a graph built in the background when large."""

from __future__ import annotations

import numpy as np

from semroute.cache.config import IndexConfig
from semroute.cache.index import Partition


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


def test_deleted_graph_labels_are_never_re_added_until_a_compaction_frees_them(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    import semroute.cache.index as module

    monkeypatch.setattr(module, "_COMPACT_MIN", 12)
    rng = np.random.default_rng(1)
    vectors = unit(rng, 80)
    part = Partition(32, IndexConfig(brute_force_below=8, background_build=False, k=4, ef_search=8))
    re_added: list[int] = []
    graph_add = Partition._graph_add

    def spy(self: Partition, index: object, batch: np.ndarray, labels: np.ndarray) -> None:
        # Only this test's partition: background builds of earlier tests' caches may still
        # be adding to their own graphs through the patched class.
        if self is part:
            held = set(index.get_ids_list())  # type: ignore[attr-defined]
            re_added.extend(label for label in labels.tolist() if label in held)
        graph_add(self, index, batch, labels)

    monkeypatch.setattr(Partition, "_graph_add", spy)
    labels = [part.add(i, vectors[i]) for i in range(20)]
    assert part.uses_graph
    for label in labels[:10]:
        part.remove(label)
    new = [part.add(20 + i, vectors[20 + i]) for i in range(10)]
    # A deleted node is re-linked in place by hnswlib (~30x a normal insert): never reused.
    assert not set(new) & set(labels[:10]) and re_added == []
    for i in range(20, 30):
        slots, sims = part.search(vectors[i])
        assert slots[0] == i and sims[0] > 0.999
    for i in range(10):
        slots, _ = part.search(vectors[i])
        assert i not in slots.tolist()
    # Two more deletes reach _COMPACT_MIN tombstones: the graph is rebuilt from the live
    # vectors and the deleted labels are free again, now absent from the graph.
    part.remove(new[0])
    part.remove(new[1])
    assert part._dead == []
    later = [part.add(30 + i, vectors[30 + i]) for i in range(12)]
    assert set(later) <= set(labels[:10]) | set(new[:2]) and re_added == []
    assert part.size == 30
    for i in [*range(10, 20), *range(22, 42)]:
        slots, sims = part.search(vectors[i])
        assert slots[0] == i and sims[0] > 0.999, i
    for i in (20, 21):
        slots, _ = part.search(vectors[i])
        assert i not in slots.tolist()


def test_a_compaction_in_the_background_keeps_every_change_made_meanwhile(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    import semroute.cache.index as module

    monkeypatch.setattr(module, "_COMPACT_MIN", 200)
    rng = np.random.default_rng(5)
    vectors = unit(rng, 4000)
    part = Partition(32, IndexConfig(brute_force_below=300, k=4, ef_search=64))
    live: dict[int, int] = {}  # row -> label
    order: list[int] = []
    for row in range(4000):
        live[row] = part.add(row, vectors[row])
        order.append(row)
        if len(live) > 600:  # a cache at its cap: every insert evicts the oldest
            part.remove(live.pop(order.pop(0)))
    part.wait()
    assert part.uses_graph and part.size == 600 == len(live)
    assert len(part._dead) < 600  # compactions ran and freed the tombstones
    for row in list(live)[::5]:
        slots, sims = part.search(vectors[row])
        assert slots[0] == row and sims[0] > 0.999
    for row in range(0, 3400, 37):
        slots, _ = part.search(vectors[row])
        assert row not in slots.tolist()


def test_empty_partition_returns_no_candidates() -> None:
    part = Partition(8, IndexConfig())
    slots, sims = part.search(np.ones(8, dtype=np.float32) / np.sqrt(8))
    assert slots.size == 0 and sims.size == 0


def test_a_builder_outpaced_by_inserts_is_waited_for(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading

    import semroute.cache.index as module

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
