"""32 threads of mixed operations on one cache, memory and SQLite: never another's answer.

Every stored response carries the namespace it was stored for and the query it answers;
every response served (by ``get``, ``get_or_call`` or ``serve``) must carry the namespace
asked. Queries of one namespace differ from another's only by the namespace, so a
cross-namespace hit would be a cosine-1.0 match and could not hide. After the run the
cache's bookkeeping must agree with itself, and the SQLite file, reopened, must hold the
same entries. Sizes: ``scaled(quick, long)`` operations per thread.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import pytest

from semroute.cache.cache import SemanticCache
from semroute.cache.config import IndexConfig
from tests.fakes import FakeEncoder
from tests.soak.conftest import scaled

THREADS = 32
OPS = scaled(150, 5000)
NAMESPACES = ["tenant-a", "tenant-b", "tenant-c", "tenant-d"]
WORDS = [f"w{i}" for i in range(24)]


def _answer(ns: str, query: str) -> dict[str, str]:
    return {"ns": ns, "q": query}


def _check(ns: str, response: Any, failures: list[str]) -> None:
    if not (isinstance(response, dict) and response.get("ns") == ns):
        failures.append(f"namespace {ns!r} served {response!r}")


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_32_threads_of_mixed_ops_never_serve_another_namespaces_answer(
    tmp_path: Path, backend: str
) -> None:
    target = None if backend == "memory" else str(tmp_path / "soak.db")
    cache = SemanticCache(
        target,
        encoder=FakeEncoder(),
        max_entries=400,
        index=IndexConfig(brute_force_below=64),
    )
    failures: list[str] = []
    errors: list[BaseException] = []
    counts: dict[str, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        done: dict[str, int] = {}
        barrier.wait()
        try:
            for _ in range(OPS):
                ns = rng.choice(NAMESPACES)
                query = " ".join(rng.sample(WORDS, 3)) + rng.choice(["", "?", "!", " please"])
                op = rng.random()
                if op < 0.25:
                    cache.put(query, _answer(ns, query), namespace=ns)
                    name = "put"
                elif op < 0.55:
                    hit = cache.get(query, namespace=ns, threshold=0.9)
                    if hit is not None:
                        _check(ns, hit.response, failures)
                    name = "get"
                elif op < 0.75:
                    _check(
                        ns,
                        cache.get_or_call(query, lambda q, ns=ns: _answer(ns, q), namespace=ns),
                        failures,
                    )
                    name = "get_or_call"
                elif op < 0.9:
                    served = cache.serve(
                        query,
                        lambda q, ns=ns: _answer(ns, q),
                        namespace=ns,
                        store_if=lambda r: rng.random() < 0.8,
                    )
                    _check(ns, served.response, failures)
                    name = "serve"
                elif op < 0.97:
                    cache.delete(query, namespace=ns)
                    name = "delete"
                elif op < 0.995:
                    hit = cache.report_wrong(query, namespace=ns, threshold=0.9)
                    if hit is not None:
                        _check(ns, hit.response, failures)
                    name = "report_wrong"
                else:
                    cache.invalidate(ns)
                    name = "invalidate"
                done[name] = done.get(name, 0) + 1
        except BaseException as exc:
            errors.append(exc)
        with lock:
            for name, n in done.items():
                counts[name] = counts.get(name, 0) + n

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cache._wait_index()
    assert errors == []
    assert failures == []
    assert sum(counts.values()) == THREADS * OPS
    table = cache._store.table
    assert int(table.alive.sum()) == len(cache) == len(cache._store.id_to_slot) <= 400
    assert sum(ns.partition.size for ns in cache._store.namespaces.values()) == len(cache)
    assert cache.stats.bytes == int(table.nbytes[table.alive != 0].sum())
    held = {(h.namespace, h.matched_query) for h in _every_entry(cache)}
    cache.close()
    if target is not None:
        with SemanticCache(target, encoder=FakeEncoder(), max_entries=400) as reopened:
            assert {(h.namespace, h.matched_query) for h in _every_entry(reopened)} == held
            for hit in _every_entry(reopened):
                _check(hit.namespace, hit.response, failures)
        assert failures == []
    print(f"\n{backend}: {THREADS} threads x {OPS} ops = {THREADS * OPS}: {counts}")


def _every_entry(cache: SemanticCache) -> list[Any]:
    """Each stored entry, looked up by its own query in its own namespace (exact hits)."""
    with cache._lock:
        rows = [
            (
                cache._store.ns_by_id[int(cache._store.table.ns_ids[s])].name,
                cache._store.table.queries[s],
            )
            for s in range(len(cache._store.table.alive))
            if cache._store.table.alive[s]
        ]
    hits = [cache.get(query, namespace=ns) for ns, query in rows]
    assert all(h is not None and h.exact for h in hits)
    return hits
