"""What only the Redis backend does: change feed, resync, faults, corrupt entries, settings."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from semroute._entry import Entry
from semroute._validate import MAX_TTL_S
from semroute.backends import Change
from semroute.backends._redis_keys import Keys
from semroute.backends.redis import RedisBackend
from semroute.cache.cache import SemanticCache
from semroute.errors import BackendError, ConfigError, CorruptStoreError, InputError
from tests.backends.redis_server import (
    CLIENT_MISSING,
    RedisServer,
    free_port,
    requires_redis,
    running_server,
)
from tests.backends.test_backend_suite import make_entry
from tests.fakes import FakeEncoder

pytestmark = requires_redis
redis = pytest.importorskip("redis", reason=CLIENT_MISSING)

WAIT_S = 10.0  # generous: eventual consistency, never a timing assertion


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    yield from running_server(tmp_path_factory.mktemp("redis"))


@pytest.fixture
def url(server: RedisServer) -> str:
    return server.url(f"t-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def raw(server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis(port=server.port, host="127.0.0.1")
    yield client
    client.close()


@pytest.fixture
def opened(url: str) -> Iterator[Callable[..., RedisBackend]]:
    stores: list[RedisBackend] = []

    def open_store(**options: object) -> RedisBackend:
        store = RedisBackend(url, **options)  # type: ignore[arg-type]
        store.bind(model_id="m", dim=4)
        stores.append(store)
        return store

    yield open_store
    for store in stores:
        store.close()


def bind_once(url: str, model_id: str = "m") -> None:
    store = RedisBackend(url)
    try:
        store.bind(model_id=model_id, dim=4)
    finally:
        store.close()


class Mirror:
    """What a cache would hold after applying every change a backend reported."""

    def __init__(self, store: RedisBackend) -> None:
        self.store = store
        self.entries = {e.id: e for e in store.load()}
        self.blocks = set(store.load_blocks())
        self.kinds: list[str] = []

    def apply(self, changes: Sequence[Change]) -> None:
        for change in changes:
            self.kinds.append(change.kind)
            if change.kind == "put" and change.entry is not None:
                self.entries[change.entry.id] = change.entry
            elif change.kind == "delete" and change.entry_id is not None:
                self.entries.pop(change.entry_id, None)
            elif change.kind == "delete_namespace":
                self.entries = {
                    i: e for i, e in self.entries.items() if e.namespace != change.namespace
                }
                self.blocks = {b for b in self.blocks if b[0] != change.namespace}
            elif change.kind == "clear":
                keep = change.keep or frozenset()
                self.entries = {i: e for i, e in self.entries.items() if i in keep}
                if change.keep is None:
                    self.blocks = set()
            elif change.kind == "block":
                assert change.namespace is not None and change.query_norm is not None
                assert change.matched_norm is not None
                self.blocks.add((change.namespace, change.query_norm, change.matched_norm))

    def wait_for(self, predicate: Callable[[dict[int, Entry]], bool]) -> None:
        deadline = time.monotonic() + WAIT_S
        while not predicate(self.entries):
            assert time.monotonic() < deadline, f"mirror never converged: {self.kinds[-5:]}"
            time.sleep(0.005)
            self.apply(self.store.poll())


def test_missing_client_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(ConfigError, match=r"semroute\[redis\]"):
        RedisBackend("redis://127.0.0.1:6379/0")


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("http://127.0.0.1:6379/0", {}),
        ("redis://127.0.0.1:6379/0?name=a", {"name": "b"}),
        ("redis://127.0.0.1:6379/0", {"name": "bad}name"}),
        ("redis://127.0.0.1:6379/0", {"log_max": 0}),
        ("redis://127.0.0.1:6379/0", {"socket_timeout": -1.0}),
        ("redis://127.0.0.1:6379/0", {"max_pending": 1.5}),
    ],
)
def test_bad_settings_raise_config_error(url: str, options: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        RedisBackend(url, **options)  # type: ignore[arg-type]


def test_name_comes_from_the_url_or_the_argument() -> None:
    for store, expected in [
        (RedisBackend("redis://127.0.0.1:6379/0?name=faq"), "faq"),
        (RedisBackend("redis://127.0.0.1:6379/0", name="faq"), "faq"),
        (RedisBackend("redis://127.0.0.1:6379/0"), "default"),
    ]:
        assert store.settings.name == expected
        store.close()


def test_a_password_never_shows_in_messages() -> None:
    store = RedisBackend(
        f"redis://user:s3cret@127.0.0.1:{free_port()}/0?name=x", connect_timeout=0.2, strict=True
    )
    with pytest.raises(BackendError) as info:
        store.bind(model_id="m", dim=4)
    assert "s3cret" not in str(info.value) and "s3cret" not in repr(store)
    assert "user:***@127.0.0.1" in repr(store)
    store.close()


def test_strict_opening_of_a_down_redis_raises_backend_error_but_writes_never_raise() -> None:
    store = RedisBackend(
        f"redis://127.0.0.1:{free_port()}/0?strict=true",
        connect_timeout=0.2,
        socket_timeout=0.2,
        max_pending=3,
    )
    assert store.strict
    with pytest.raises(BackendError, match="cannot open"):
        store.bind(model_id="m", dim=4)
    for i in range(5):
        store.put(make_entry(i))
    store.delete(1)
    assert store.flush(timeout=0.3) is False
    stats = store.stats
    assert stats.pending_writes == 3
    assert stats.dropped_writes == 3
    assert stats.errors >= 1 and not stats.connected and stats.last_error
    with pytest.raises(BackendError):
        list(store.load())
    store2 = RedisBackend(f"redis://127.0.0.1:{free_port()}/0", close_timeout=0.2)
    store2.put(make_entry(0))
    store2.close()  # gives up after close_timeout, counting what it could not send
    assert store2.stats.dropped_writes == 1


def test_foreign_or_newer_store_is_refused_untouched(url: str, raw: redis.Redis) -> None:
    keys = Keys.of(RedisBackend(url).settings.name)
    raw.hset(keys.meta, mapping={"format": "something-else"})
    with pytest.raises(CorruptStoreError):
        bind_once(url)
    assert raw.hgetall(keys.meta) == {b"format": b"something-else"}
    raw.hset(keys.meta, mapping={"format": "semroute-cache", "schema_version": "999"})
    with pytest.raises(ConfigError, match="schema version"):
        bind_once(url)


def own_changes(store: RedisBackend, count: int) -> list[Change]:
    """What ``store`` reports of its own writes once Redis ran ``count`` of them."""
    got: list[Change] = []
    deadline = time.monotonic() + WAIT_S
    while len(got) < count:
        assert time.monotonic() < deadline, f"only {got} came back"
        got += store.poll()
        time.sleep(0.005)
    return got


def test_changes_reach_every_process_in_order_the_writer_as_confirmations(
    opened: Callable[..., RedisBackend],
) -> None:
    writer, reader = opened(), opened()
    mirror = Mirror(reader)
    entries = [make_entry(i, "a" if i % 2 else "b") for i in range(6)]
    for entry in entries:
        writer.put(entry)
    mirror.wait_for(lambda got: len(got) == 6)
    assert mirror.entries == {e.id: e for e in entries}
    writer.delete(entries[0].id)
    writer.delete_namespace("a")
    mirror.wait_for(lambda got: set(got) == {entries[2].id, entries[4].id})
    writer.clear()
    writer.put(make_entry(9, "c"))
    mirror.wait_for(lambda got: set(got) == {make_entry(9).id})
    assert mirror.kinds.count("clear") == 1
    assert writer.flush()
    # The writer learns where Redis put its own writes; its puts come back without
    # their entry (it holds them): a confirmation, not a copy.
    own = own_changes(writer, 10)
    kinds = ["put"] * 6 + ["delete", "delete_namespace", "clear", "put"]
    assert [c.kind for c in own] == kinds
    puts = [c for c in own if c.kind == "put"]
    assert all(c.entry is None for c in puts)
    assert [c.entry_id for c in puts] == [e.id for e in entries] + [make_entry(9).id]
    assert reader.stats.lag_s >= 0.0 and reader.stats.changes_received >= 9


def test_changes_flow_over_resp3_too(url: str) -> None:
    writer = RedisBackend(url)
    reader = RedisBackend(url + "&protocol=3")
    for store in (writer, reader):
        store.bind(model_id="m", dim=4)
    mirror = Mirror(reader)
    writer.put(make_entry(1))
    mirror.wait_for(lambda got: set(got) == {make_entry(1).id})
    assert mirror.entries[make_entry(1).id] == make_entry(1)
    writer.close()
    reader.close()


def test_ttl_is_redis_expiry_with_a_grace(
    opened: Callable[..., RedisBackend], raw: redis.Redis
) -> None:
    store = opened(expire_grace=5.0)
    now = time.time()
    store.put(make_entry(1, expires=now + 100.0))
    store.put(make_entry(2))
    store.put(make_entry(3, expires=now - 1000.0))  # the cache decides; Redis collects later
    assert store.flush()
    keys = Keys.of(store.settings.name)
    ttl = raw.pttl(keys.entry(make_entry(1).id))
    assert 100_000 < ttl <= 105_000
    assert raw.pttl(keys.entry(make_entry(2).id)) == -1
    assert 0 < raw.pttl(keys.entry(make_entry(3).id)) <= 5_000
    assert {e.id for e in store.load()} == {1001, 1002, 1003}


def test_a_write_redis_refuses_is_dropped_and_counted_not_retried_forever(
    opened: Callable[..., RedisBackend], raw: redis.Redis
) -> None:
    store = opened()
    keys = Keys.of(store.settings.name)
    raw.set(keys.namespace("blocked"), "a string, not a set")  # WRONGTYPE for the script
    store.put(make_entry(1, "blocked"))
    store.put(make_entry(2, "fine"))
    assert store.flush()
    stats = store.stats
    assert stats.dropped_writes == 1 and "WRONGTYPE" in (stats.last_error or "")
    assert stats.written == 1
    assert [e.id for e in store.load()] == [make_entry(2).id]  # the next write went through
    assert not raw.exists(keys.entry(make_entry(1).id))  # nothing half-written


def test_touch_never_recreates_a_deleted_entry(
    opened: Callable[..., RedisBackend], raw: redis.Redis
) -> None:
    store = opened()
    store.put(make_entry(1))
    store.delete(make_entry(1).id)
    store.touch([(make_entry(1).id, 5.0, 3)])
    assert store.flush()
    assert not raw.exists(Keys.of(store.settings.name).entry(make_entry(1).id))
    assert list(store.load()) == []


def _corrupt(store: RedisBackend) -> None:
    """Three damaged entries, as a buggy or foreign peer might write them."""
    store.put(replace(make_entry(1), response="{not json"))
    store.put(replace(make_entry(2), vector=b"\x00" * 12))  # 3 floats, not 4
    store.put(replace(make_entry(3), created=math.nan))


def test_corrupt_entries_are_skipped_and_counted(
    opened: Callable[..., RedisBackend], raw: redis.Redis
) -> None:
    writer, reader = opened(), opened()
    mirror = Mirror(reader)
    _corrupt(writer)
    writer.put(make_entry(4))
    writer.put(make_entry(5))
    mirror.wait_for(lambda got: make_entry(5).id in got)
    assert set(mirror.entries) == {1004, 1005}  # none of the damaged ones came through
    assert reader.stats.corrupt_entries == 3
    raw.hdel(Keys.of(writer.settings.name).entry(1005), "query")  # damaged at rest
    fresh = opened()
    assert [e.id for e in fresh.load()] == [1004]
    assert fresh.stats.corrupt_entries == 4


def test_a_cache_over_a_store_with_corrupt_entries_serves_the_sound_ones(
    url: str, raw: redis.Redis
) -> None:
    encoder = FakeEncoder(dim=4)
    writer = RedisBackend(url)
    first = SemanticCache(writer, encoder=encoder)
    first.put("sound question", "sound answer")
    writer.put(replace(make_entry(7), response="[broken"))
    first.close()
    store = RedisBackend(url)
    cache = SemanticCache(store, encoder=encoder)
    assert len(cache) == 1
    hit = cache.get("sound question")
    assert hit is not None and hit.response == "sound answer"
    assert cache.get("query 7") is None
    assert store.stats.corrupt_entries == 1
    cache.close()


def test_a_reader_behind_the_trimmed_log_resyncs_without_deleted_entries(
    opened: Callable[..., RedisBackend], raw: redis.Redis
) -> None:
    writer = opened(log_max=10)
    reader = opened(log_max=10)  # stops reading after 10 unpolled changes
    mirror = Mirror(reader)
    early = [make_entry(i) for i in range(50)]
    for entry in early:
        writer.put(entry)
    for entry in early[:40]:
        writer.delete(entry.id)
    late = [make_entry(i, "late") for i in range(100, 2100)]  # past one 512-change read
    for entry in late:
        writer.put(entry)
    assert writer.flush()
    assert raw.xlen(Keys.of(writer.settings.name).log) < 500  # trimmed
    expected = {e.id for e in early[40:]} | {e.id for e in late}
    mirror.wait_for(lambda got: set(got) == expected)
    assert reader.stats.resyncs >= 1
    assert "clear" in mirror.kinds


def test_a_flushed_store_resyncs_and_is_recreated(
    opened: Callable[..., RedisBackend], raw: redis.Redis
) -> None:
    writer, reader = opened(), opened()
    mirror = Mirror(reader)
    writer.put(make_entry(1))
    mirror.wait_for(lambda got: make_entry(1).id in got)
    raw.flushdb()
    mirror.wait_for(lambda got: not got)  # the reset reaches the reader as a clear
    assert reader.stats.resyncs >= 1
    writer.put(make_entry(2))
    mirror.wait_for(lambda got: set(got) == {make_entry(2).id})
    assert raw.hget(Keys.of(writer.settings.name).meta, "model_id") == b"m"
    with pytest.raises(ConfigError):
        bind_once(writer.url, "other")


def test_expired_entry_is_dropped_from_the_namespace_index(
    opened: Callable[..., RedisBackend], raw: redis.Redis, tmp_path: Path
) -> None:
    store = opened(expire_grace=0.001)
    store.put(make_entry(1, expires=time.time() - 10))
    assert store.flush()
    keys = Keys.of(store.settings.name)
    deadline = time.monotonic() + WAIT_S
    while raw.exists(keys.entry(make_entry(1).id)):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert list(store.load()) == []
    assert raw.smembers(keys.namespace("ns")) == set()
    assert math.isfinite(store.stats.lag_s)


@pytest.mark.parametrize(
    ("packed", "expected"),
    [
        (b"1:a0:-3:xyz", [b"a", b"", None, b"xyz"]),
        (b"5:a:b:c-2:\x00\x011:-", [b"a:b:c", None, b"\x00\x01", b"-"]),
        (b"2:a", None),  # truncated
        (b"1:ab", None),  # trailing bytes
        (b"x:a", None),  # not a length
        (b"1:a1:b", None),  # a field short
    ],
)
def test_packed_fields_split_exactly_or_not_at_all(
    packed: bytes, expected: list[bytes | None] | None
) -> None:
    from semroute.backends._redis_codec import split_fields

    assert split_fields(packed, 4) == expected


# -- report_wrong blocks: in Redis, and on the change feed -------------------------------


def test_blocks_reach_other_processes_and_go_with_delete_namespace_and_clear(
    opened: Callable[..., RedisBackend],
) -> None:
    writer, reader = opened(), opened()
    mirror = Mirror(reader)
    writer.block("a", "best pasta in town", "best pizza in town")
    writer.block("b", "q", "m")
    writer.put(make_entry(1, "a"))
    mirror.wait_for(lambda got: make_entry(1).id in got)
    assert mirror.blocks == {("a", "best pasta in town", "best pizza in town"), ("b", "q", "m")}
    writer.delete_namespace("a")
    writer.put(make_entry(2, "b"))
    mirror.wait_for(lambda got: set(got) == {make_entry(2).id})
    assert mirror.blocks == {("b", "q", "m")}
    writer.clear()
    writer.put(make_entry(3, "c"))
    mirror.wait_for(lambda got: set(got) == {make_entry(3).id})
    assert mirror.blocks == set()
    assert writer.flush()
    kinds = ["block", "block", "put", "delete_namespace", "put", "clear", "put"]
    assert [c.kind for c in own_changes(writer, 7)] == kinds  # in Redis order, own too


def test_a_resync_reports_the_stores_blocks(
    opened: Callable[..., RedisBackend], raw: redis.Redis
) -> None:
    writer = opened(log_max=10)
    reader = opened(log_max=10)  # stops reading after 10 unpolled changes
    mirror = Mirror(reader)
    writer.block("ns", "q", "m")
    entries = [make_entry(i) for i in range(1000)]
    for entry in entries:
        writer.put(entry)
    assert writer.flush()
    mirror.wait_for(lambda got: len(got) == len(entries))
    assert reader.stats.resyncs >= 1 and "clear" in mirror.kinds
    # The resync's clear dropped what the mirror had; the snapshot brought the block back.
    assert mirror.blocks == {("ns", "q", "m")}


def test_a_version_1_store_is_upgraded_only_for_its_encoder(url: str, raw: redis.Redis) -> None:
    keys = Keys.of(RedisBackend(url).settings.name)
    old = {"format": "semroute-cache", "schema_version": "1", "dim": "4", "epoch": "e1"}
    raw.hset(keys.meta, mapping={**old, "model_id": "other"})
    with pytest.raises(ConfigError, match="encoder"):
        bind_once(url)
    assert raw.hget(keys.meta, "schema_version") == b"1"  # refused: untouched
    raw.hset(keys.meta, "model_id", "m")
    store = RedisBackend(url)
    store.bind(model_id="m", dim=4)
    assert raw.hget(keys.meta, "schema_version") == b"2"
    assert raw.hget(keys.meta, "epoch") == b"e1"  # the same store, not a new one
    store.block("ns", "q", "m")
    assert list(store.load_blocks()) == [("ns", "q", "m")]
    store.close()


def test_damaged_blocks_are_skipped_and_counted(
    opened: Callable[..., RedisBackend], raw: redis.Redis
) -> None:
    store = opened()
    keys = Keys.of(store.settings.name)
    store.block("ns", "q", "m")
    assert store.flush()
    raw.sadd(keys.blocks("ns"), b"not json", b'["one"]', b"[1, 2]")
    assert list(opened().load_blocks()) == [("ns", "q", "m")]
    fresh = opened()
    assert list(fresh.load_blocks("ns")) == [("ns", "q", "m")]
    assert fresh.stats.corrupt_entries == 3


DIM = 64


def _unit(axis: int) -> npt.NDArray[np.float32]:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[axis] = 1.0
    return vector


def _at(sim: float, axis: int) -> npt.NDArray[np.float32]:
    return (sim * _unit(0) + np.sqrt(1.0 - sim * sim) * _unit(axis)).astype(np.float32)


def _eventually(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert time.monotonic() < deadline, "never converged"
        time.sleep(0.005)


PIZZA, PASTA = "best pizza in town", "best pasta in town"


def _put_again_and_wait(writer: SemanticCache, reader: SemanticCache, answer: str) -> None:
    """``writer`` stores the pizza entry again; return once ``reader`` has it. The log is
    ordered, so by then ``reader`` has applied every change made before the put."""
    writer.put("Best pizza in town!", answer, namespace="x", embedding=_unit(0))

    def arrived() -> bool:
        hit = reader.get(PIZZA, namespace="x")
        return hit is not None and hit.response == answer

    _eventually(arrived)


def test_a_block_made_by_one_cache_is_honoured_by_another_already_open(url: str) -> None:
    a = SemanticCache(RedisBackend(url), encoder=FakeEncoder(DIM))
    b = SemanticCache(RedisBackend(url), encoder=FakeEncoder(DIM))
    a.put(PIZZA, "Luigi's", namespace="x", embedding=_unit(0))
    _eventually(lambda: b.get(PASTA, namespace="x", embedding=_at(0.97, 1)) is not None)
    assert a.report_wrong(PASTA, namespace="x", embedding=_at(0.97, 1)) is not None
    _put_again_and_wait(a, b, "again")
    assert b.get(PASTA, namespace="x", embedding=_at(0.97, 1)) is None
    assert b.stats.reported_refusals == 1
    # invalidate drops the namespace's blocks in every process, not just the caller's.
    a.invalidate(namespace="x")
    _put_again_and_wait(a, b, "after invalidate")
    assert b.get(PASTA, namespace="x", embedding=_at(0.97, 1)) is not None
    a.close()
    b.close()


REPORTER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from semroute.cache.cache import SemanticCache
    from tests.fakes import FakeEncoder
    query = np.zeros(64, dtype=np.float32)
    query[0], query[1] = 0.97, np.sqrt(1 - 0.97**2)
    cache = SemanticCache(sys.argv[1], encoder=FakeEncoder(64))
    hit = cache.report_wrong("best pasta in town", namespace="x", embedding=query)
    print(hit.matched_query if hit is not None else "no hit", flush=True)
    cache.close()  # sends the queued writes
    """
)


