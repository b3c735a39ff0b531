"""``report_wrong`` blocks kept by the backend: across restarts, old SQLite files,
and what ``invalidate`` / ``clear`` do to them. (Redis: tests/backends/test_redis.py.)"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from semroute import _text
from semroute.backends import Backend, MemoryBackend, SQLiteBackend
from semroute.cache.cache import SemanticCache
from semroute.errors import ConfigError, CorruptStoreError
from tests.fakes import FakeEncoder

DIM = 64
PIZZA, PASTA = "best pizza in town", "best pasta in town"


def unit(axis: int) -> npt.NDArray[np.float32]:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[axis] = 1.0
    return vector


def at(sim: float, axis: int) -> npt.NDArray[np.float32]:
    out: npt.NDArray[np.float32] = (sim * unit(0) + np.sqrt(1.0 - sim * sim) * unit(axis)).astype(
        np.float32
    )
    return out


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def report(cache: SemanticCache, namespace: str = "x") -> None:
    """Store the pizza entry, then report it as a wrong answer to the pasta query."""
    cache.put(PIZZA, "Luigi's", namespace=namespace, embedding=unit(0))
    hit = cache.report_wrong(PASTA, namespace=namespace, embedding=at(0.97, 1))
    assert hit is not None and hit.matched_query == PIZZA and not hit.exact


def blocked(cache: SemanticCache, namespace: str = "x") -> bool:
    """Whether the pasta query is refused the pizza entry (stored again first)."""
    cache.put(PIZZA, "Luigi's", namespace=namespace, embedding=unit(0))
    return cache.get(PASTA, namespace=namespace, embedding=at(0.97, 1)) is None


# -- SQLite: across restarts and across cache objects -----------------------------------


def test_blocks_survive_close_and_reopen_with_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "faq.db"
    with SemanticCache(path, encoder=FakeEncoder(DIM)) as cache:
        report(cache)
    with SemanticCache(path, encoder=FakeEncoder(DIM)) as again:
        assert blocked(again)
        assert again.stats.reported_refusals == 1
        # Only that pair, only that namespace.
        assert again.get("best pizza around", namespace="x", embedding=at(0.97, 2)) is not None
        assert not blocked(again, "other")


def test_a_cache_opened_after_the_report_honours_it_while_the_reporter_runs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "faq.db"
    reporter = SemanticCache(path, encoder=FakeEncoder(DIM))
    report(reporter)
    second = SemanticCache(path, encoder=FakeEncoder(DIM))  # same file, reporter still open
    assert blocked(second)
    second.close()
    reporter.close()


# -- an SQLite file of schema version 1 (before blocks were stored) ----------------------

V1_SCHEMA = """
CREATE TABLE semroute_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE semroute_entries (
    id INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    query TEXT NOT NULL,
    norm TEXT NOT NULL,
    key INTEGER NOT NULL,
    response TEXT NOT NULL,
    vector BLOB NOT NULL,
    created REAL NOT NULL,
    expires REAL,
    last_access REAL NOT NULL,
    hits INTEGER NOT NULL
);
CREATE INDEX semroute_entries_namespace ON semroute_entries (namespace);
"""


def write_v1_store(path: Path, encoder: FakeEncoder) -> None:
    """A store exactly as semroute wrote it before schema version 2, with one entry."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")  # as semroute leaves every file it opens
    with conn:
        conn.executescript(V1_SCHEMA)
        conn.executemany(
            "INSERT INTO semroute_meta (key, value) VALUES (?, ?)",
            [
                ("format", "semroute-cache"),
                ("schema_version", "1"),
                ("model_id", encoder.model_id),
                ("dim", str(encoder.dim)),
            ],
        )
        conn.execute(
            "INSERT INTO semroute_entries VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                7,
                "x",
                PIZZA,
                _text.normalize_query(PIZZA),
                _text.query_key(PIZZA),
                json.dumps("Luigi's"),
                unit(0).astype("<f4").tobytes(),
                1.0,
                None,
                2.0,
                3,
            ),
        )
    conn.close()


def tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()


