"""What following an SQLite file's changes costs: lookups, puts, and how fast a delete spreads.

Each lookup first asks SQLite whether another connection committed
(``PRAGMA data_version``); ``poll_interval`` bounds how often. Puts now write a
change row in the same transaction and replace any row of the same question.

    python -m benchmarks.backends.sqlite_follow                    # 5,000 lookups and puts, 50 deletes
    python -m benchmarks.backends.sqlite_follow --before           # only what the old code can run

``--before`` runs only what semroute before schema 3 supports (no
``poll_interval``): run it with the old source first on ``PYTHONPATH`` to get the
before figures of the same machine and session.

Caveat: a shared 2-core VM; medians are stable to ~10-20 %, tails are not.
The spread figure includes waking the other process (a pipe round trip).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import statistics
import subprocess
import tempfile
import time
from datetime import datetime, timezone
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from semroute.backends import SQLiteBackend
from semroute.cache.cache import SemanticCache
from semroute.cache.config import IndexConfig
from tests.fakes import FakeEncoder

DIM = 384
_FORK = multiprocessing.get_context("fork")


def _p50_us(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1e6, 2)


def lookups_and_puts(backend: Any, n: int) -> dict[str, float]:
    # Exact search at every size: the figures are the backend's, not a graph build's.
    cache = SemanticCache(
        backend,
        encoder=FakeEncoder(dim=DIM),
        max_entries=None,
        index=IndexConfig(brute_force_below=1_000_000),
    )
    vectors = np.random.default_rng(1).standard_normal((n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    puts = []
    for i in range(n):
        started = time.perf_counter()
        cache.put(f"stored question {i}", "x" * 200, embedding=vectors[i])
        puts.append(time.perf_counter() - started)
    gets = []
    for i in range(n):
        started = time.perf_counter()
        cache.get(f"stored question {i}")
        gets.append(time.perf_counter() - started)
    cache.close()
    return {"put_p50_us": _p50_us(puts), "exact_get_p50_us": _p50_us(gets)}


def _follower(path: str, conn: Connection, poll_interval: float) -> None:
    cache = SemanticCache(
        SQLiteBackend(path, poll_interval=poll_interval), encoder=FakeEncoder(dim=DIM)
    )
    while True:
        question = conn.recv()
        if question is None:
            break
        deadline = time.monotonic() + 10
        while cache.get(question) is None:  # within poll_interval of the writer's put
            assert time.monotonic() < deadline, "the put never arrived"
            time.sleep(0.001)
        conn.send("ready")
        conn.recv()  # the writer deleted it: when does this process stop serving it?
        started = time.perf_counter()
        while cache.get(question) is not None:
            pass
        conn.send(time.perf_counter() - started)
    cache.close()


def spread(path: Path, deletes: int, poll_interval: float) -> dict[str, float]:
    """From a delete returning in one process to the other no longer serving the entry."""
    SemanticCache(str(path), encoder=FakeEncoder(dim=DIM)).close()
    parent, child = _FORK.Pipe()
    # Forked before this process opens the file: SQLite connections must not cross a fork.
    proc = _FORK.Process(target=_follower, args=(str(path), child, poll_interval))
    proc.start()
    writer = SemanticCache(str(path), encoder=FakeEncoder(dim=DIM))
    samples = []
    for i in range(deletes):
        question = f"to be deleted {i}"
        writer.put(question, "stale")
        parent.send(question)
        if not parent.poll(30):
            raise RuntimeError("the follower process did not answer")
        assert parent.recv() == "ready"
        writer.delete(question)
        parent.send("go")
        samples.append(parent.recv())
    parent.send(None)
    proc.join(30)
    writer.close()
    return {
        "delete_seen_p50_ms": round(statistics.median(samples) * 1e3, 3),
        "delete_seen_max_ms": round(max(samples) * 1e3, 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000)
    parser.add_argument("--deletes", type=int, default=50)
    parser.add_argument("--before", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/sqlite_follow.json"))
    args = parser.parse_args(argv)
    rows: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        rows["memory"] = lookups_and_puts(None, args.n)
        if args.before:
            rows["sqlite"] = lookups_and_puts(str(Path(tmp) / "a.db"), args.n)
        else:
            for interval in (0.0, 0.05):
                backend = SQLiteBackend(Path(tmp) / f"a{interval}.db", poll_interval=interval)
                rows[f"sqlite poll_interval={interval}"] = lookups_and_puts(backend, args.n)
            for interval in (0.0, 0.05):
                rows[f"spread poll_interval={interval}"] = spread(
                    Path(tmp) / f"s{interval}.db", args.deletes, interval
                )
    for name, row in rows.items():
        print(f"{name}: {json.dumps(row)}")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = bool(
        subprocess.run(
            ["git", "status", "--porcelain"], capture_output=True, text=True, check=False
        ).stdout.strip()
    )
    result = {
        "command": "python -m benchmarks.backends.sqlite_follow "
        + " ".join(argv if argv is not None else __import__("sys").argv[1:]),
        "machine": f"{platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, SQLite {__import__('sqlite3').sqlite_version}, "
        "shared 2-core VM",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "uncommitted_changes": dirty,
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