def test_a_block_made_in_another_process_reaches_an_open_cache(url: str) -> None:
    a = SemanticCache(RedisBackend(url), encoder=FakeEncoder(DIM))
    a.put(PIZZA, "Luigi's", namespace="x", embedding=_unit(0))
    assert a._backend is not None and a._backend.flush()  # type: ignore[attr-defined]
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", REPORTER, url],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == PIZZA
    b = SemanticCache(RedisBackend(url), encoder=FakeEncoder(DIM))  # opened after: loads it
    _put_again_and_wait(b, a, "again")
    assert a.get(PASTA, namespace="x", embedding=_at(0.97, 1)) is None
    assert b.get(PASTA, namespace="x", embedding=_at(0.97, 1)) is None
    assert a.stats.reported_refusals == b.stats.reported_refusals == 1
    a.close()
    b.close()


# -- #12 point 7: input Redis cannot store never reaches the queue --------------------------


def test_a_namespace_with_a_lone_surrogate_is_refused_before_anything_is_queued(
    url: str, opened: Callable[..., RedisBackend]
) -> None:
    store = opened()
    with pytest.raises(InputError):
        store.put(make_entry(1, "bad \ud800 namespace"))
    cache = SemanticCache(RedisBackend(url), encoder=FakeEncoder(dim=4, model_id="m"))
    calls: list[str] = []
    for call in (
        lambda: cache.put("q", "a", namespace="\udc80"),
        lambda: cache.get("q", namespace="\udc80"),
        lambda: cache.get_or_call("q", lambda q: calls.append(q) or "a", namespace="\udc80"),
        lambda: cache.invalidate(namespace="\udc80"),
    ):
        with pytest.raises(InputError):
            call()
    assert calls == []  # refused before fn ran
    with pytest.raises(ConfigError):
        SemanticCache(encoder=FakeEncoder(), namespace="\ud800")
    # Later writes of both are not stuck behind a write that can never be sent.
    store.put(make_entry(2))
    cache.put("a later question", "sent")
    assert store.flush(timeout=WAIT_S)
    assert cache._backend.flush(timeout=WAIT_S)  # type: ignore[union-attr]
    assert store.stats.pending_writes == 0 and store.stats.dropped_writes == 0
    cache.close()


