"""SQLite persistence: one file, WAL, one row per entry, settings checked on open."""

from __future__ import annotations

import contextlib
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from semroute._entry import Entry
from semroute.backends._base import SCHEMA_VERSION, Block
from semroute.errors import BackendError, ConfigError, CorruptStoreError

_FORMAT = "semroute-cache"
_META = "semroute_meta"
_ENTRIES = "semroute_entries"
_BLOCKS = "semroute_blocks"
# Schema versions this code opens; the older ones gain what they lack in bind().
_UPGRADABLE = ("1",)
# Version 2: the matches report_wrong blocked. Created on open of a version-1 store.
_BLOCKS_TABLE = f"""
CREATE TABLE IF NOT EXISTS {_BLOCKS} (
    namespace TEXT NOT NULL,
    query_norm TEXT NOT NULL,
    matched_norm TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (namespace, query_norm, matched_norm)
) WITHOUT ROWID
"""
_COLUMNS = "id, namespace, query, norm, key, response, vector, created, expires, last_access, hits"
_SCHEMA = f"""
CREATE TABLE {_META} (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE {_ENTRIES} (
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
CREATE INDEX {_ENTRIES}_namespace ON {_ENTRIES} (namespace);
{_BLOCKS_TABLE};
"""


class SQLiteBackend:
    """Entries in one SQLite file (stdlib ``sqlite3``, WAL journal).

    Each ``put`` is its own transaction, so a process killed mid-write loses at
    most that entry. ``synchronous="NORMAL"`` (the default) survives a process
    crash; ``"FULL"`` also survives power loss at some cost per write. A file
    that is not a semroute store raises ``CorruptStoreError``; one written by
    another schema or encoder raises ``ConfigError``; neither is ever modified.
    A store of schema version 1 (before ``report_wrong`` blocks were kept)
    gains the blocks table in ``bind``, once its encoder matched; its entries
    are untouched.

    Another process's changes to the file (entries, deletions, blocks) are
    seen when a cache opens it, not while one is open: there is no change feed.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "faq.db")
    >>> store = SQLiteBackend(path)
    >>> store.bind(model_id="m", dim=4); store.close()
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Literal["OFF", "NORMAL", "FULL"] = "NORMAL",
        timeout: float = 10.0,
    ) -> None:
        if synchronous not in ("OFF", "NORMAL", "FULL"):
            raise ConfigError(f"synchronous must be OFF, NORMAL or FULL, not {synchronous!r}")
        self.path = Path(path)
        self._lock = threading.Lock()
        self._closed = False
        self._upgrade = False  # a version-1 store: add the blocks table once bound
        exists = self.path.exists() and self.path.stat().st_size > 0
        try:
            if exists:
                # mode=rw: never create or truncate; nothing is written before validation.
                self._conn = sqlite3.connect(
                    f"file:{self.path}?mode=rw",
                    uri=True,
                    timeout=timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._conn = sqlite3.connect(
                    self.path, timeout=timeout, isolation_level=None, check_same_thread=False
                )
        except sqlite3.Error as exc:
            raise BackendError(f"cannot open {self.path}: {exc}") from exc
        try:
            self._open(exists)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={synchronous}")
        except BaseException:
            self._conn.close()
            raise

    def _open(self, exists: bool) -> None:
        try:
            tables = {
                row[0]
                for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        except sqlite3.DatabaseError as exc:
            raise CorruptStoreError(f"{self.path} is not a SQLite database: {exc}") from exc
        if not tables:
            with self._transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
                self._conn.executemany(
                    f"INSERT INTO {_META} (key, value) VALUES (?, ?)",
                    [("format", _FORMAT), ("schema_version", str(SCHEMA_VERSION))],
                )
            return
        if _META not in tables or _ENTRIES not in tables:
            raise CorruptStoreError(f"{self.path} is a SQLite database but not a semroute store")
        meta = self._meta()
        if meta.get("format") != _FORMAT:
            raise CorruptStoreError(f"{self.path} is not a semroute cache store")
        version = meta.get("schema_version")
        if version in _UPGRADABLE:
            self._upgrade = True
        elif version != str(SCHEMA_VERSION):
            raise ConfigError(
                f"{self.path} has schema version {version!r}; "
                f"this semroute reads versions {', '.join(_UPGRADABLE)} and {SCHEMA_VERSION}"
            )
        elif _BLOCKS not in tables:
            raise CorruptStoreError(f"{self.path}: schema version {version} without {_BLOCKS}")

    def _upgrade_schema(self) -> None:
        """Add what a version-1 store lacks; the caller holds the lock. Idempotent, so two
        processes upgrading the same file at once both succeed."""
        if not self._upgrade:
            return
        try:
            with self._transaction():
                self._conn.execute(_BLOCKS_TABLE)
                # Conditional: never downgrade a store another process moved on meanwhile.
                self._conn.execute(
                    f"UPDATE {_META} SET value = ? WHERE key = 'schema_version' AND value IN "
                    f"({', '.join('?' * len(_UPGRADABLE))})",
                    (str(SCHEMA_VERSION), *_UPGRADABLE),
                )
        except sqlite3.Error as exc:
            raise BackendError(f"{self.path}: cannot add the blocks table: {exc}") from exc
        self._upgrade = False

    def _meta(self) -> dict[str, str]:
        try:
            return {
                str(k): str(v) for k, v in self._conn.execute(f"SELECT key, value FROM {_META}")
            }
        except sqlite3.DatabaseError as exc:
            raise CorruptStoreError(f"{self.path}: unreadable settings: {exc}") from exc

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)

    def _run(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._lock:
            if self._closed:
                raise BackendError(f"{self.path} is closed")
            try:
                self._conn.execute(sql, params)
            except sqlite3.Error as exc:
                raise BackendError(f"{self.path}: write failed: {exc}") from exc

    def bind(self, *, model_id: str, dim: int) -> None:
        with self._lock:
            meta = self._meta()
            stored = (meta.get("model_id"), meta.get("dim"))
            if stored == (None, None):
                with self._transaction():
                    self._conn.executemany(
                        f"INSERT INTO {_META} (key, value) VALUES (?, ?)",
                        [("model_id", model_id), ("dim", str(dim))],
                    )
            elif stored != (model_id, str(dim)):
                raise ConfigError(
                    f"{self.path} holds vectors of encoder {stored[0]!r} (dim {stored[1]}), "
                    f"not {model_id!r} (dim {dim}); use another file or the same encoder"
                )
            # Only a store this cache accepted is upgraded: a refused one stays as it was.
            self._upgrade_schema()

    def load(self, namespace: str | None = None) -> Iterator[Entry]:
        sql = f"SELECT {_COLUMNS} FROM {_ENTRIES}"
        params: tuple[str, ...] = ()
        if namespace is not None:
            sql += " WHERE namespace = ?"
            params = (namespace,)
        with self._lock:
            try:
                rows = self._conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise CorruptStoreError(f"{self.path}: unreadable entries: {exc}") from exc
        for row in rows:
            yield _entry_from_row(row, self.path)

    def put(self, entry: Entry) -> None:
        expires = None if math.isinf(entry.expires) else entry.expires
        self._run(
            f"INSERT OR REPLACE INTO {_ENTRIES} ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                entry.id,
                entry.namespace,
                entry.query,
                entry.norm,
                entry.key,
                entry.response,
                entry.vector,
                entry.created,
                expires,
                entry.last_access,
                entry.hits,
            ),
        )

    def delete(self, entry_id: int) -> None:
        self._run(f"DELETE FROM {_ENTRIES} WHERE id = ?", (entry_id,))

    def delete_namespace(self, namespace: str) -> None:
        self._run_all(
            [
                (f"DELETE FROM {_ENTRIES} WHERE namespace = ?", (namespace,)),
                (f"DELETE FROM {_BLOCKS} WHERE namespace = ?", (namespace,)),
            ]
        )

    def clear(self) -> None:
        self._run_all([(f"DELETE FROM {_ENTRIES}", ()), (f"DELETE FROM {_BLOCKS}", ())])

    def block(self, namespace: str, query_norm: str, matched_norm: str) -> None:
        self._run_all(
            [
                (
                    f"INSERT OR IGNORE INTO {_BLOCKS} "
                    "(namespace, query_norm, matched_norm, created) VALUES (?, ?, ?, ?)",
                    (namespace, query_norm, matched_norm, time.time()),
                )
            ],
            adds_block=True,
        )

    def load_blocks(self, namespace: str | None = None) -> Iterator[Block]:
        sql = f"SELECT namespace, query_norm, matched_norm FROM {_BLOCKS}"
        params: tuple[str, ...] = ()
        if namespace is not None:
            sql += " WHERE namespace = ?"
            params = (namespace,)
        with self._lock:
            if self._closed:
                raise BackendError(f"{self.path} is closed")
            if self._upgrade:
                return iter(())  # a version-1 store holds no blocks
            try:
                rows = self._conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise CorruptStoreError(f"{self.path}: unreadable blocks: {exc}") from exc
        blocks: list[Block] = []
        for row in rows:
            if not all(isinstance(value, str) for value in row):
                raise CorruptStoreError(f"{self.path}: damaged block {row!r}")
            blocks.append((row[0], row[1], row[2]))
        return iter(blocks)

    def _run_all(
        self, statements: Sequence[tuple[str, Sequence[Any]]], *, adds_block: bool = False
    ) -> None:
        """Several writes in one transaction. Adding a block upgrades a version-1 store
        (normally done by ``bind``); other writes skip the table it does not have yet."""
        with self._lock:
            if self._closed:
                raise BackendError(f"{self.path} is closed")
            if adds_block:
                self._upgrade_schema()
            elif self._upgrade:
                statements = [(sql, p) for sql, p in statements if _BLOCKS not in sql]
            try:
                with self._transaction():
                    for sql, params in statements:
                        self._conn.execute(sql, params)
            except sqlite3.Error as exc:
                raise BackendError(f"{self.path}: write failed: {exc}") from exc

    def touch(self, updates: Sequence[tuple[int, float, int]]) -> None:
        if not updates:
            return
        with self._lock:
            if self._closed:
                raise BackendError(f"{self.path} is closed")
            try:
                with self._transaction():
                    self._conn.executemany(
                        f"UPDATE {_ENTRIES} SET last_access = ?, hits = ? WHERE id = ?",
                        [(last, hits, entry_id) for entry_id, last, hits in updates],
                    )
            except sqlite3.Error as exc:
                raise BackendError(f"{self.path}: write failed: {exc}") from exc

    def index_dir(self) -> Path:
        """Where the cache may save its HNSW graphs, validated against the rows on open."""
        return self.path.with_name(self.path.name + ".index")

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            # Another connection may hold the WAL; the data is durable either way.
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()

    def __repr__(self) -> str:
        return f"SQLiteBackend({str(self.path)!r})"


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._conn.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _entry_from_row(row: tuple[Any, ...], path: Path) -> Entry:
    (entry_id, namespace, query, norm, key, response, vector, created, expires, last, hits) = row
    if not (
        isinstance(entry_id, int)
        and isinstance(namespace, str)
        and isinstance(query, str)
        and isinstance(norm, str)
        and isinstance(key, int)
        and isinstance(response, str)
        and isinstance(vector, bytes)
    ):
        raise CorruptStoreError(f"{path}: damaged row id={entry_id!r}")
    return Entry(
        id=entry_id,
        namespace=namespace,
        query=query,
        norm=norm,
        key=key,
        response=response,
        vector=vector,
        created=float(created),
        expires=math.inf if expires is None else float(expires),
        last_access=float(last),
        hits=int(hits),
    )
