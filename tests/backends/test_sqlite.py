"""SQLite specifics: refusing foreign or damaged files untouched, URLs, crash safety."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from semroute.backends import MemoryBackend, SQLiteBackend, open_backend
from semroute.cache.cache import SemanticCache
from semroute.cache.stored import MAX_JSON_DEPTH
from semroute.errors import ConfigError, CorruptStoreError, InputError
from tests.fakes import FakeEncoder

ROOT = Path(__file__).resolve().parents[2]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_garbage_file_is_corrupt_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "faq.db"
    path.write_bytes(b"this is not a database at all, just some text\n" * 100)
    before = digest(path)
    with pytest.raises(CorruptStoreError):
        SemanticCache(f"sqlite:///{path}", encoder=FakeEncoder())
    assert digest(path) == before
    assert not (tmp_path / "faq.db-wal").exists()


def test_foreign_sqlite_database_is_corrupt_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO users (name) VALUES ('ada')")
    conn.close()
    before = digest(path)
    with pytest.raises(CorruptStoreError):
        SQLiteBackend(path)
    assert digest(path) == before


def test_schema_and_encoder_mismatch_raise_config_error_untouched(tmp_path: Path) -> None:
    path = tmp_path / "faq.db"
    with SemanticCache(path, encoder=FakeEncoder()) as cache:
        cache.put("hello", "world")
    before = digest(path)
    with pytest.raises(ConfigError):
        SemanticCache(path, encoder=FakeEncoder(dim=32))
    with pytest.raises(ConfigError):
        SemanticCache(path, encoder=FakeEncoder(model_id="another"))
    assert digest(path) == before
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE semroute_meta SET value = '999' WHERE key = 'schema_version'")
    conn.close()
    before = digest(path)
    with pytest.raises(ConfigError, match="schema version"):
        SQLiteBackend(path)
    assert digest(path) == before


def test_an_undecodable_row_is_skipped_and_counted_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "faq.db"
    with SemanticCache(path, encoder=FakeEncoder()) as cache:
        for q in ("hello", "short vector", "bad json", "deep json", "nan", "long"):
            cache.put(q, "fine")
    deep = "[" * 1200 + "]" * 1200  # written by an older semroute, before put bounded it
    nan = np.full(64, np.nan, dtype="<f4").tobytes()
    long = (np.ones(64, dtype="<f4") * 0.5).tobytes()  # finite, length 4
    with sqlite3.connect(path) as conn:
        for query, column, value in [
            ("short vector", "vector", b"\0\0"),
            ("bad json", "response", "{not json"),
            ("deep json", "response", deep),
            ("nan", "vector", nan),
            ("long", "vector", long),
        ]:
            conn.execute(
                f"UPDATE semroute_entries SET {column} = ? WHERE query = ?", (value, query)
            )
    conn.close()
    with SemanticCache(path, encoder=FakeEncoder()) as again:
        assert again.stats.corrupt_entries == 5
        assert len(again) == 1 and again.stats.entries == 1
        hit = again.get("hello")
        assert hit is not None and hit.response == "fine"
        for query in ("short vector", "bad json", "deep json", "nan", "long"):
            assert again.get(query) is None
        again.put("deep json", "mended")  # the key is usable again
        assert again.get("deep json") is not None


def test_deeply_nested_json_is_refused_at_put_and_the_store_stays_usable(tmp_path: Path) -> None:
    path = tmp_path / "faq.db"
    deep: object = "leaf"
    for _ in range(1000):
        deep = [deep]
    with SemanticCache(path, encoder=FakeEncoder()) as cache:
        with pytest.raises(InputError, match="nested"):
            cache.put("deep", deep)
        shallow: object = "leaf"
        for _ in range(MAX_JSON_DEPTH + 1):
            shallow = {"k": shallow}
        with pytest.raises(InputError, match="nested"):
            cache.put("just too deep", shallow)
        cache.put("fine", {"a": [1, {"b": 2}]})
    with SemanticCache(path, encoder=FakeEncoder()) as again:
        assert again.stats.corrupt_entries == 0 and len(again) == 1
        assert again.get("deep") is None and again.get("just too deep") is None


def test_a_file_holding_only_a_view_or_a_user_version_is_refused_untouched(
    tmp_path: Path,
) -> None:
    setups = {
        "view": "CREATE VIEW v AS SELECT 1 AS one",
        "user_version": "PRAGMA user_version = 7",
        "application_id": "PRAGMA application_id = 1234",
        "table": "CREATE TABLE notes (body TEXT)",
        "wal_and_view": "PRAGMA journal_mode=WAL; CREATE VIEW v AS SELECT 2",
    }
    for name, sql in setups.items():
        path = tmp_path / f"{name}.db"
        conn = sqlite3.connect(path)
        conn.executescript(sql)
        conn.close()
        before = digest(path)
        with pytest.raises(CorruptStoreError):
            SemanticCache(path, encoder=FakeEncoder())
        assert digest(path) == before, name


def test_damaged_snapshot_files_are_rebuilt_from_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    with _graph_cache(path) as cache:
        for i in range(40):
            cache.put(f"topic{i} words{i} here{i}", i)
    snapshot = tmp_path / "graph.db.index"
    damages = {
        "truncated ids": lambda f: f.write_bytes(f.read_bytes()[:40]),
        "empty ids": lambda f: f.write_bytes(b""),
        "garbage ids": lambda f: f.write_bytes(b"PK\x03\x04" + b"\xff" * 300),
    }
    for name, damage in damages.items():
        for f in snapshot.glob("*.ids.npz"):
            damage(f)
        with _graph_cache(path) as again:  # closing saves a fresh snapshot for the next damage
            assert len(again) == 40, name
            hit = again.get("here7 words7 topic7")
            assert hit is not None and hit.response == 7, name


def test_index_place_being_a_regular_file_does_not_break_open_or_close(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    (tmp_path / "graph.db.index").write_text("not a directory")
    with _graph_cache(path) as cache:
        for i in range(40):
            cache.put(f"topic{i} words{i} here{i}", i)
    with _graph_cache(path) as again:  # no graph saved: rebuilt from the rows
        hit = again.get("here3 words3 topic3")
        assert hit is not None and hit.response == 3
    assert (tmp_path / "graph.db.index").read_text() == "not a directory"


def test_urls_and_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert open_backend(None) is None
    assert open_backend("memory://") is None
    memory = MemoryBackend()
    assert open_backend(memory) is memory
    monkeypatch.chdir(tmp_path)
    rel = open_backend("sqlite:///rel.db")
    assert isinstance(rel, SQLiteBackend) and rel.path == Path("rel.db")
    rel.close()
    absolute = open_backend(f"sqlite:///{tmp_path / 'abs.db'}")
    assert isinstance(absolute, SQLiteBackend) and absolute.path == tmp_path / "abs.db"
    absolute.close()
    plain = open_backend(tmp_path / "plain.db")
    assert isinstance(plain, SQLiteBackend)
    plain.close()
    for bad in ("", "sqlite://", "ftp://x", "sqlite:///x.db?mode=ro"):
        with pytest.raises(ConfigError):
            open_backend(bad)
    try:
        import redis  # noqa: F401
    except ImportError:  # without the client, the URL names the extra to install
        with pytest.raises(ConfigError, match="redis"):
            open_backend("redis://127.0.0.1:6379/0?name=x")
    else:
        redis_store = open_backend("redis://127.0.0.1:6379/0?name=x")  # no I/O until bind()
        assert type(redis_store).__name__ == "RedisBackend"
        redis_store.close()
    with pytest.raises(ConfigError):
        open_backend(42)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        SQLiteBackend(tmp_path / "x.db", synchronous="SOMETIMES")  # type: ignore[arg-type]


def test_lru_order_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "faq.db"
    with SemanticCache(path, encoder=FakeEncoder(), max_entries=3) as cache:
        for q in ("apple", "banana", "cherry"):
            cache.put(q, q)
        cache.get("apple")  # banana is now least recently used
    with SemanticCache(path, encoder=FakeEncoder(), max_entries=3) as cache:
        cache.put("date", "date")
        assert cache.get("banana") is None
        assert all(cache.get(q) is not None for q in ("apple", "cherry", "date"))
    with SemanticCache(path, encoder=FakeEncoder(), max_entries=2) as cache:
        assert len(cache) == 2  # a smaller cap evicts on open, from the file too
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM semroute_entries").fetchone() == (2,)


WRITER = textwrap.dedent(
    """
    import sys
    from semroute.cache.cache import SemanticCache
    from tests.fakes import FakeEncoder
    cache = SemanticCache(sys.argv[1], encoder=FakeEncoder(), max_entries=None)
    i = 0
    while True:
        cache.put(f"question number {i}", {"answer": i, "pad": "x" * 2000})
        print(i, flush=True)  # acknowledged: put() returned
        i += 1
    """
)


def test_kill_9_mid_write_loses_at_most_the_entry_being_written(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    acked = -1
    deadline = time.monotonic() + 30
    while acked < 300 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acked = int(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # Acknowledgements printed before the kill but not yet read count too.
    for line in proc.stdout.read().split():
        acked = int(line)
    proc.stdout.close()
    assert acked >= 300, "the writer did not get going"
    with SemanticCache(path, encoder=FakeEncoder(), max_entries=None) as cache:
        for i in range(acked + 1):
            hit = cache.get(f"question number {i}")
            assert hit is not None and hit.response["answer"] == i
        assert acked + 1 <= len(cache) <= acked + 2  # at most the one write in flight


def _graph_cache(path: Path) -> SemanticCache:
    from semroute.cache.config import IndexConfig

    index = IndexConfig(brute_force_below=16, background_build=False, k=4, ef_search=16)
    return SemanticCache(path, encoder=FakeEncoder(), max_entries=None, index=index)


def test_saved_graph_is_reused_and_validated_against_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "graph.db"
    with _graph_cache(path) as cache:
        for i in range(60):
            cache.put(f"topic{i} words{i} here{i}", i)
    snapshot = tmp_path / "graph.db.index"
    assert any(snapshot.iterdir())
    cache = _graph_cache(path)
    assert cache._store.namespaces["default"].partition.uses_graph
    for i in range(0, 60, 4):
        assert cache.delete(f"topic{i} words{i} here{i}")
    for i in range(60, 70):
        cache.put(f"topic{i} words{i} here{i}", i)
    assert cache._backend is not None
    cache._backend.close()  # a crash: the saved graph is now stale
    for reopen in range(2):
        if reopen:  # and a damaged graph file is ignored, the graph rebuilt from rows
            for f in snapshot.glob("*.hnsw"):
                f.write_bytes(f.read_bytes()[:100])
        with _graph_cache(path) as again:
            assert len(again) == 55
            for i in range(70):
                hit = again.get(f"here{i} words{i} topic{i}")
                if i < 60 and i % 4 == 0:
                    assert hit is None
                else:
                    assert hit is not None and hit.response == i and not hit.exact
