"""Several real processes on one SQLite file: creation, one row per query, followed changes."""

from __future__ import annotations

import math
import multiprocessing
import sqlite3
from multiprocessing.synchronize import Barrier
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from semroute import _text
from semroute.backends import SQLiteBackend
from semroute.cache.cache import SemanticCache
from semroute.errors import ConfigError
from tests.backends.sqlite_peer import DIM, Peer
from tests.fakes import FakeEncoder

# forkserver, as tests/backends/test_redis_processes.py: a child never inherits this
# process's threads or SQLite connections (fork would, and warns from Python 3.12).
_FORK = multiprocessing.get_context("forkserver")
_FORK.set_forkserver_preload(["tests.backends.test_sqlite_processes"])


def _create_and_put(path: str, barrier: Barrier, me: int) -> None:
    barrier.wait()  # every process opens the fresh file at the same moment
    cache = SemanticCache(path, encoder=FakeEncoder(DIM))
    cache.put(f"question from process {me}", me)
    cache.put("the question everyone asks", me)
    cache.close()


def test_processes_creating_one_file_at_once_all_succeed_and_lose_nothing(
    tmp_path: Path,
) -> None:
    workers = 6
    for attempt in range(4):
        path = tmp_path / f"fresh{attempt}.db"
        barrier = _FORK.Barrier(workers)
        procs = [
            _FORK.Process(target=_create_and_put, args=(str(path), barrier, i))
            for i in range(workers)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
        # A raw sqlite3 error (table exists, database locked) would exit non-zero.
        assert [proc.exitcode for proc in procs] == [0] * workers, attempt
        with SemanticCache(path, encoder=FakeEncoder(DIM)) as cache:
            for i in range(workers):
                hit = cache.get(f"question from process {i}")
                assert hit is not None and hit.response == i and hit.exact
            assert len(cache) == workers + 1
        conn = sqlite3.connect(path)
        shared = conn.execute(
            "SELECT COUNT(*) FROM semroute_entries WHERE norm = ?",
            (_text.normalize_query("the question everyone asks"),),
        ).fetchone()
        conn.close()
        assert shared == (1,)


def test_the_same_question_from_two_processes_is_one_row_and_one_answer(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    SemanticCache(path, encoder=FakeEncoder(DIM)).close()
    with Peer(path) as a, Peer(path) as b:
        for i in range(30):
            a.call("put", "What is the refund policy?", f"a{i}")
            b.call("put", "what is the refund policy", f"b{i}")
        # b wrote last: both serve b's answer, and the file holds one row.
        assert a.call("answer", "What is the refund policy?") == "b29"
        assert b.call("answer", "What is the refund policy?") == "b29"
        assert a.call("len") == b.call("len") == 1
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT COUNT(*) FROM semroute_entries").fetchone() == (1,)
    conn.close()


def test_a_delete_in_one_process_stops_an_open_process_serving_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    SemanticCache(path, encoder=FakeEncoder(DIM)).close()
    with Peer(path) as a, Peer(path) as b:
        a.call("put", "is the moon made of cheese", "yes")
        b.call("put", "is the moon made of cheese", "no")  # replaces a's row
        assert b.call("answer", "is the moon made of cheese") == "no"
        assert a.call("answer", "is the moon made of cheese") == "no"
        assert a.call("delete", "is the moon made of cheese") is True
        assert b.call("answer", "is the moon made of cheese") is None
        assert b.call("answer", "moon made of cheese is the") is None  # semantic too
        # invalidate and clear reach the other process as well
        a.call("put", "q one", 1, namespace="n1")
        a.call("put", "q two", 2, namespace="n2")
        assert b.call("answer", "q one", namespace="n1") == 1
        b.call("invalidate", namespace="n1")
        assert a.call("answer", "q one", namespace="n1") is None
        assert a.call("answer", "q two", namespace="n2") == 2
        b.call("clear")
        assert a.call("answer", "q two", namespace="n2") is None
        assert a.call("len") == 0


def _unit(axis: int) -> npt.NDArray[np.float32]:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[axis] = 1.0
    return vector


def _at(sim: float, axis: int) -> npt.NDArray[np.float32]:
    return (sim * _unit(0) + np.sqrt(1.0 - sim * sim) * _unit(axis)).astype(np.float32)


def test_report_wrong_in_one_process_blocks_the_match_in_an_open_process(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    SemanticCache(path, encoder=FakeEncoder(DIM)).close()
    pizza, pasta = "best pizza in town", "best pasta in town"
    with Peer(path) as a, Peer(path) as b:
        a.call("put", pizza, "Luigi's", namespace="x", embedding=_unit(0))
        assert b.call("answer", pasta, namespace="x", embedding=_at(0.97, 1)) == "Luigi's"
        a.call("report_wrong", pasta, namespace="x", embedding=_at(0.97, 1))
        assert b.call("answer", pasta, namespace="x", embedding=_at(0.97, 1)) is None
        # b stores the same entry again: the block still holds, in both processes
        b.call("put", pizza, "Luigi's", namespace="x", embedding=_unit(0))
        assert b.call("answer", pasta, namespace="x", embedding=_at(0.97, 1)) is None
        assert a.call("answer", pasta, namespace="x", embedding=_at(0.97, 1)) is None
        assert a.call("answer", pizza, namespace="x") == "Luigi's"


def test_poll_interval_bounds_how_often_the_file_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    writer = SemanticCache(path, encoder=FakeEncoder(DIM))
    lazy = SemanticCache(SQLiteBackend(path, poll_interval=3600), encoder=FakeEncoder(DIM))
    eager = SemanticCache(SQLiteBackend(path, poll_interval=0), encoder=FakeEncoder(DIM))
    lazy.get("warm up")  # its first poll: the next one is due in an hour
    writer.put("new question", "new answer")
    hit = eager.get("new question")
    assert hit is not None and hit.response == "new answer"
    assert lazy.get("new question") is None
    for cache in (writer, lazy, eager):
        cache.close()


def test_a_follower_far_behind_reloads_the_store(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from semroute.backends import sqlite as sqlite_module

    monkeypatch.setattr(sqlite_module, "_KEEP_CHANGES", 5)
    monkeypatch.setattr(sqlite_module, "_TRIM_EVERY", 1)
    path = tmp_path / "shared.db"
    writer = SemanticCache(path, encoder=FakeEncoder(DIM))
    follower = SemanticCache(path, encoder=FakeEncoder(DIM))
    writer.put("old question", "old")
    assert follower.get("old question") is not None
    writer.delete("old question")
    for i in range(20):  # the delete is trimmed from the change table
        writer.put(f"question {i}", i)
    assert follower.get("old question") is None
    assert len(follower) == 20
    hit = follower.get("question 3")
    assert hit is not None and hit.response == 3
    writer.close()
    follower.close()


def test_a_busy_file_while_following_skips_nothing(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "shared.db"
    writer = SemanticCache(path, encoder=FakeEncoder(DIM))
    follower_store = SQLiteBackend(path)
    follower = SemanticCache(follower_store, encoder=FakeEncoder(DIM))
    writer.put("busy question", "answer")
    fetch = SQLiteBackend._entry
    calls = {"n": 0}

    def busy_once(self: SQLiteBackend, entry_id: int) -> object:
        calls["n"] += 1
        if calls["n"] == 1:
            raise sqlite3.OperationalError("database is locked")
        return fetch(self, entry_id)

    monkeypatch.setattr(SQLiteBackend, "_entry", busy_once)
    assert follower.get("busy question") is None  # the lookup does not fail...
    hit = follower.get("busy question")  # ...and the next one reads the same change again
    assert hit is not None and hit.response == "answer"
    writer.close()
    follower.close()


def test_poll_interval_is_validated(tmp_path: Path) -> None:
    for bad in (-1, math.nan, math.inf, True, "0.1"):
        with pytest.raises(ConfigError):
            SQLiteBackend(tmp_path / "x.db", poll_interval=bad)  # type: ignore[arg-type]


def test_an_undecodable_entry_from_another_process_is_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    writer = SemanticCache(path, encoder=FakeEncoder(DIM))
    reader = SemanticCache(path, encoder=FakeEncoder(DIM))
    writer.put("good question", "fine")
    writer.put("bad question", "fine")
    conn = sqlite3.connect(path)
    with conn:  # damaged after the write, before the reader follows it
        conn.execute(
            "UPDATE semroute_entries SET response = ? WHERE query = 'bad question'",
            ("[" * 2000 + "]" * 2000,),
        )
    conn.close()
    assert reader.get("bad question") is None  # the lookup follows, skips, never raises
    assert reader.stats.corrupt_entries == 1
    hit = reader.get("good question")
    assert hit is not None and hit.response == "fine"
    writer.close()
    reader.close()