def test_a_remote_entry_too_deep_to_decode_is_skipped_and_counted_not_raised(
    url: str, opened: Callable[..., RedisBackend]
) -> None:
    reader_store = RedisBackend(url)
    reader = SemanticCache(reader_store, encoder=FakeEncoder(dim=4, model_id="m"))
    writer = opened()
    deep = replace(make_entry(1), response="[" * 100_000 + "]" * 100_000)  # valid, too deep
    writer.put(make_entry(0))
    writer.put(deep)  # another (older) process wrote it: the backend does not parse answers
    writer.put(make_entry(2))
    assert writer.flush()
    deadline = time.monotonic() + WAIT_S
    while (
        reader.get("query 2", namespace="ns", embedding=np.ones(4)) is None
    ):  # the batch's rest arrives
        assert time.monotonic() < deadline, reader_store.stats
        time.sleep(0.01)
    assert (
        reader.get("query 1", namespace="ns", embedding=np.ones(4)) is None
    )  # never served, never raised
    hit = reader.get("query 0", namespace="ns", embedding=np.ones(4))
    assert hit is not None and hit.response == "answer 0"
    assert reader_store.stats.corrupt_entries >= 1
    # A fresh open (snapshot) skips it the same way.
    again = SemanticCache(RedisBackend(url), encoder=FakeEncoder(dim=4, model_id="m"))
    assert len(again) == 2
    again.close()
    reader.close()


