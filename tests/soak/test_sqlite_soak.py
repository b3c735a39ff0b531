"""SQLite under abuse: a writer killed with SIGKILL again and again, and processes sharing a file.

Quick mode (CI) runs a few kills and a few thousand operations; ``SEMROUTE_SOAK=long``
runs the figures BENCHMARKS.md quotes. With ``SEMROUTE_SOAK_RESULTS=dir`` each test
also writes its figures (operations, kills, losses, disagreements) as JSON there.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from semroute.backends import SQLiteBackend
from semroute.cache.cache import SemanticCache
from tests.fakes import FakeEncoder
from tests.soak.conftest import LONG, scaled

ROOT = Path(__file__).resolve().parents[2]
# forkserver, as tests/backends/test_redis_processes.py: a child never inherits this
# process's threads or SQLite connections (fork would, and warns from Python 3.12).
_FORK = multiprocessing.get_context("forkserver")
_FORK.set_forkserver_preload(["tests.soak.test_sqlite_soak"])
DIM = 64


def record(name: str, figures: dict[str, Any]) -> None:
    print(f"\n{name}: {json.dumps(figures)}")
    out = os.environ.get("SEMROUTE_SOAK_RESULTS")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        figures = {**figures, "mode": "long" if LONG else "quick"}
        (Path(out) / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")


# -- SIGKILL of a writer, again and again --------------------------------------------------


def plan(seed: int, n: int, known: int) -> list[tuple[str, str, int | None]]:
    """The writer's operations: new questions, overwrites and deletes of earlier ones."""
    rng = random.Random(seed)
    ops: list[tuple[str, str, int | None]] = []
    for i in range(n):
        roll = rng.random()
        if known and roll < 0.2:
            ops.append(("put", f"question {rng.randrange(known)}", seed * 1_000_000 + i))
        elif known and roll < 0.3:
            ops.append(("delete", f"question {rng.randrange(known)}", None))
        else:
            ops.append(("put", f"question {known}", seed * 1_000_000 + i))
            known += 1
    return ops


WRITER = textwrap.dedent(
    """
    import sys
    from semroute.cache.cache import SemanticCache
    from tests.fakes import FakeEncoder
    from tests.soak.test_sqlite_soak import plan
    path, seed, n, known = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    cache = SemanticCache(path, encoder=FakeEncoder(64), max_entries=None)
    for i, (op, question, answer) in enumerate(plan(seed, n, known)):
        if op == "put":
            cache.put(question, {"answer": answer, "pad": "x" * 500})
        else:
            cache.delete(question)
        print(i, flush=True)  # acknowledged: the call returned
    """
)


def _apply(state: dict[str, int], op: tuple[str, str, int | None]) -> None:
    kind, question, answer = op
    if kind == "put":
        assert answer is not None
        state[question] = answer
    else:
        state.pop(question, None)


def test_sigkilled_writers_never_lose_an_acknowledged_write(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    rounds = scaled(4, 20)
    per_round = 5_000  # more than a writer acknowledges before it is killed
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rng = random.Random(1)
    state: dict[str, int] = {}  # question -> answer, as acknowledged
    known = 0
    acked_total = kills = losses = extra = 0
    for round_no in range(rounds):
        seed = round_no + 1
        ops = plan(seed, per_round, known)
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(seed), str(per_round), str(known)],
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=env,
            text=True,
        )
        assert proc.stdout is not None
        target = rng.randrange(50, scaled(300, 1500))
        acked = -1
        deadline = time.monotonic() + 60
        while acked < target and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acked = int(line)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for line in proc.stdout.read().split():  # acknowledged before the kill, unread
            acked = int(line)
        proc.stdout.close()
        assert acked >= 0, "the writer did not get going"
        kills += 1
        acked_total += acked + 1
        for op in ops[: acked + 1]:
            _apply(state, op)
        # The write in flight at the kill may or may not have landed: both are correct.
        in_flight = ops[acked + 1] if acked + 1 < len(ops) else None
        landed = dict(state)
        if in_flight is not None:
            _apply(landed, in_flight)
        with SemanticCache(path, encoder=FakeEncoder(DIM), max_entries=None) as cache:
            served = {}
            for question in {*state, *landed}:
                hit = cache.get(question)
                served[question] = None if hit is None else hit.response["answer"]
            stored = len(cache)
        took_in_flight = in_flight is not None and all(
            served.get(q) == landed.get(q) for q in {*state, *landed}
        )
        if took_in_flight:
            state = landed
        for question in {*state, *landed}:
            if served[question] != state.get(question):
                losses += 1
        extra += stored - len(state)
        # Questions the plan created count as known even if unwritten: overwriting or
        # deleting one that never landed is a correct operation too.
        known = max(known, 1 + max(int(question.split()[1]) for _, question, _ in ops))
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.close()
    record(
        "sqlite_sigkill",
        {"kills": kills, "acknowledged_ops": acked_total, "losses": losses, "extra_rows": extra},
    )
    assert losses == 0 and extra == 0


