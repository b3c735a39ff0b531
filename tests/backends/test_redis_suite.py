"""The shared backend suite, run again against a real ``redis-server``.

The suite's ``backend`` fixture builds its store from ``FACTORIES[backend_name]``;
overriding ``backend_name`` here (and registering the Redis factory only for the
duration of each test) runs every suite test against Redis without touching the
shared files.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semroute import _text
from semroute._entry import Entry
from semroute.backends import Backend, ChangeFeed
from semroute.backends.redis import RedisBackend
from tests.backends import test_backend_suite
from tests.backends.conftest import FACTORIES, REOPENERS
from tests.backends.redis_server import CLIENT_MISSING, RedisServer, requires_redis, running_server
from tests.backends.test_backend_suite import *  # noqa: F403

pytestmark = requires_redis
pytest.importorskip("redis", reason=CLIENT_MISSING)

# Re-run below with Redis examples; the original covers only the embedded backends.
del test_entries_round_trip_exactly  # type: ignore[name-defined]  # noqa: F821


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    yield from running_server(tmp_path_factory.mktemp("redis-suite"))


@pytest.fixture
def backend_name(redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    name = f"suite-{tmp_path.name}-{uuid.uuid4().hex[:8]}"

    def open_store(tmp: Path) -> Backend:
        return RedisBackend(redis_server.url(), name=name)

    monkeypatch.setitem(FACTORIES, "redis", open_store)
    monkeypatch.setitem(REOPENERS, "redis", open_store)
    return "redis"


def test_the_suite_really_runs_against_redis(backend: Backend) -> None:
    assert isinstance(backend, RedisBackend)
    assert isinstance(backend, ChangeFeed)


texts = test_backend_suite.texts


@settings(max_examples=40, deadline=None)
@given(
    namespace=texts,
    query=texts,
    response=st.recursive(
        st.none() | st.booleans() | st.integers(-(2**53), 2**53) | texts,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
        max_leaves=6,
    ),
    floats=st.lists(st.floats(width=32, allow_nan=False), min_size=4, max_size=4),
    expires=st.one_of(st.just(math.inf), st.floats(0, 1e12)),
    times=st.tuples(st.floats(0, 2e9), st.floats(0, 2e9)),
)
def test_entries_round_trip_exactly_through_redis(
    redis_server: RedisServer,
    namespace: str,
    query: str,
    response: object,
    floats: list[float],
    expires: float,
    times: tuple[float, float],
) -> None:
    entry = Entry(
        id=2**62 + 5,
        namespace=namespace,
        query=query,
        norm=_text.normalize_query(query),
        key=_text.query_key(query),
        response=json.dumps(response, ensure_ascii=False),
        vector=np.array(floats, dtype="<f4").tobytes(),
        created=times[0],
        expires=expires,
        last_access=times[1],
        hits=3,
    )
    name = f"rt-{uuid.uuid4().hex}"
    store = RedisBackend(redis_server.url(), name=name)
    store.bind(model_id="m", dim=4)
    store.put(entry)
    assert list(store.load()) == [entry]
    assert list(store.load(namespace)) == [entry]
    store.close()
    again = RedisBackend(redis_server.url(), name=name)
    assert list(again.load()) == [entry]
    again.close()