def test_ttl_is_checked_once_for_every_backend_and_a_huge_expiry_never_breaks_redis(
    url: str, opened: Callable[..., RedisBackend], raw: redis.Redis
) -> None:
    cache = SemanticCache(RedisBackend(url), encoder=FakeEncoder(dim=4, model_id="m"))
    for ttl in (9.2e15, 1e308, MAX_TTL_S * 1.01, -1, math.nan):
        with pytest.raises(InputError):
            cache.put("q", "a", ttl=ttl)
        with pytest.raises(InputError):
            cache.get_or_call("q", lambda q: "a", ttl=ttl)
    with pytest.raises(ConfigError):
        SemanticCache(encoder=FakeEncoder(), ttl=1e308)
    cache.put("longest ttl", "kept", ttl=MAX_TTL_S)
    assert cache._backend.flush(timeout=WAIT_S)  # type: ignore[union-attr]
    cache.close()
    # An entry handed to the backend directly with an expiry Redis cannot hold is
    # stored without one, with its change record, instead of failing half-way.
    writer, reader = opened(), opened()
    mirror = Mirror(reader)
    far = replace(make_entry(5), expires=9.2e15)
    writer.put(far)
    assert writer.flush()
    mirror.wait_for(lambda got: far.id in got)
    assert raw.pttl(Keys.of(writer.settings.name).entry(far.id)) == -1
    assert writer.stats.dropped_writes == 0


