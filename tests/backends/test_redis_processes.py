"""One cache shared by several processes through a real ``redis-server``.

Each worker process opens its own ``SemanticCache`` over its own
``RedisBackend``, exactly as separate workers on separate hosts would. They
start from a fork server with semroute already imported (never forked from
this process, whose backends run threads), which keeps the suite fast.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from semroute.backends import Change
from semroute.backends.redis import RedisBackend
from semroute.cache.cache import SemanticCache
from semroute.cache.config import IndexConfig
from tests.backends.redis_server import CLIENT_MISSING, RedisServer, requires_redis, running_server
from tests.fakes import FakeEncoder

pytestmark = requires_redis
pytest.importorskip("redis", reason=CLIENT_MISSING)

WAIT_S = 20.0  # eventual consistency on a loaded 2-core VM; never a timing assertion
WORKERS = 4
PER_WORKER = 40
# The catch-up test is about the snapshot, not the graph: exact search skips the build.
EXACT = IndexConfig(brute_force_below=20_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    yield from running_server(tmp_path_factory.mktemp("redis-procs"))


class CountingBackend(RedisBackend):
    """The real backend, counting whether the cache ever asks for remote changes."""

    polls = 0

    def poll(self) -> Sequence[Change]:
        self.polls += 1
        return super().poll()


def shared_query(worker: int, k: int) -> str:
    return f"shared question w{worker}k{k}"


def check_view(cache: SemanticCache) -> dict[str, Any]:
    """What one process sees: shared entries of every worker, and each tenant's own secret."""
    shared = sum(
        1
        for w in range(WORKERS)
        for k in range(PER_WORKER)
        if (hit := cache.get(shared_query(w, k), namespace="shared")) is not None
        and hit.response == f"answer {w}-{k}"
    )
    secrets = [
        None if (hit := cache.get("what is the secret", namespace=f"tenant-{j}")) is None
        else hit.response
        for j in range(WORKERS)
    ]  # fmt: skip
    leaked = cache.get("what is the secret", namespace="shared")
    return {"shared": shared, "secrets": secrets, "leaked": leaked is not None}


def converged(view: dict[str, Any]) -> bool:
    """Every worker's shared entries and every tenant's secret are visible."""
    return view["shared"] == WORKERS * PER_WORKER and view["secrets"] == [
        f"secret {j}" for j in range(WORKERS)
    ]


def worker(url: str, index: int, barrier: Any, out: Any, live: bool) -> None:
    store = CountingBackend(url)
    cache = SemanticCache(store, encoder=FakeEncoder())
    for k in range(PER_WORKER):
        cache.put(shared_query(index, k), f"answer {index}-{k}", namespace="shared")
    cache.put("what is the secret", f"secret {index}", namespace=f"tenant-{index}")
    assert store.flush()
    barrier.wait(WAIT_S * 3)
    if live:
        # The same cache, kept current by the change log, must converge.
        deadline = time.monotonic() + WAIT_S
        view = check_view(cache)
        while not converged(view) and time.monotonic() < deadline:
            time.sleep(0.01)
            view = check_view(cache)
    else:
        fresh = SemanticCache(RedisBackend(url), encoder=FakeEncoder())
        view = check_view(fresh)
        fresh.close()
    view["index"], view["polls"] = index, store.polls
    cache.close()
    out.put(view)


def processes() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    return ctx


def run_workers(url: str, *, live: bool) -> list[dict[str, Any]]:
    ctx = processes()
    barrier, out = ctx.Barrier(WORKERS), ctx.Queue()
    procs = [ctx.Process(target=worker, args=(url, i, barrier, out, live)) for i in range(WORKERS)]
    for proc in procs:
        proc.start()
    try:
        views = [out.get(timeout=WAIT_S * 4) for _ in procs]
    finally:
        for proc in procs:
            proc.join(WAIT_S)
            if proc.is_alive():
                proc.kill()
    assert all(proc.exitcode == 0 for proc in procs)
    return sorted(views, key=lambda v: v["index"])


