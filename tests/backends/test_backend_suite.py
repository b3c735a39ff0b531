"""The shared backend suite: every backend stores, returns and deletes entries alike."""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semroute import _text
from semroute._entry import Entry
from semroute.backends import Backend
from semroute.cache.cache import SemanticCache
from semroute.errors import BackendError, ConfigError
from tests.backends.conftest import FACTORIES, REOPENERS
from tests.fakes import FakeEncoder


def make_entry(i: int, namespace: str = "ns", *, dim: int = 4, expires: float = math.inf) -> Entry:
    query = f"query {i}"
    return Entry(
        id=1000 + i,
        namespace=namespace,
        query=query,
        norm=_text.normalize_query(query),
        key=_text.query_key(query),
        response=f'"answer {i}"',
        # Unit length: the cache skips (and counts) a stored vector that is not.
        vector=(np.arange(dim, dtype="<f4") / np.float32(np.linalg.norm(np.arange(dim)))).tobytes(),
        created=1.5 + i,
        expires=expires,
        last_access=2.5 + i,
        hits=i,
    )


def test_satisfies_the_protocol(backend: Backend) -> None:
    assert isinstance(backend, Backend)


def test_bind_records_then_checks_encoder_settings(backend: Backend) -> None:
    backend.bind(model_id="enc-a", dim=4)
    backend.bind(model_id="enc-a", dim=4)
    with pytest.raises(ConfigError):
        backend.bind(model_id="enc-b", dim=4)
    with pytest.raises(ConfigError):
        backend.bind(model_id="enc-a", dim=8)


def test_put_load_delete(backend: Backend) -> None:
    backend.bind(model_id="m", dim=4)
    entries = [make_entry(i, "a" if i % 2 else "b", expires=100.0 + i) for i in range(6)]
    for entry in entries:
        backend.put(entry)
    assert sorted(backend.load(), key=lambda e: e.id) == entries
    assert {e.id for e in backend.load("a")} == {e.id for e in entries if e.namespace == "a"}
    backend.delete(entries[0].id)
    backend.delete(123456789)  # missing: not an error
    assert entries[0] not in list(backend.load())
    backend.put(make_entry(1, "a"))  # same id: replaces
    assert sum(1 for e in backend.load() if e.id == entries[1].id) == 1
    backend.delete_namespace("a")
    assert {e.namespace for e in backend.load()} == {"b"}
    backend.touch([(entries[2].id, 99.0, 7), (424242, 1.0, 1)])
    touched = next(e for e in backend.load() if e.id == entries[2].id)
    assert (touched.last_access, touched.hits) == (99.0, 7)
    backend.clear()
    assert list(backend.load()) == []


def test_closed_backend_refuses_writes(backend: Backend) -> None:
    backend.close()
    with pytest.raises(BackendError):
        backend.put(make_entry(0))


texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(sorted(FACTORIES)),
    namespace=texts,
    query=texts,
    response=st.recursive(
        st.none() | st.booleans() | st.integers(-(2**53), 2**53) | texts,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
        max_leaves=6,
    ),
    floats=st.lists(st.floats(width=32, allow_nan=False), min_size=4, max_size=4),
    expires=st.one_of(st.just(math.inf), st.floats(0, 1e12)),
)
def test_entries_round_trip_exactly(
    name: str,
    namespace: str,
    query: str,
    response: object,
    floats: list[float],
    expires: float,
) -> None:
    import json

    entry = Entry(
        id=2**62 + 5,
        namespace=namespace,
        query=query,
        norm=_text.normalize_query(query),
        key=_text.query_key(query),
        response=json.dumps(response, ensure_ascii=False),
        vector=np.array(floats, dtype="<f4").tobytes(),
        created=0.25,
        expires=expires,
        last_access=1e9 + 0.125,
        hits=3,
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = FACTORIES[name](Path(tmp))
        store.bind(model_id="m", dim=4)
        store.put(entry)
        assert list(store.load()) == [entry]
        store.close()
        if name in REOPENERS:
            again = REOPENERS[name](Path(tmp))
            assert list(again.load()) == [entry]
            again.close()


def test_cache_over_backend_survives_a_new_cache(backend_name: str, tmp_path: Path) -> None:
    encoder = FakeEncoder()
    store = FACTORIES[backend_name](tmp_path)
    cache = SemanticCache(store, encoder=encoder, ttl=None)
    cache.put("first question", {"a": 1}, namespace="x")
    cache.put("second question", "two", namespace="y", ttl=1e-3)
    cache.get("first question", namespace="x")
    time.sleep(0.01)
    if backend_name in REOPENERS:
        cache.close()
        store = REOPENERS[backend_name](tmp_path)
    again = SemanticCache(store, encoder=encoder)
    hit = again.get("question first", namespace="x")
    assert hit is not None and hit.response == {"a": 1}
    assert again.get("second question", namespace="y") is None  # expired meanwhile
    with pytest.raises(ConfigError):
        SemanticCache(store, encoder=FakeEncoder(model_id="another-encoder"))
    again.close()


# -- report_wrong blocks: stored with the entries, dropped with them ---------------------

ODD = 'a \x00 "quoted" ] é 日本'  # NUL, JSON syntax and non-ASCII survive every backend


def test_blocks_round_trip_and_go_with_their_namespace_and_clear(backend: Backend) -> None:
    backend.bind(model_id="m", dim=4)
    backend.block("a", "best pasta in town", "best pizza in town")
    backend.block("a", "best pasta in town", "best pizza in town")  # idempotent
    backend.block("a", "best pasta in town", "pasta near me")
    backend.block("b", ODD, ODD + "!")
    backend.put(make_entry(1, "a"))
    backend.put(make_entry(2, "b"))
    assert sorted(backend.load_blocks()) == [
        ("a", "best pasta in town", "best pizza in town"),
        ("a", "best pasta in town", "pasta near me"),
        ("b", ODD, ODD + "!"),
    ]
    assert list(backend.load_blocks("b")) == [("b", ODD, ODD + "!")]
    assert list(backend.load_blocks("nowhere")) == []
    backend.delete(make_entry(1).id)  # deleting an entry keeps its namespace's blocks
    assert len(list(backend.load_blocks("a"))) == 2
    backend.delete_namespace("a")
    assert list(backend.load_blocks()) == [("b", ODD, ODD + "!")]
    assert [e.namespace for e in backend.load()] == ["b"]
    backend.block("c", "q", "m")
    backend.clear()
    assert list(backend.load_blocks()) == []
    backend.block("c", "q", "m")  # a cleared store takes blocks again
    assert list(backend.load_blocks()) == [("c", "q", "m")]


def test_blocks_survive_reopening(backend_name: str, tmp_path: Path) -> None:
    if backend_name not in REOPENERS:
        pytest.skip(f"{backend_name}: nothing outlives the object, so nothing to reopen")
    store = FACTORIES[backend_name](tmp_path)
    store.bind(model_id="m", dim=4)
    store.block("ns", "q", "m")
    store.close()
    again = REOPENERS[backend_name](tmp_path)
    again.bind(model_id="m", dim=4)
    assert list(again.load_blocks()) == [("ns", "q", "m")]
    again.close()


def test_closed_backend_refuses_blocks(backend: Backend) -> None:
    backend.bind(model_id="m", dim=4)
    backend.close()
    with pytest.raises(BackendError):
        backend.block("ns", "q", "m")


DIM = 64


def _unit(axis: int) -> npt.NDArray[np.float32]:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[axis] = 1.0
    return vector


def _at(sim: float, axis: int) -> npt.NDArray[np.float32]:
    return (sim * _unit(0) + np.sqrt(1.0 - sim * sim) * _unit(axis)).astype(np.float32)


def test_a_reported_match_stays_blocked_in_a_new_cache(backend_name: str, tmp_path: Path) -> None:
    encoder = FakeEncoder(DIM)
    store = FACTORIES[backend_name](tmp_path)
    cache = SemanticCache(store, encoder=encoder)
    cache.put("best pizza in town", "Luigi's", namespace="x", embedding=_unit(0))
    assert cache.report_wrong("best pasta in town", namespace="x", embedding=_at(0.97, 1))
    if backend_name in REOPENERS:
        cache.close()
        store = REOPENERS[backend_name](tmp_path)
    again = SemanticCache(store, encoder=encoder)  # memory: the same store object
    again.put("Best pizza in town!", "Luigi's", namespace="x", embedding=_unit(0))
    assert again.get("best pasta in town", namespace="x", embedding=_at(0.97, 1)) is None
    assert again.stats.reported_refusals == 1
    hit = again.get("best pizza around", namespace="x", embedding=_at(0.97, 2))
    assert hit is not None  # only the reported pair is blocked
    again.close()