# -- two processes writing one file, then a third: every answer agrees ----------------------


def _worker(path: str, me: int, n: int, shared: int, barrier: Barrier, conn: Connection) -> None:
    rng = random.Random(me)
    cache = SemanticCache(SQLiteBackend(path), encoder=FakeEncoder(DIM), max_entries=None)
    errors = 0
    for i in range(n):
        roll = rng.random()
        try:
            if roll < 0.5:  # the same questions as the other process, its own answers
                cache.put(f"shared question {rng.randrange(shared)}", f"p{me}-{i}")
            elif roll < 0.8:
                cache.put(f"own question {me} {rng.randrange(n)}", f"p{me}-{i}")
            elif roll < 0.9:
                cache.delete(f"shared question {rng.randrange(shared)}")
            else:
                cache.get(f"shared question {rng.randrange(shared)}")
        except Exception:
            errors += 1
    barrier.wait()  # both have written everything: now each reads its view
    conn.send((errors, _view(cache, n, shared)))
    barrier.wait()
    cache.close()


def _view(cache: SemanticCache, n: int, shared: int) -> dict[str, Any]:
    questions = [f"shared question {i}" for i in range(shared)]
    questions += [f"own question {me} {i}" for me in (0, 1) for i in range(n)]
    view = {}
    for question in questions:
        hit = cache.get(question)
        view[question] = None if hit is None or not hit.exact else hit.response
    return view


def test_two_processes_and_a_fresh_third_agree_on_every_answer(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    n, shared = scaled(1_500, 20_000), scaled(100, 1_000)
    SemanticCache(path, encoder=FakeEncoder(DIM)).close()
    barrier = _FORK.Barrier(2)
    pipes = [_FORK.Pipe() for _ in range(2)]
    procs = [
        _FORK.Process(target=_worker, args=(str(path), me, n, shared, barrier, pipes[me][1]))
        for me in range(2)
    ]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    results = []
    for parent, _ in pipes:
        assert parent.poll(scaled(120, 1800)), "a worker did not finish"
        results.append(parent.recv())
    for proc in procs:
        proc.join(60)
    seconds = time.perf_counter() - started
    assert [proc.exitcode for proc in procs] == [0, 0]
    with SemanticCache(path, encoder=FakeEncoder(DIM), max_entries=None) as third:
        fresh = _view(third, n, shared)
    (errors_a, view_a), (errors_b, view_b) = results
    disagreements = sum(1 for q in fresh if not (view_a[q] == view_b[q] == fresh[q]))
    conn = sqlite3.connect(path)
    duplicates = conn.execute(
        "SELECT COUNT(*) - COUNT(DISTINCT namespace || char(0) || norm) FROM semroute_entries"
    ).fetchone()[0]
    conn.close()
    record(
        "sqlite_two_processes",
        {
            "processes": 2,
            "ops": 2 * n,
            "seconds": round(seconds, 1),
            "questions_checked": len(fresh),
            "answers_stored": sum(v is not None for v in fresh.values()),
            "disagreements": disagreements,
            "duplicate_rows": duplicates,
            "errors": errors_a + errors_b,
        },
    )
    assert errors_a == errors_b == 0
    assert disagreements == 0 and duplicates == 0