# -- #12 point 6: Redis down at open degrades, it never takes the application down ---------


def test_a_cache_opened_while_redis_is_down_serves_calls_then_catches_up(
    tmp_path: Path,
) -> None:
    server = RedisServer(tmp_path / "late")  # its port is reserved, the server not started
    url = server.url("late")
    store = RedisBackend(url, connect_timeout=0.2, socket_timeout=0.2)
    cache = SemanticCache(store, encoder=FakeEncoder())  # no BackendError
    calls: list[str] = []

    def llm(query: str) -> str:
        calls.append(query)
        return f"answer to {query}"

    assert cache.get_or_call("written while down", llm) == "answer to written while down"
    assert cache.get_or_call("Written while down?", llm) == "answer to written while down"
    assert calls == ["written while down"]  # answered from the local mirror the second time
    assert store.stats.degraded_opens == 1 and not store.stats.connected
    assert store.stats.pending_writes >= 1
    server.start()
    try:
        other_store = RedisBackend(url)
        other = SemanticCache(other_store, encoder=FakeEncoder())
        other.put("written by another process", "theirs")
        assert other_store.flush(timeout=WAIT_S)
        assert store.flush(timeout=WAIT_S)  # the queued writes reached Redis
        deadline = time.monotonic() + WAIT_S
        while cache.get("written by another process") is None:  # caught up in the background
            assert time.monotonic() < deadline, store.stats
            time.sleep(0.01)
        assert cache.get("written while down") is not None  # its own write survived the resync
        while other.get("written while down") is None:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        stats = store.stats
        assert stats.connected and stats.resyncs >= 1 and stats.dropped_writes == 0
        other.close()
        cache.close()
    finally:
        server.stop()


