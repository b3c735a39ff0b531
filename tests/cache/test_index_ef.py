"""The graph's search width follows the namespace's size unless ef_search is set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from semroute.cache import config as _cache_config
from semroute.cache import snapshot as _index_snapshot
from semroute.cache.config import IndexConfig
from semroute.cache.index import Partition
from semroute.errors import ConfigError


def unit(rng: np.random.Generator, n: int, dim: int = 16) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_automatic_width_is_32_up_to_100k_then_grows_with_size() -> None:
    config = IndexConfig()
    assert config.ef_search is None
    assert [config.ef_for(n) for n in (0, 512, 10_000, 100_000)] == [32, 32, 32, 32]
    sizes = [100_000, 200_000, 300_000, 1_000_000, 3_000_000]
    widths = [config.ef_for(n) for n in sizes]
    assert widths == sorted(widths) and len(set(widths)) == len(widths)
    # What the 1M measurement asked for: ef 64 found 99.25 % of near duplicates, short of 99.5 %.
    assert config.ef_for(1_000_000) >= 120


def test_explicit_ef_search_is_used_at_every_size() -> None:
    for ef in (8, 32, 500):
        config = IndexConfig(ef_search=ef)
        assert {config.ef_for(n) for n in (0, 10_000, 1_000_000, 10**8)} == {ef}


def test_width_is_never_below_k() -> None:
    assert IndexConfig(k=64).ef_for(10) == 64


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "32"])
def test_bad_ef_search_is_rejected(bad: object) -> None:
    with pytest.raises(ConfigError):
        IndexConfig(ef_search=bad)  # type: ignore[arg-type]


def test_ef_search_below_k_is_rejected() -> None:
    with pytest.raises(ConfigError):
        IndexConfig(k=16, ef_search=8)


@pytest.fixture
def small_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same rule at a size a unit test can build: growth from 64 entries on.
    monkeypatch.setattr(_cache_config, "AUTO_EF_FROM", 64)


@pytest.mark.usefixtures("small_scale")
def test_partition_widens_its_graph_as_it_grows_and_narrows_it_as_it_shrinks() -> None:
    rng = np.random.default_rng(0)
    vectors = unit(rng, 600)
    config = IndexConfig(brute_force_below=32, background_build=False, k=4)
    part = Partition(16, config)
    labels = [part.add(i, vectors[i]) for i in range(600)]
    assert part.uses_graph
    assert part.ef == config.ef_for(600) > 32
    assert part._hnsw.ef == part.ef  # what hnswlib searches with
    for label in labels[:500]:
        part.remove(label)
    assert part.ef == config.ef_for(100) < config.ef_for(600)
    assert part._hnsw.ef == part.ef


@pytest.mark.usefixtures("small_scale")
def test_partition_keeps_an_explicit_width() -> None:
    rng = np.random.default_rng(1)
    vectors = unit(rng, 600)
    part = Partition(
        16, IndexConfig(brute_force_below=32, background_build=False, k=4, ef_search=12)
    )
    labels = [part.add(i, vectors[i]) for i in range(600)]
    assert part.ef == part._hnsw.ef == 12
    for label in labels[:550]:
        part.remove(label)
    assert part.ef == part._hnsw.ef == 12


@pytest.mark.usefixtures("small_scale")
def test_background_build_installs_the_width_for_the_size_reached() -> None:
    rng = np.random.default_rng(2)
    vectors = unit(rng, 900)
    config = IndexConfig(brute_force_below=64, k=4)
    part = Partition(16, config)
    for i in range(900):
        part.add(i, vectors[i])
    part.wait()
    assert part.ef == part._hnsw.ef == config.ef_for(900)


@pytest.mark.usefixtures("small_scale")
def test_restored_graph_gets_the_width_of_its_size(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    vectors = unit(rng, 400)
    config = IndexConfig(brute_force_below=32, background_build=False, k=4)
    part = Partition(16, config)
    for i in range(400):
        part.add(i, vectors[i])
    state = part.graph_state()
    assert state is not None
    _index_snapshot.save(tmp_path, "ns", state[0], state[1])
    loaded = _index_snapshot.load(tmp_path, "ns", dim=16)
    assert loaded is not None
    index, ids = loaded
    again = Partition.restore(16, config, index, len(ids))
    for label, slot in enumerate(ids.tolist()):
        again.attach(label, slot)
    again.finish_restore()
    assert again.ef == index.ef == config.ef_for(400) > 32
    slots, sims = again.search(vectors[123])
    assert slots[0] == 123 and sims[0] > 0.999


def test_graph_capacity_grows_by_powers_of_two() -> None:
    rng = np.random.default_rng(4)
    vectors = unit(rng, 3000)
    part = Partition(16, IndexConfig(brute_force_below=8, background_build=False, k=4))
    for i in range(3000):
        part.add(i, vectors[i])
    capacity = part._hnsw.get_max_elements()
    assert capacity >= 3000 and capacity & (capacity - 1) == 0