def schema_version(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT value FROM semroute_meta WHERE key='schema_version'")
        return str(row.fetchone()[0])
    finally:
        conn.close()


def test_a_version_1_file_opens_keeps_its_entries_and_gains_the_blocks_table(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    write_v1_store(path, FakeEncoder(DIM))
    with SemanticCache(path, encoder=FakeEncoder(DIM)) as cache:
        hit = cache.get(PIZZA, namespace="x")
        assert hit is not None and hit.response == "Luigi's" and hit.exact
        assert schema_version(path) == "3" and "semroute_blocks" in tables(path)
        hit = cache.report_wrong(PASTA, namespace="x", embedding=at(0.97, 1))
        assert hit is not None and hit.matched_query == PIZZA
    with SemanticCache(path, encoder=FakeEncoder(DIM)) as again:
        assert blocked(again)
    store = SQLiteBackend(path)
    assert list(store.load_blocks()) == [
        ("x", _text.normalize_query(PASTA), _text.normalize_query(PIZZA))
    ]
    store.close()


def test_a_version_1_file_of_another_encoder_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    write_v1_store(path, FakeEncoder(DIM))
    before = digest(path)
    with pytest.raises(ConfigError, match="encoder"):
        SemanticCache(path, encoder=FakeEncoder(DIM, model_id="another"))
    assert digest(path) == before
    assert schema_version(path) == "1" and "semroute_blocks" not in tables(path)


def test_a_version_1_store_holds_no_blocks_until_bound(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    write_v1_store(path, FakeEncoder(DIM))
    store = SQLiteBackend(path)
    assert list(store.load_blocks()) == []
    store.delete_namespace("nothing-here")  # other writes leave the schema alone
    store.close()
    assert schema_version(path) == "1" and "semroute_blocks" not in tables(path)
    store = SQLiteBackend(path)
    assert len(list(store.load())) == 1
    store.block("x", "q", "m")  # writing a block adds the table
    assert list(store.load_blocks()) == [("x", "q", "m")]
    store.close()
    assert schema_version(path) == "3"  # blocks and the change table: the current schema


def test_version_2_without_the_blocks_table_is_corrupt_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "faq.db"
    SQLiteBackend(path).close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE semroute_blocks")
    conn.close()
    before = digest(path)
    with pytest.raises(CorruptStoreError, match="semroute_blocks"):
        SQLiteBackend(path)
    assert digest(path) == before


# -- invalidate drops a namespace's blocks, clear drops all: every backend --------------

Opener = Callable[[Path], Backend | None]
OPENERS: dict[str, Opener] = {
    "none": lambda tmp: None,
    "memory": lambda tmp: MemoryBackend(),
    "sqlite": lambda tmp: SQLiteBackend(tmp / "faq.db"),
}


@pytest.mark.parametrize("kind", sorted(OPENERS))
def test_invalidate_drops_the_namespaces_blocks_and_clear_drops_all(
    kind: str, tmp_path: Path
) -> None:
    store = OPENERS[kind](tmp_path)
    cache = SemanticCache(store, encoder=FakeEncoder(DIM))
    for namespace in ("x", "y", "acme/a"):
        report(cache, namespace)
    # "acme/a" now holds a block and no entry: report_wrong removed its only one.
    assert cache.invalidate(namespace="x") == 0
    assert cache.invalidate(prefix="acme/") == 0
    assert not blocked(cache, "x")
    assert not blocked(cache, "acme/a")
    assert blocked(cache, "y")
    norm_pasta, norm_pizza = _text.normalize_query(PASTA), _text.normalize_query(PIZZA)
    if store is not None:
        assert list(store.load_blocks()) == [("y", norm_pasta, norm_pizza)]
    report(cache, "x")
    cache.clear()
    assert not blocked(cache, "x") and not blocked(cache, "y")
    if store is not None:
        assert list(store.load_blocks()) == []
    cache.close()


def test_a_cleared_sqlite_store_stays_cleared_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "faq.db"
    with SemanticCache(path, encoder=FakeEncoder(DIM)) as cache:
        report(cache, "x")
        report(cache, "y")
        cache.invalidate(namespace="x")
    with SemanticCache(path, encoder=FakeEncoder(DIM)) as cache:
        assert not blocked(cache, "x") and blocked(cache, "y")
        cache.clear()
    with SemanticCache(path, encoder=FakeEncoder(DIM)) as cache:
        assert not blocked(cache, "y")


def test_a_version_2_file_with_duplicate_rows_is_upgraded_to_one_row_per_query(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v2.db"
    encoder = FakeEncoder(DIM)
    write_v1_store(path, encoder)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "CREATE TABLE semroute_blocks (namespace TEXT NOT NULL, query_norm TEXT NOT NULL, "
            "matched_norm TEXT NOT NULL, created REAL NOT NULL, "
            "PRIMARY KEY (namespace, query_norm, matched_norm)) WITHOUT ROWID"
        )
        conn.execute("UPDATE semroute_meta SET value = '2' WHERE key = 'schema_version'")
        # What two processes writing the same question left in a version-2 file.
        for entry_id, created, answer in [(8, 5.0, "newest"), (9, 3.0, "older")]:
            conn.execute(
                "INSERT INTO semroute_entries SELECT ?, namespace, 'Best pizza in town!', norm, "
                "key, ?, vector, ?, expires, last_access, hits FROM semroute_entries WHERE id = 7",
                (entry_id, json.dumps(answer), created),
            )
    conn.close()
    with SemanticCache(path, encoder=encoder) as cache:
        hit = cache.get(PIZZA, namespace="x")
        assert hit is not None and hit.response == "newest"
        assert len(cache) == 1
    assert schema_version(path) == "3" and "semroute_changes" in tables(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT id FROM semroute_entries").fetchall() == [(8,)]
    with pytest.raises(sqlite3.IntegrityError):  # the schema itself keeps one row per query
        conn.execute(
            "INSERT INTO semroute_entries SELECT 10, namespace, query, norm, key, response, "
            "vector, created, expires, last_access, hits FROM semroute_entries WHERE id = 8"
        )
    conn.close()
