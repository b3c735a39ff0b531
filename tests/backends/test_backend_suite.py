"""The shared backend suite: every backend stores, returns and deletes entries alike."""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semroute import _text
from semroute._cache import SemanticCache
from semroute._entry import Entry
from semroute.backends import Backend
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
        vector=np.arange(dim, dtype="<f4").tobytes(),
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