def assert_views(views: list[dict[str, Any]]) -> None:
    for view in views:
        assert view["shared"] == WORKERS * PER_WORKER, view
        # Each tenant namespace answers with its own secret, never another one's.
        assert view["secrets"] == [f"secret {j}" for j in range(WORKERS)], view
        assert not view["leaked"], view


def test_four_processes_share_one_cache_from_the_snapshot(server: RedisServer) -> None:
    assert_views(run_workers(server.url(f"snap-{uuid.uuid4().hex[:8]}"), live=False))


def test_four_processes_see_each_others_writes_live(server: RedisServer) -> None:
    views = run_workers(server.url(f"live-{uuid.uuid4().hex[:8]}"), live=True)
    # Every process read the change log: convergence came from following it.
    assert all(view["polls"] > 0 for view in views), views
    assert_views(views)


def test_redis_killed_and_restarted_mid_run_loses_no_acknowledged_entry(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "durable", durable=True)  # appendonly, fsync always
    server.start()
    try:
        url = server.url("crash")
        store = RedisBackend(url, socket_timeout=0.2, connect_timeout=0.2)
        cache = SemanticCache(store, encoder=FakeEncoder())
        for i in range(100):
            cache.put(f"before crash {i}", i)
        assert store.flush()  # acknowledged: Redis fsynced every one of them
        server.kill()
        for i in range(100):
            cache.put(f"during outage {i}", -i)  # never raises
        assert cache.get_or_call("a brand new question", lambda q: "fresh") == "fresh"

        async def llm(query: str) -> str:
            return "async fresh"

        # No Redis I/O on the event loop: writes are queued, remote changes read by a thread.
        assert asyncio.run(cache.aget_or_call("an async question", llm)) == "async fresh"
        hits = [cache.get(f"before crash {i}") for i in range(100)]
        assert all(h is not None and h.response == i for i, h in enumerate(hits))
        assert store.stats.pending_writes > 0
        server.start()  # same port and directory: Redis replays its append-only file
        assert store.flush(timeout=WAIT_S)
        stats = store.stats
        assert stats.dropped_writes == 0 and stats.errors > 0 and stats.pending_writes == 0
        reopened = RedisBackend(url)
        reopened.bind(model_id=FakeEncoder().model_id, dim=FakeEncoder().dim)
        stored = {e.query: e.response for e in reopened.load()}
        assert all(stored[f"before crash {i}"] == str(i) for i in range(100))
        assert all(stored[f"during outage {i}"] == str(-i) for i in range(100))
        assert stored["a brand new question"] == '"fresh"'
        assert stored["an async question"] == '"async fresh"'
        reopened.close()
        cache.close()
    finally:
        server.stop()


def late_starter(url: str, queries: list[str], out: Any) -> None:
    started = time.perf_counter()
    cache = SemanticCache(RedisBackend(url), encoder=FakeEncoder(), index=EXACT)
    loaded_s = time.perf_counter() - started
    hits = sum(1 for q in queries if cache.get(q) is not None)
    out.put({"entries": len(cache), "hits": hits, "loaded_s": loaded_s})
    cache.close()


