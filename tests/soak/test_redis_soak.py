"""Soak: a Redis-backed cache under threads, several processes, and Redis crashes.

Every figure a test measures (ops, restarts, losses, disagreements, max stall)
goes into ``FIGURES``; ``SEMROUTE_SOAK_RECORD=1`` writes them, with the commit,
date and versions, to ``benchmarks/results/soak_redis_<mode>.json`` (BENCHMARKS.md
quotes the long mode). Nothing here asserts a timing: stalls are measured.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import random
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from semroute._text import normalize_query
from semroute.backends.redis import RedisBackend
from semroute.cache.cache import SemanticCache
from semroute.cache.config import IndexConfig
from tests.backends.redis_server import (
    CLIENT_MISSING,
    REDIS_SERVER,
    RedisServer,
    requires_redis,
    running_server,
)
from tests.fakes import FakeEncoder
from tests.soak.conftest import LONG, scaled

pytestmark = requires_redis
redis = pytest.importorskip("redis", reason=CLIENT_MISSING)

WAIT_S = 60.0  # eventual consistency on a loaded 2-core VM; never a timing assertion
FIGURES: dict[str, dict[str, Any]] = {}
RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


@pytest.fixture(scope="module", autouse=True)
def record_figures() -> Iterator[None]:
    yield
    if os.environ.get("SEMROUTE_SOAK_RECORD") != "1" or not FIGURES:
        return
    root = RESULTS.parents[1]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    dirty = bool(
        subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    server = subprocess.run([str(REDIS_SERVER), "--version"], capture_output=True, text=True)
    mode = "long" if LONG else "quick"
    result = {
        "command": f"SEMROUTE_SOAK={mode} SEMROUTE_SOAK_RECORD=1 pytest tests/soak/test_redis_soak.py",
        "machine": f"{platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, redis-py {redis.__version__}, "
        f"{server.stdout.split(' sha=')[0].strip()}, shared 2-core VM",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "uncommitted_changes": dirty,
        "figures": FIGURES,
    }
    path = RESULTS / f"soak_redis_{mode}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")


def eventually(check: Callable[[], bool], wait: float = WAIT_S) -> bool:
    deadline = time.monotonic() + wait
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def tagged(namespace: str, query: str) -> str:
    """The only answer ever right for ``query`` in ``namespace``."""
    return f"{namespace}|{normalize_query(query)}"


def wrong_answer(hit: Any, namespace: str, query: str) -> bool:
    return hit is not None and hit.response != tagged(namespace, query)


# -- 32 threads x N mixed operations on one Redis-backed cache ------------------------------


def test_32_threads_of_mixed_operations_never_get_another_questions_answer(
    tmp_path: Path,
) -> None:
    threads, per_thread = 32, scaled(150, 5000)
    server = RedisServer(tmp_path / "threads")
    server.start()
    try:
        store = RedisBackend(server.url("threads"))
        cache = SemanticCache(store, encoder=FakeEncoder(), max_entries=2_000)
        namespaces = [f"tenant-{i}" for i in range(8)]
        wrong: list[tuple[str, str, object]] = []
        errors: list[BaseException] = []
        ops = {"get_or_call": 0, "get": 0, "put": 0, "delete": 0, "invalidate": 0}
        count_lock = threading.Lock()

        def run(seed: int) -> None:
            rng = random.Random(seed)
            done = dict.fromkeys(ops, 0)
            try:
                for _ in range(per_thread):
                    namespace = rng.choice(namespaces)
                    query = f"question number {rng.randrange(300)}"
                    roll = rng.random()
                    if roll < 0.5:
                        answer = cache.get_or_call(
                            query, lambda q, ns=namespace: tagged(ns, q), namespace=namespace
                        )
                        if answer != tagged(namespace, query):
                            wrong.append((namespace, query, answer))
                        done["get_or_call"] += 1
                    elif roll < 0.8:
                        hit = cache.get(query, namespace=namespace)
                        if wrong_answer(hit, namespace, query):
                            wrong.append((namespace, query, hit.response))  # type: ignore[union-attr]
                        done["get"] += 1
                    elif roll < 0.95:
                        cache.put(query, tagged(namespace, query), namespace=namespace)
                        done["put"] += 1
                    elif roll < 0.999:
                        cache.delete(query, namespace=namespace)
                        done["delete"] += 1
                    else:
                        cache.invalidate(namespace=namespace)
                        done["invalidate"] += 1
            except BaseException as exc:  # reported below, with the thread's seed
                errors.append(exc)
            with count_lock:
                for name, n in done.items():
                    ops[name] += n

        workers = [threading.Thread(target=run, args=(seed,)) for seed in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        seconds = time.perf_counter() - started
        assert not errors, errors[:3]
        assert store.flush(timeout=WAIT_S)
        fresh_store = RedisBackend(server.url("threads"))
        fresh_store.bind(model_id=FakeEncoder().model_id, dim=FakeEncoder().dim)
        stored = list(fresh_store.load())
        fresh_store.close()
        mislabelled = [e for e in stored if json.loads(e.response) != tagged(e.namespace, e.query)]
        keys = {(e.namespace, e.norm) for e in stored}
        FIGURES["threads"] = {
            "threads": threads,
            "ops": sum(ops.values()),
            "by_op": ops,
            "wrong_answers": len(wrong),
            "stored_entries": len(stored),
            "duplicate_keys_in_redis": len(stored) - len(keys),
            "seconds": round(seconds, 1),
        }
        assert not wrong, wrong[:3]
        assert not mislabelled, mislabelled[:3]
        assert len(keys) == len(stored)  # one entry per (namespace, question) in Redis
        cache.close()
    finally:
        server.stop()


# -- two processes on one store, then a third fresh one: they agree -------------------------


def agreeing_writer(url: str, index: int, rounds: int, barrier: Any, out: Any) -> None:
    """Write shared questions (the peer writes them too) and own ones, delete some, then
    report what this process serves once it has read everything both wrote."""
    store = RedisBackend(url)
    cache = SemanticCache(store, encoder=FakeEncoder(), max_entries=None)
    rng = random.Random(index)
    barrier.wait(WAIT_S)
    for r in range(rounds):
        k = rng.randrange(rounds // 2)
        cache.put(f"shared question {k}", f"from {index} round {r}")
        cache.put(f"question of w{index} n{r}", f"own {index}")
        if rng.random() < 0.1:
            cache.delete(f"shared question {rng.randrange(rounds // 2)}")
    assert store.flush(timeout=WAIT_S)
    barrier.wait(WAIT_S)
    cache.put(f"done marker {index}", True)
    # Served once this process applied the log up to the peer's marker, written after both
    # flushed: from then on it has applied every write of both.
    eventually(lambda: cache.get(f"done marker {1 - index}") is not None)
    out.put({"index": index, "view": view_of(cache, rounds)})
    cache.close()


def view_of(cache: SemanticCache, rounds: int) -> dict[str, Any]:
    queries = [f"shared question {k}" for k in range(rounds // 2)] + [
        f"question of w{w} n{r}" for w in (0, 1) for r in range(rounds)
    ]
    return {q: getattr(cache.get(q), "response", None) for q in queries}


def test_two_processes_writing_the_same_questions_and_a_third_fresh_one_agree(
    tmp_path: Path,
) -> None:
    rounds = scaled(400, 5000)
    gen = iter(running_server(tmp_path / "agree"))
    server = next(gen)
    try:
        url = server.url(f"agree-{uuid.uuid4().hex[:8]}")
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        barrier, out = ctx.Barrier(2), ctx.Queue()
        procs = [
            ctx.Process(target=agreeing_writer, args=(url, i, rounds, barrier, out)) for i in (0, 1)
        ]
        for proc in procs:
            proc.start()
        try:
            views = sorted((out.get(timeout=WAIT_S * 4) for _ in procs), key=lambda v: v["index"])
        finally:
            for proc in procs:
                proc.join(WAIT_S)
                if proc.is_alive():
                    proc.kill()
        assert all(proc.exitcode == 0 for proc in procs)
        third_store = RedisBackend(url)
        third = SemanticCache(third_store, encoder=FakeEncoder(), max_entries=None)
        fresh = view_of(third, rounds)
        stored = list(third_store.load())
        third.close()
        first, second = views[0]["view"], views[1]["view"]
        disagree = [q for q in fresh if not first[q] == second[q] == fresh[q]]
        lost_own = [q for q, answer in fresh.items() if "question of" in q and answer is None]
        keys = {(e.namespace, e.norm) for e in stored}
        FIGURES["processes"] = {
            "processes": 3,
            "writes": 2 * 2 * rounds,
            "questions": len(fresh),
            "disagreements": len(disagree),
            "own_questions_lost": len(lost_own),
            "duplicate_keys_in_redis": len(stored) - len(keys),
        }
        assert not disagree, [(q, first[q], second[q], fresh[q]) for q in disagree[:3]]
        assert not lost_own, lost_own[:3]
        assert len(keys) == len(stored)
    finally:
        next(gen, None)


# -- Redis down at open, then killed and restarted mid-traffic (AOF on) ---------------------


def test_redis_down_at_open_and_killed_mid_traffic_never_raises_nor_loses_a_write(
    tmp_path: Path,
) -> None:
    restarts, threads = scaled(2, 10), 8
    server = RedisServer(tmp_path / "crash", durable=True)  # appendonly, fsync always
    url = server.url("crash")
    store = RedisBackend(url, socket_timeout=0.3, connect_timeout=0.3)
    cache = SemanticCache(store, encoder=FakeEncoder(), max_entries=None)  # Redis is down
    stop = threading.Event()
    errors: list[BaseException] = []
    written: set[str] = set()
    stalls: list[float] = []
    ops = [0] * threads
    misses = [0] * threads  # a served write the mirror lacks: only during a resync

    def traffic(index: int) -> None:
        rng = random.Random(index)
        worst = 0.0
        try:
            n = 0
            while not stop.is_set():
                query = f"crash question w{index} n{n}"
                if rng.random() < 0.5 or n == 0:
                    started = time.perf_counter()
                    answer = cache.get_or_call(query, lambda q: tagged("default", q))
                    worst = max(worst, time.perf_counter() - started)
                    assert answer == tagged("default", query)
                    written.add(query)
                    n += 1
                else:
                    started = time.perf_counter()
                    asked = f"crash question w{index} n{rng.randrange(n)}"
                    hit = cache.get(asked)
                    worst = max(worst, time.perf_counter() - started)
                    assert not wrong_answer(hit, "default", asked)
                    misses[index] += hit is None
                ops[index] += 1
                time.sleep(0.005)
        except BaseException as exc:
            errors.append(exc)
        stalls.append(worst)

    workers = [threading.Thread(target=traffic, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(1.0)  # serving with Redis down at open
        server.start()
        assert eventually(lambda: store.stats.resyncs >= 1)  # the store checked and loaded
        for _ in range(restarts):
            time.sleep(1.0)
            server.kill()
            time.sleep(0.5)
            server.start()  # replays its append-only file
        time.sleep(1.0)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    try:
        assert not errors, errors[:3]
        assert store.flush(timeout=WAIT_S)
        check = RedisBackend(url)
        check.bind(model_id=FakeEncoder().model_id, dim=FakeEncoder().dim)
        stored = {e.query for e in check.load()}
        check.close()
        lost = written - stored
        stats = store.stats
        FIGURES["restarts"] = {
            "ops": sum(ops),
            "writes": len(written),
            "redis_kills": restarts,
            "down_at_open": True,
            "exceptions_to_callers": len(errors),
            "acknowledged_writes_lost": len(lost),
            "dropped_writes": stats.dropped_writes,
            "max_call_stall_ms": round(max(stalls) * 1000, 1),
            "misses_of_written_questions": sum(misses),
            "resyncs": stats.resyncs,
        }
        assert not lost, sorted(lost)[:5]
        assert stats.dropped_writes == 0
        cache.close()
    finally:
        server.stop()


# -- the catch-up after an outage runs beside lookups, not inside one -------------------------


def test_a_10k_entry_catch_up_is_applied_beside_lookups(tmp_path: Path) -> None:
    entries = scaled(10_000, 10_000)
    server = RedisServer(tmp_path / "catchup", durable=True)
    server.start()
    url = server.url("catchup")
    encoder = FakeEncoder()
    try:
        writer_store = RedisBackend(url)
        writer = SemanticCache(writer_store, encoder=encoder, max_entries=None)
        vectors = np.random.default_rng(3).standard_normal((entries, encoder.dim))
        vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
        for i in range(entries):
            writer.put(f"stored question n{i}", tagged("default", f"stored question n{i}"),
                       embedding=vectors[i])  # fmt: skip
        assert writer_store.flush(timeout=WAIT_S)
        writer.close()
        server.kill()
        store = RedisBackend(url, socket_timeout=0.3, connect_timeout=0.3)
        reader = SemanticCache(store, encoder=encoder, max_entries=None,
                               index=IndexConfig(brute_force_below=1_000))  # fmt: skip
        reader.put("asked while down", tagged("default", "asked while down"))
        server.start()
        lookups, worst, started = 0, 0.0, time.perf_counter()
        while len(reader) < entries + 1:
            assert time.perf_counter() - started < WAIT_S * 2, (len(reader), store.stats)
            before = time.perf_counter()
            hit = reader.get("asked while down")
            worst = max(worst, time.perf_counter() - before)
            assert hit is not None and not wrong_answer(hit, "default", "asked while down")
            lookups += 1
        caught_up_s = time.perf_counter() - started
        hit = reader.get(f"stored question n{entries - 1}", embedding=vectors[-1])
        assert hit is not None, (len(reader), store.stats, reader._follower.inbox)
        assert not wrong_answer(hit, "default", hit.matched_query)
        FIGURES["catch_up"] = {
            "entries": entries,
            "lookups_during_catch_up": lookups,
            "max_lookup_stall_ms": round(worst * 1000, 1),
            "catch_up_s": round(caught_up_s, 1),
        }
        reader.close()
    finally:
        server.stop()
