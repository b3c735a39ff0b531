"""Redis backend figures: lookup and put latency, propagation, catch-up, memory.

Starts its own ``redis-server`` on a free loopback port (``--save ""``, no
AOF) in a temporary directory and stops it at the end. Vectors are random
unit float32 vectors of the real encoder's dim (384), responses 200 bytes:
the encoder is not what is measured here.

    python -m benchmarks.backends.bench_redis                  # full run (100k entries)
    python -m benchmarks.backends.bench_redis --entries 5000 --lookups 2000 --changes 100

Caveat: on a shared, noisy VM the tails (p99) move a lot between runs; the
propagation figures include the scheduling of two Python processes and the
two background threads per backend.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks._stamp import environment
from semroute import _text
from semroute._entry import Entry
from semroute.backends.redis import RedisBackend
from semroute.cache.cache import SemanticCache
from tests.backends.redis_server import RedisServer
from tests.fakes import FakeEncoder

redis = pytest.importorskip("redis", reason="the Redis benchmark needs semroute[redis]")
DIM = 384
RESPONSE = json.dumps("x" * 198)  # 200 bytes of JSON


def pct(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q))


def unit_vectors(n: int, seed: int) -> np.ndarray[Any, np.dtype[np.float32]]:
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def timed(calls: list[Callable[[], object]]) -> list[float]:
    out = []
    for call in calls:
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1e6)
    return out


def bench_lookup_and_put(url: str, n: int) -> list[tuple[str, float, float]]:
    """Per-call latency of get (exact, semantic) and put: embedded cache vs Redis-backed."""
    rows = []
    vectors = unit_vectors(n, 1)
    noise = unit_vectors(n, 2) * 0.05
    near = vectors + noise
    near /= np.linalg.norm(near, axis=1, keepdims=True)
    rng = np.random.default_rng(3)
    picks = rng.integers(0, n, size=min(n, 5000)).tolist()
    for label, backend in [("embedded", None), ("redis", RedisBackend(url, name="lookup"))]:
        cache = SemanticCache(backend, encoder=FakeEncoder(dim=DIM), max_entries=None)
        puts = timed(
            [
                lambda i=i, c=cache: c.put(f"stored question q{i}", "x" * 198, embedding=vectors[i])  # type: ignore[misc]
                for i in range(n)
            ]
        )
        if isinstance(backend, RedisBackend):
            assert backend.flush(600)
        cache._wait_index()
        exact = timed([lambda i=i, c=cache: c.get(f"stored question q{i}") for i in picks])  # type: ignore[misc]
        semantic = timed(
            [
                lambda i=i, c=cache: c.get(
                    f"stored question q{i}, in other words", embedding=near[i]
                )
                for i in picks
            ]  # type: ignore[misc]
        )
        assert (
            cache.get(f"stored question q{picks[0]}, in other words", embedding=near[picks[0]])
            is not None
        )
        rows += [
            (f"put, {label} (caller side)", pct(puts, 50), pct(puts, 99)),
            (f"get exact repeat, {label}", pct(exact, 50), pct(exact, 99)),
            (f"get semantic (embedding given), {label}", pct(semantic, 50), pct(semantic, 99)),
        ]
        cache.close()
    return rows


def bench_durable_put(url: str, n: int) -> tuple[str, float, float]:
    """put + flush: until Redis has acknowledged the write."""
    store = RedisBackend(url, name="durable")
    store.bind(model_id="fake", dim=DIM)
    vector = unit_vectors(1, 4)[0].astype("<f4").tobytes()

    def one(i: int) -> None:
        store.put(make_entry(i, vector))
        store.flush()

    samples = timed([lambda i=i: one(i) for i in range(n)])  # type: ignore[misc]
    store.close()
    return ("put + flush (acknowledged by Redis)", pct(samples, 50), pct(samples, 99))


def make_entry(i: int, vector: bytes, namespace: str = "bench", response: str = RESPONSE) -> Entry:
    query = f"benchmark question number {i}"
    now = time.time()
    return Entry(
        id=i + 1,
        namespace=namespace,
        query=query,
        norm=_text.normalize_query(query),
        key=_text.query_key(query),
        response=response,
        vector=vector,
        created=now,
        last_access=now,
    )


def _writer(url: str, name: str, n: int, interval: float, ready: Any, use_cache: bool) -> None:
    vectors = unit_vectors(n, 5)
    if use_cache:
        cache = SemanticCache(RedisBackend(url, name=name), encoder=FakeEncoder(dim=DIM))
        ready.wait()
        for i in range(n):
            cache.put(f"propagated question p{i}", {"t": time.time()}, embedding=vectors[i])
            time.sleep(interval)
        cache.close()
        return
    store = RedisBackend(url, name=name)
    store.bind(model_id=FakeEncoder(dim=DIM).model_id, dim=DIM)
    ready.wait()
    for i in range(n):
        vector = vectors[i].astype("<f4").tobytes()
        store.put(make_entry(i, vector, response=json.dumps({"t": time.time()})))
        time.sleep(interval)
    store.close()


def bench_propagation(url: str, n: int, *, use_cache: bool) -> tuple[str, float, float] | None:
    """Delay from put in one process to visible in another (same host clock)."""
    name = f"prop-{'cache' if use_cache else 'backend'}"
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    writer = ctx.Process(target=_writer, args=(url, name, n, 0.01, ready, use_cache))
    writer.start()
    delays: list[float] = []
    deadline = time.monotonic() + 60 + n * 0.05
    if use_cache:
        cache = SemanticCache(RedisBackend(url, name=name), encoder=FakeEncoder(dim=DIM))
        ready.set()
        k = 0
        while k < n and time.monotonic() < deadline:
            hit = cache.get(f"propagated question p{k}")  # exact path: no encoder
            if hit is None:
                time.sleep(0.0002)
                continue
            delays.append((time.time() - hit.response["t"]) * 1e3)
            k += 1
        cache.close()
    else:
        store = RedisBackend(url, name=name)
        store.bind(model_id=FakeEncoder(dim=DIM).model_id, dim=DIM)
        list(store.load())
        ready.set()
        while len(delays) < n and time.monotonic() < deadline:
            changes = store.poll()
            now = time.time()
            for change in changes:
                if change.kind == "put" and change.entry is not None:
                    delays.append((now - json.loads(change.entry.response)["t"]) * 1e3)
            time.sleep(0.0002)
        store.close()
    writer.join(60)
    if len(delays) < n:
        return None  # the cache does not follow the change log (see notes/redis.md)
    where = "SemanticCache.get hit" if use_cache else "backend.poll()"
    return (f"propagation put -> {where} in another process (ms)", pct(delays, 50), pct(delays, 99))


def bench_catch_up_and_memory(
    url: str, port: int, n: int, *, with_cache: bool = True
) -> list[tuple[str, float]]:
    raw = redis.Redis(host="127.0.0.1", port=port)
    raw.flushdb()
    before = int(raw.info("memory")["used_memory"])
    store = RedisBackend(url, name="catchup")
    store.bind(model_id=FakeEncoder(dim=DIM).model_id, dim=DIM)
    vectors = unit_vectors(n, 6)
    started = time.perf_counter()
    for i in range(n):
        store.put(make_entry(i, vectors[i].astype("<f4").tobytes()))
    assert store.flush(3600)
    write_s = time.perf_counter() - started
    store.close()
    after = int(raw.info("memory")["used_memory"])
    one_entry = int(raw.memory_usage("semroute:{catchup}:e:1", samples=0) or 0)
    log = int(raw.memory_usage("semroute:{catchup}:log", samples=0) or 0)
    fresh = RedisBackend(url, name="catchup")
    fresh.bind(model_id=FakeEncoder(dim=DIM).model_id, dim=DIM)
    started = time.perf_counter()
    loaded = len(list(fresh.load()))
    load_s = time.perf_counter() - started
    fresh.close()
    assert loaded == n
    rows = [
        (f"write {n} entries (queue drained into Redis), s", write_s),
        (f"backend.load() of {n} entries, s", load_s),
    ]
    if with_cache:
        started = time.perf_counter()
        cache = SemanticCache(RedisBackend(url, name="catchup"), encoder=FakeEncoder(dim=DIM))
        cache._wait_index()
        rows.append(
            (
                f"new SemanticCache catches up on {n} entries (load + index), s",
                time.perf_counter() - started,
            )
        )
        assert len(cache) == min(n, 100_000)
        cache.close()
    raw.close()
    return [
        *rows,
        ("Redis used_memory per entry (INFO memory delta / n), bytes", (after - before) / n),
        ("MEMORY USAGE of one entry hash, bytes", one_entry),
        (f"MEMORY USAGE of the change log ({n} changes, trimmed to ~100k), bytes", log),
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000, help="catch-up and memory")
    parser.add_argument("--lookups", type=int, default=10_000, help="entries for lookup/put")
    parser.add_argument("--changes", type=int, default=500, help="propagation samples")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--no-cache-catch-up",
        action="store_true",
        help="skip timing a new SemanticCache on the big store (its index build is slow)",
    )
    parser.add_argument("--only-catch-up", action="store_true", help="catch-up and memory only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp))
        server.start()
        try:
            url = server.url()
            latency = []
            if not args.only_catch_up:
                latency = bench_lookup_and_put(url, args.lookups)
                latency.append(bench_durable_put(url, min(args.lookups, 2000)))
                for use_cache in (False, True):
                    row = bench_propagation(url, args.changes, use_cache=use_cache)
                    if row is not None:
                        latency.append(row)
                    else:
                        print("propagation through SemanticCache: n/a (the cache does not poll)")
            totals = bench_catch_up_and_memory(
                url, server.port, args.entries, with_cache=not args.no_cache_catch_up
            )
            version = redis.Redis(port=server.port).info("server")["redis_version"]
        finally:
            server.stop()
    machine = f"{platform.machine()} {platform.processor() or ''}, Python {platform.python_version()}, redis-server {version}"
    print(f"machine: {machine}; {multiprocessing.cpu_count()} CPUs (shared, noisy)")
    print("| what | p50 µs (ms for propagation) | p99 |")
    print("|---|---:|---:|")
    for label, p50, p99 in latency:
        print(f"| {label} | {p50:.1f} | {p99:.1f} |")
    print("| what | value |")
    print("|---|---:|")
    for label, value in totals:
        print(f"| {label} | {value:,.1f} |")
    result = {
        "environment": environment(),
        "machine": machine,
        "latency": latency,
        "totals": totals,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return result


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not on PATH")
def test_bench_redis_smoke() -> None:
    result = main(["--entries", "300", "--lookups", "200", "--changes", "20"])
    assert len(result["totals"]) == 6 and statistics.fmean(r[1] for r in result["latency"]) > 0


if __name__ == "__main__":
    main()