def test_a_process_started_after_10k_writes_catches_up_from_the_snapshot(
    server: RedisServer,
) -> None:
    url = server.url(f"late-{uuid.uuid4().hex[:8]}")
    store = RedisBackend(url)
    encoder = FakeEncoder()
    cache = SemanticCache(store, encoder=encoder, max_entries=None, index=EXACT)
    # Random unit vectors instead of embedding 10k texts: lookups below are exact repeats.
    vectors = np.random.default_rng(7).standard_normal((10_000, encoder.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for i in range(10_000):
        cache.put(f"early question n{i}", i, embedding=vectors[i])
    for i in range(0, 10_000, 10):
        cache.delete(f"early question n{i}")
    assert store.flush(timeout=WAIT_S)
    cache.close()
    ctx = processes()
    out = ctx.Queue()
    sample = [f"early question n{i}" for i in range(1, 10_000, 37) if i % 10]
    gone = [f"early question n{i}" for i in range(0, 10_000, 370)]
    proc = ctx.Process(target=late_starter, args=(url, sample + gone, out))
    proc.start()
    report = out.get(timeout=WAIT_S * 4)
    proc.join(WAIT_S)
    assert proc.exitcode == 0
    assert report["entries"] == 9_000
    assert report["hits"] == len(sample)  # every live one, none of the deleted


def test_eviction_by_one_process_removes_the_entries_everywhere(server: RedisServer) -> None:
    url = server.url(f"cap-{uuid.uuid4().hex[:8]}")
    store = RedisBackend(url)
    cache = SemanticCache(store, encoder=FakeEncoder(), max_entries=50)
    for i in range(80):
        cache.put(f"capped question n{i}", i)
        if i >= 40:
            cache.get("capped question n0")  # recently used: survives eviction
    assert store.flush()
    later = SemanticCache(RedisBackend(url), encoder=FakeEncoder(), max_entries=1000)
    assert len(later) == 50  # the 30 evicted entries left Redis, not only the writer's mirror
    assert later.get("capped question n0") is not None
    assert later.get("capped question n1") is None  # least recently used: evicted
    assert later.get("capped question n79") is not None
    later.close()
    cache.close()


def eventually(check: Any) -> bool:
    deadline = time.monotonic() + WAIT_S
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_invalidate_report_wrong_and_caps_apply_cluster_wide(server: RedisServer) -> None:
    url = server.url(f"wide-{uuid.uuid4().hex[:8]}")
    first, second = CountingBackend(url), CountingBackend(url)
    a = SemanticCache(first, encoder=FakeEncoder(), max_entries=30)
    b = SemanticCache(second, encoder=FakeEncoder(), max_entries=30)
    a.put("shipping cost to France", "5 EUR", namespace="x")
    a.put("shipping cost to France", "7 EUR", namespace="y")
    a.put("is the shop open on sunday", "yes", namespace="x")
    assert eventually(lambda: b.get("is the shop open on sunday", namespace="x") is not None)
    assert second.polls > 0  # b's follower read the change log
    b.invalidate(namespace="y")
    assert b.report_wrong("is the shop open on sunday", namespace="x") is not None
    assert eventually(lambda: a.get("shipping cost to France", namespace="y") is None)
    assert eventually(lambda: a.get("is the shop open on sunday", namespace="x") is None)
    hit = a.get("shipping cost to France", namespace="x")
    assert hit is not None and hit.response == "5 EUR"  # another namespace: untouched
    for i in range(25):
        a.put(f"from a n{i}", i)
        b.put(f"from b n{i}", i)
    assert eventually(lambda: a.get("from b n24") is not None)
    a.put("one more from a", "last")  # a's mirror holds everything: a evicts down to its cap
    assert first.flush() and second.flush()
    check = RedisBackend(url)
    check.bind(model_id=FakeEncoder().model_id, dim=FakeEncoder().dim)
    stored = len(list(check.load()))
    # Never above the cap once writers are quiet; two writers evicting at the same moment
    # may each pick a victim for one overflow, so the store can end a little below it.
    assert 25 <= stored <= 30, stored
    # A lookup applies pending remote changes; len() alone does not.
    assert eventually(lambda: b.get("from a n0") is None and len(b) == stored)
    check.close()
    a.close()
    b.close()


def test_a_cache_behind_the_trimmed_log_resyncs_and_never_serves_deleted_entries(
    server: RedisServer,
) -> None:
    url = server.url(f"behind-{uuid.uuid4().hex[:8]}")
    writer = RedisBackend(url, log_max=10)
    reader_store = CountingBackend(url, log_max=10)
    a = SemanticCache(writer, encoder=FakeEncoder(), index=EXACT)
    b = SemanticCache(reader_store, encoder=FakeEncoder(), index=EXACT)
    a.put("first question", "kept")
    a.put("second question", "deleted later")
    assert eventually(lambda: b.get("second question") is not None)
    assert reader_store.polls > 0  # b's follower read the change log
    a.delete("second question")
    # The log, trimmed to ~10 (whole 100-entry nodes), moves past b's follower, which
    # reads at most 512 changes per step and applies them before reading on.
    for i in range(2000):
        a.put(f"filler question n{i}", i)
    assert writer.flush()
    # A resync is applied in slices (never one long stall): wait for the last one.
    assert eventually(
        lambda: (
            len(b) == 2001
            and b.get("filler question n1999") is not None
            and getattr(b.get("first question"), "response", None) == "kept"
        )
    )
    assert reader_store.stats.resyncs >= 1
    assert b.get("second question") is None  # deleted while b was behind: never served
    a.close()
    b.close()


SAME = 300  # queries both processes put, each with its own answer


def same_query_writer(url: str, index: int, barrier: Any, out: Any) -> None:
    """Put the same questions as the peer, at the same time; report what this process serves."""
    store = RedisBackend(url)
    cache = SemanticCache(store, encoder=FakeEncoder())
    barrier.wait(WAIT_S * 3)
    for k in range(SAME):
        cache.put(f"same question n{k}", f"answer from {index}")
        cache.put(f"own question w{index}n{k}", index)
    assert store.flush(timeout=WAIT_S)
    barrier.wait(WAIT_S * 3)
    # Both flushed before either writes its marker: once a process serves the peer's
    # marker it has applied every write of both (the log is read in order).
    cache.put(f"done marker w{index}", True)
    assert store.flush(timeout=WAIT_S)
    peer = f"done marker w{1 - index}"
    deadline = time.monotonic() + WAIT_S * 2
    while cache.get(peer) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    view = {k: getattr(cache.get(f"same question n{k}"), "response", None) for k in range(SAME)}
    own = [cache.get(f"own question w{w}n{k}") for w in (0, 1) for k in range(SAME)]
    out.put({"index": index, "view": view, "own": sum(h is not None for h in own)})
    cache.close()


def test_two_processes_putting_the_same_queries_end_with_the_same_answers(
    server: RedisServer,
) -> None:
    url = server.url(f"same-{uuid.uuid4().hex[:8]}")
    ctx = processes()
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=same_query_writer, args=(url, i, barrier, out)) for i in (0, 1)]
    for proc in procs:
        proc.start()
    try:
        reports = sorted((out.get(timeout=WAIT_S * 6) for _ in procs), key=lambda r: r["index"])
    finally:
        for proc in procs:
            proc.join(WAIT_S)
            if proc.is_alive():
                proc.kill()
    assert all(proc.exitcode == 0 for proc in procs)
    fresh_store = RedisBackend(url)
    fresh = SemanticCache(fresh_store, encoder=FakeEncoder())
    third = {k: getattr(fresh.get(f"same question n{k}"), "response", None) for k in range(SAME)}
    stored = len(list(fresh_store.load()))
    fresh.close()
    first, second = reports[0]["view"], reports[1]["view"]
    disagree = [k for k in range(SAME) if not first[k] == second[k] == third[k]]
    assert not disagree, f"{len(disagree)} of {SAME} answered differently, e.g. " + str(
        [(first[k], second[k], third[k]) for k in disagree[:3]]
    )
    assert all(first[k] in ("answer from 0", "answer from 1") for k in range(SAME))
    assert [r["own"] for r in reports] == [2 * SAME, 2 * SAME]
    assert stored == 3 * SAME + 2  # one entry per (namespace, question) in Redis
