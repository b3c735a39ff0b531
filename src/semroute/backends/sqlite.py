"""SQLite persistence: one file, WAL, one row per (namespace, query), shared by processes.

Several processes (or several caches in one process) may open the same file. Every
write is one ``BEGIN IMMEDIATE`` transaction that also appends to a change table;
each backend follows that table (cheaply: only when ``PRAGMA data_version`` says
another connection committed) and hands the changes to its cache through
``poll()``, as the Redis backend hands over its stream.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from semroute._entry import Entry
from semroute._sqlite import enable_wal
from semroute.backends._base import Block, Change
from semroute.errors import BackendError, ConfigError, CorruptStoreError

_FORMAT = "semroute-cache"
_META = "semroute_meta"
_ENTRIES = "semroute_entries"
_BLOCKS = "semroute_blocks"
_CHANGES = "semroute_changes"
#: The SQLite file's own schema version (Redis stores follow ``backends.SCHEMA_VERSION``).
#: 2 added the report_wrong blocks; 3 one row per (namespace, normalised query) and
#: the change table other processes follow.
SQLITE_SCHEMA_VERSION = 3
# Schema versions this code opens; the older ones are upgraded once bound (or blocked).
_UPGRADABLE = ("1", "2")
# Change rows kept for followers; one further behind reloads the whole store.
_KEEP_CHANGES = 20_000
_TRIM_EVERY = 512
_BLOCKS_TABLE = f"""
CREATE TABLE IF NOT EXISTS {_BLOCKS} (
    namespace TEXT NOT NULL,
    query_norm TEXT NOT NULL,
    matched_norm TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (namespace, query_norm, matched_norm)
) WITHOUT ROWID
"""
# AUTOINCREMENT: sequence numbers never go back, even after trimming; a rolled-back
# write takes none, so a follower detects a gap by counting.
_CHANGES_TABLE = f"""
CREATE TABLE IF NOT EXISTS {_CHANGES} (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    src INTEGER NOT NULL,
    op TEXT NOT NULL,
    entry_id INTEGER,
    namespace TEXT,
    query_norm TEXT,
    matched_norm TEXT
)
"""
_UNIQUE_KEY = f"CREATE UNIQUE INDEX IF NOT EXISTS {_ENTRIES}_key ON {_ENTRIES} (namespace, norm)"
# Keep the newest row of each (namespace, norm): what a version-2 cache served last.
_DEDUPLICATE = f"""
DELETE FROM {_ENTRIES} WHERE id IN (
    SELECT id FROM (
        SELECT id, ROW_NUMBER() OVER (
            PARTITION BY namespace, norm ORDER BY created DESC, id DESC
        ) AS rank FROM {_ENTRIES}
    ) WHERE rank > 1
)
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
{_UNIQUE_KEY};
{_BLOCKS_TABLE};
{_CHANGES_TABLE};
"""


class SQLiteBackend:
    """Entries in one SQLite file (stdlib ``sqlite3``, WAL journal).

    Each write is its own transaction, so a process killed mid-write loses at
    most that entry. ``synchronous="NORMAL"`` (the default) survives a process
    crash; ``"FULL"`` also survives power loss at some cost per write. A file
    that is not a semroute store (anything but an empty file or a semroute
    store: another table, a view, a ``user_version``) raises
    ``CorruptStoreError``; one written by another schema or encoder raises
    ``ConfigError``; neither is ever modified. A store of schema version 1 or
    2 is upgraded in ``bind``, once its encoder matched: the blocks and change
    tables are added and duplicate rows of one query are reduced to the newest.

    Several processes may share the file. It holds one row per (namespace,
    normalised query): the last write wins. Every put, delete and block is
    also appended to a change table, and ``poll()`` (called by the cache
    before each lookup and write) returns what other connections changed, so
    their deletes, ``report_wrong`` blocks and answers reach this cache within
    ``poll_interval`` seconds (0, the default: every lookup checks, which took
    an exact repeat from 7.6 to 10.9 µs p50; ``benchmarks/backends/sqlite_follow.py``).

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
        poll_interval: float = 0.0,
    ) -> None:
        if synchronous not in ("OFF", "NORMAL", "FULL"):
            raise ConfigError(f"synchronous must be OFF, NORMAL or FULL, not {synchronous!r}")
        if (
            isinstance(poll_interval, bool)
            or not isinstance(poll_interval, int | float)
            or not 0 <= poll_interval < math.inf
        ):
            raise ConfigError(f"poll_interval must be a finite number >= 0, not {poll_interval!r}")
        self.path = Path(path)
        self.poll_interval = float(poll_interval)
        self._lock = threading.Lock()
        self._closed = False
        self._upgrade = False  # an older store: upgraded once bound (or a block is written)
        self._src = secrets.randbits(62)  # this connection's mark on its own changes
        self._writes = 0
        self._seq = 0  # the last change this backend has reported (or made)
        self._data_version: int | None = None
        self._next_poll = 0.0
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
        except (sqlite3.Error, OSError) as exc:
            raise BackendError(f"cannot open {self.path}: {exc}") from exc
        try:
            self._open()
            self._wal(synchronous, timeout)
            self._seq = self._high_seq()
        except sqlite3.Error as exc:
            self._conn.close()
            raise BackendError(f"cannot open {self.path}: {exc}") from exc
        except BaseException:
            self._conn.close()
            raise

    def _wal(self, synchronous: str, timeout: float) -> None:
        enable_wal(self._conn, timeout)
        self._conn.execute(f"PRAGMA synchronous={synchronous}")

    def _schema(self) -> tuple[set[str], bool]:
        """The semroute-relevant tables, and whether the file holds anything at all."""
        try:
            rows = self._conn.execute("SELECT type, name FROM sqlite_master").fetchall()
            user_version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            application_id = self._conn.execute("PRAGMA application_id").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise CorruptStoreError(f"{self.path} is not a SQLite database: {exc}") from exc
        tables = {str(name) for kind, name in rows if kind == "table"}
        return tables, bool(rows) or user_version != 0 or application_id != 0

    def _open(self) -> None:
        tables, holds_anything = self._schema()
        if not holds_anything:
            # Empty: create the schema, unless a concurrent creator did it first (checked
            # again inside the write transaction, which waits for the creator to commit).
            with self._transaction():
                tables, holds_anything = self._schema()
                if not holds_anything:
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            self._conn.execute(statement)
                    self._conn.executemany(
                        f"INSERT INTO {_META} (key, value) VALUES (?, ?)",
                        [("format", _FORMAT), ("schema_version", str(SQLITE_SCHEMA_VERSION))],
                    )
                    return
        # A foreign file (a view, a user_version, another table) is refused untouched.
        if _META not in tables or _ENTRIES not in tables:
            raise CorruptStoreError(f"{self.path} is a SQLite database but not a semroute store")
        meta = self._meta()
        if meta.get("format") != _FORMAT:
            raise CorruptStoreError(f"{self.path} is not a semroute cache store")
        version = meta.get("schema_version")
        if version in _UPGRADABLE:
            self._upgrade = True
        elif version != str(SQLITE_SCHEMA_VERSION):
            raise ConfigError(
                f"{self.path} has schema version {version!r}; "
                f"this semroute reads versions {', '.join(_UPGRADABLE)} and "
                f"{SQLITE_SCHEMA_VERSION}"
            )
        else:
            for needed in (_BLOCKS, _CHANGES):
                if needed not in tables:
                    raise CorruptStoreError(
                        f"{self.path}: schema version {version} without {needed}"
                    )

    def _upgrade_schema(self) -> None:
        """Bring an older store to the current schema; the caller holds the lock.
        Checked again inside the transaction, so two processes upgrading at once both
        succeed and the second changes nothing."""
        if not self._upgrade:
            return
        try:
            with self._transaction():
                row = self._conn.execute(
                    f"SELECT value FROM {_META} WHERE key = 'schema_version'"
                ).fetchone()
                if row is not None and row[0] in _UPGRADABLE:
                    self._conn.execute(_BLOCKS_TABLE)
                    self._conn.execute(_CHANGES_TABLE)
                    self._conn.execute(_DEDUPLICATE)
                    self._conn.execute(_UNIQUE_KEY)
                    self._conn.execute(
                        f"UPDATE {_META} SET value = ? WHERE key = 'schema_version'",
                        (str(SQLITE_SCHEMA_VERSION),),
                    )
        except sqlite3.Error as exc:
            raise BackendError(f"{self.path}: cannot upgrade the schema: {exc}") from exc
        self._upgrade = False
        self._seq = self._high_seq()

    def _meta(self) -> dict[str, str]:
        try:
            return {
                str(k): str(v) for k, v in self._conn.execute(f"SELECT key, value FROM {_META}")
            }
        except sqlite3.DatabaseError as exc:
            raise CorruptStoreError(f"{self.path}: unreadable settings: {exc}") from exc

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)

    def _check_open(self) -> None:
        if self._closed:
            raise BackendError(f"{self.path} is closed")

    def bind(self, *, model_id: str, dim: int) -> None:
        with self._lock:
            self._check_open()
            meta = self._meta()
            stored = (meta.get("model_id"), meta.get("dim"))
            if stored == (None, None):
                try:
                    with self._transaction():
                        # OR IGNORE: a concurrent binder may have written them meanwhile;
                        # the check below then compares against what it wrote.
                        self._conn.executemany(
                            f"INSERT OR IGNORE INTO {_META} (key, value) VALUES (?, ?)",
                            [("model_id", model_id), ("dim", str(dim))],
                        )
                except sqlite3.Error as exc:
                    raise BackendError(f"{self.path}: write failed: {exc}") from exc
                meta = self._meta()
                stored = (meta.get("model_id"), meta.get("dim"))
            if stored != (model_id, str(dim)):
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
            self._check_open()
            try:
                with _Read(self._conn):
                    # Read in one snapshot with the change position: following from it
                    # then replays nothing twice that matters and misses nothing.
                    if namespace is None:
                        self._data_version = self._version()
                        self._seq = self._high_seq()
                    rows = self._conn.execute(sql, params).fetchall()
            except sqlite3.DatabaseError as exc:
                raise CorruptStoreError(f"{self.path}: unreadable entries: {exc}") from exc
        for row in rows:
            yield _entry_from_row(row, self.path)

    def put(self, entry: Entry) -> None:
        expires = None if math.isinf(entry.expires) else entry.expires
        values = (
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
        )
        # One row per (namespace, norm) and per id: whatever either names is replaced.
        self._write(
            [
                (
                    f"DELETE FROM {_ENTRIES} WHERE id = ? OR (namespace = ? AND norm = ?)",
                    (entry.id, entry.namespace, entry.norm),
                ),
                (f"INSERT INTO {_ENTRIES} ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", values),
            ],
            ("put", entry.id, None, None, None),
        )

    def delete(self, entry_id: int) -> None:
        self._write(
            [(f"DELETE FROM {_ENTRIES} WHERE id = ?", (entry_id,))],
            ("delete", entry_id, None, None, None),
        )

    def delete_namespace(self, namespace: str) -> None:
        self._write(
            [
                (f"DELETE FROM {_ENTRIES} WHERE namespace = ?", (namespace,)),
                (f"DELETE FROM {_BLOCKS} WHERE namespace = ?", (namespace,)),
            ],
            ("delete_namespace", None, namespace, None, None),
        )

    def clear(self) -> None:
        self._write(
            [(f"DELETE FROM {_ENTRIES}", ()), (f"DELETE FROM {_BLOCKS}", ())],
            ("clear", None, None, None, None),
        )

    def block(self, namespace: str, query_norm: str, matched_norm: str) -> None:
        self._write(
            [
                (
                    f"INSERT OR IGNORE INTO {_BLOCKS} "
                    "(namespace, query_norm, matched_norm, created) VALUES (?, ?, ?, ?)",
                    (namespace, query_norm, matched_norm, time.time()),
                )
            ],
            ("block", None, namespace, query_norm, matched_norm),
            adds_block=True,
        )

    def load_blocks(self, namespace: str | None = None) -> Iterator[Block]:
        with self._lock:
            self._check_open()
            if self._upgrade:
                return iter(())  # an older store not yet bound; version 1 holds no blocks
            try:
                return iter(self._blocks(namespace))
            except sqlite3.DatabaseError as exc:
                raise CorruptStoreError(f"{self.path}: unreadable blocks: {exc}") from exc

    def _blocks(self, namespace: str | None) -> list[Block]:
        sql = f"SELECT namespace, query_norm, matched_norm FROM {_BLOCKS}"
        params: tuple[str, ...] = ()
        if namespace is not None:
            sql += " WHERE namespace = ?"
            params = (namespace,)
        blocks: list[Block] = []
        for row in self._conn.execute(sql, params).fetchall():
            if not all(isinstance(value, str) for value in row):
                raise CorruptStoreError(f"{self.path}: damaged block {row!r}")
            blocks.append((row[0], row[1], row[2]))
        return blocks

    def _write(
        self,
        statements: Sequence[tuple[str, Sequence[Any]]],
        change: tuple[str, int | None, str | None, str | None, str | None],
        *,
        adds_block: bool = False,
    ) -> None:
        """Several writes and their change record in one transaction. Adding a block
        upgrades an older store (normally done by ``bind``); other writes to a store
        not yet upgraded skip the tables it lacks and record no change."""
        with self._lock:
            self._check_open()
            if adds_block:
                self._upgrade_schema()
            upgraded = not self._upgrade
            if not upgraded:
                statements = [(sql, p) for sql, p in statements if _BLOCKS not in sql]
            try:
                with self._transaction():
                    for sql, params in statements:
                        self._conn.execute(sql, params)
                    if upgraded:
                        self._record(*change)
            except sqlite3.Error as exc:
                raise BackendError(f"{self.path}: write failed: {exc}") from exc

    def _record(
        self,
        op: str,
        entry_id: int | None,
        namespace: str | None,
        query_norm: str | None,
        matched_norm: str | None,
    ) -> None:
        """Append a change inside the caller's transaction; trim old ones now and then."""
        cursor = self._conn.execute(
            f"INSERT INTO {_CHANGES} (src, op, entry_id, namespace, query_norm, matched_norm) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (self._src, op, entry_id, namespace, query_norm, matched_norm),
        )
        seq = int(cursor.lastrowid or 0)
        if self._seq == seq - 1:
            self._seq = seq  # nothing of others' in between: no need to read our own back
        self._writes += 1
        if self._writes % _TRIM_EVERY == 0:
            self._conn.execute(f"DELETE FROM {_CHANGES} WHERE seq <= ?", (seq - _KEEP_CHANGES,))

    # -- following other connections' changes (the cache calls poll before lookups) ------

    def _version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _high_seq(self) -> int:
        if self._upgrade:
            return 0
        row = self._conn.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = ?", (_CHANGES,)
        ).fetchone()
        return int(row[0]) if row is not None else 0

    def poll(self) -> Sequence[Change]:
        """Changes other connections committed since the last call, oldest first.

        A follower that fell more than the kept changes behind (or saw the file
        replaced) gets ``clear`` followed by every entry and block: the store's
        state, never a stale one. ``delete_namespace`` and ``clear`` are likewise
        followed by the rows the store holds then, so a write of this process
        committed after them is not lost from its own mirror.
        """
        with self._lock:
            if self._closed or self._upgrade:
                return ()
            if self.poll_interval:
                now = time.monotonic()
                if now < self._next_poll:
                    return ()
                self._next_poll = now + self.poll_interval
            try:
                version = self._version()
                if version == self._data_version:
                    return ()
                with _Read(self._conn):
                    changes, high = self._changes_since()
                # Only now, all read: an error above leaves the position for a retry.
                self._data_version, self._seq = version, high
            except sqlite3.OperationalError:
                # Busy beyond the timeout (a checkpoint, a recovery): nothing was consumed,
                # so the next lookup reads the same changes; a lookup must not fail on it.
                return ()
            except sqlite3.Error as exc:
                raise BackendError(f"{self.path}: cannot read changes: {exc}") from exc
            return changes

    def _changes_since(self) -> tuple[list[Change], int]:
        """What others changed after ``self._seq``, and the position it brings us to."""
        high = self._high_seq()
        if high == self._seq:
            return [], high
        rows = self._conn.execute(
            f"SELECT seq, src, op, entry_id, namespace, query_norm, matched_norm "
            f"FROM {_CHANGES} WHERE seq > ? ORDER BY seq",
            (self._seq,),
        ).fetchall()
        if high < self._seq or len(rows) != high - self._seq:
            # Trimmed past us, or the file was replaced by another copy: reload it all.
            return self._snapshot(None), high
        changes: list[Change] = []
        for _, src, op, entry_id, namespace, query_norm, matched_norm in rows:
            if src == self._src:
                continue
            if op == "put":
                entry = self._entry(entry_id)
                if entry is not None:  # gone since: a later change says why
                    changes.append(Change("put", entry=entry))
            elif op == "delete":
                changes.append(Change("delete", entry_id=int(entry_id)))
            elif op == "block":
                changes.append(
                    Change(
                        "block",
                        namespace=namespace,
                        query_norm=query_norm,
                        matched_norm=matched_norm,
                    )
                )
            elif op == "delete_namespace":
                changes.extend(self._snapshot(str(namespace)))
            elif op == "clear":
                changes.extend(self._snapshot(None))
        return changes, high

    def _snapshot(self, namespace: str | None) -> list[Change]:
        """Drop (a namespace or all) then put back what the store holds in this read."""
        head = (
            Change("clear")
            if namespace is None
            else Change("delete_namespace", namespace=namespace)
        )
        sql = f"SELECT {_COLUMNS} FROM {_ENTRIES}"
        params: tuple[str, ...] = ()
        if namespace is not None:
            sql += " WHERE namespace = ?"
            params = (namespace,)
        changes = [head]
        for row in self._conn.execute(sql, params).fetchall():
            with contextlib.suppress(CorruptStoreError):  # a damaged row is skipped
                changes.append(Change("put", entry=_entry_from_row(row, self.path)))
        changes.extend(
            Change("block", namespace=ns, query_norm=query, matched_norm=matched)
            for ns, query, matched in self._blocks(namespace)
        )
        return changes

    def _entry(self, entry_id: int) -> Entry | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM {_ENTRIES} WHERE id = ?", (entry_id,)
        ).fetchone()
        if row is None:
            return None
        try:
            return _entry_from_row(row, self.path)
        except CorruptStoreError:
            return None

    def touch(self, updates: Sequence[tuple[int, float, int]]) -> None:
        if not updates:
            return
        with self._lock:
            self._check_open()
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
    """``BEGIN IMMEDIATE``: takes the write lock at once (waiting up to the busy
    timeout), so a transaction never fails half-way on a concurrent writer."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._conn.execute("COMMIT" if exc_type is None else "ROLLBACK")


class _Read:
    """One read snapshot over several statements (WAL readers never block writers)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN")

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