def test_strict_refuses_to_open_without_redis() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(BackendError):
        SemanticCache(RedisBackend(url, strict=True, connect_timeout=0.2), encoder=FakeEncoder())
    with pytest.raises(BackendError):
        SemanticCache(url + "?strict=1", encoder=FakeEncoder())
    with pytest.raises(ConfigError):
        RedisBackend(url + "?strict=maybe")


def test_a_foreign_store_found_after_the_outage_is_never_written(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "foreign", durable=True)
    url = server.url("shared-name")
    server.start()
    bind_once(url, model_id="another-encoder")  # dim 4, another encoder: refused below
    server.stop()
    store = RedisBackend(url, connect_timeout=0.2, socket_timeout=0.2, close_timeout=0.5)
    cache = SemanticCache(store, encoder=FakeEncoder())
    cache.put("queued while down", "mine")
    server.start()  # replays its append-only file: the foreign store is back
    try:
        deadline = time.monotonic() + WAIT_S
        while "another-encoder" not in str(store.stats.last_error):
            assert time.monotonic() < deadline, store.stats
            time.sleep(0.01)
        assert cache.get("queued while down") is not None  # still serving its mirror
        cache.put("after the refusal", "mine too")  # never raises
        assert store.stats.dropped_writes >= 2
        probe = RedisBackend(url)
        probe.bind(model_id="another-encoder", dim=4)
        assert list(probe.load()) == []  # nothing of this process reached the foreign store
        probe.close()
        cache.close()
    finally:
        server.stop()
