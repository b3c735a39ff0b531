"""The ledger's SQLite database: open by URL, write batches, answer queries.

``sqlite:///path`` (or a plain path) is a file several processes may share: WAL
journal, so readers never wait for the writer, and a busy timeout, so two writers
take turns instead of failing. ``memory://`` is a private in-memory database for
tests and short scripts; it dies with the process.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from semroute._sqlite import enable_wal
from semroute.errors import BackendError, ConfigError, CorruptStoreError
from semroute.ledger._row import COLUMNS, SCHEMA_SQL

__all__ = ["LEDGER_SCHEMA_VERSION", "LedgerStore", "parse_url"]

_NO_LOCK = contextlib.nullcontext()
LEDGER_SCHEMA_VERSION = "1"
_BUSY_TIMEOUT_MS = 10_000
_INSERT = (
    f"INSERT INTO calls ({', '.join(n for n, _ in COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in COLUMNS)})"
)
_NAMES = [name for name, _ in COLUMNS]
_TS, _TAGS, _COST = _NAMES.index("ts"), _NAMES.index("tags"), _NAMES.index("cost_usd")
_ADD_DAILY = (
    "INSERT INTO spend_daily (day, tags, cost_usd, calls) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (day, tags) DO UPDATE SET cost_usd = cost_usd + excluded.cost_usd, "
    "calls = calls + excluded.calls"
)


def _daily(rows: Sequence[tuple[Any, ...]]) -> list[tuple[int, str, float, int]]:
    """The batch's spend per UTC day and tag set (unknown costs add nothing)."""
    sums: dict[tuple[int, str], list[float]] = {}
    for row in rows:
        acc = sums.setdefault((int(row[_TS] // 86400), row[_TAGS]), [0.0, 0])
        acc[0] += row[_COST] or 0.0
        acc[1] += 1
    return [(day, tags, cost, int(calls)) for (day, tags), (cost, calls) in sums.items()]


def parse_url(spec: str | os.PathLike[str]) -> str | None:
    """The file path of a ledger URL, or ``None`` for ``memory://``.

    >>> parse_url("sqlite:///ledger.db"), parse_url("sqlite:////tmp/l.db"), parse_url("memory://")
    ('ledger.db', '/tmp/l.db', None)
    """
    if isinstance(spec, os.PathLike):
        return os.fspath(spec)
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"ledger must be 'sqlite:///path', 'memory://' or a path, got {spec!r}")
    if "://" not in spec:
        return spec
    scheme = urlsplit(spec).scheme.lower()
    if scheme == "memory":
        return None
    if scheme == "sqlite":
        # sqlite:///rel.db -> "rel.db"; sqlite:////abs.db -> "/abs.db" (SQLAlchemy's rule).
        path = unquote(spec.split("://", 1)[1])
        path = path[1:] if path.startswith("/") else path
        if path:
            return path
    raise ConfigError(f"ledger must be 'sqlite:///path', 'memory://' or a path, got {spec!r}")


class LedgerStore:
    """One SQLite connection shared by the writer thread and queries, behind a lock."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.label = "memory://" if path is None else path
        self._lock = threading.Lock()
        try:
            if path is not None:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE in write()).
            self._conn = sqlite3.connect(
                ":memory:" if path is None else path,
                timeout=_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            self._conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            if path is not None:
                enable_wal(self._conn, _BUSY_TIMEOUT_MS / 1000)
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(SCHEMA_SQL)
            self._check_schema()
            # Reads get their own connection on a file (WAL lets them run beside a write),
            # so a budget check never waits for the writer's batch to commit.
            self._read_conn = self._conn
            self._read_lock = self._lock
            if path is not None:
                self._read_conn = sqlite3.connect(
                    path,
                    timeout=_BUSY_TIMEOUT_MS / 1000,
                    isolation_level=None,
                    check_same_thread=False,
                )
                self._read_lock = threading.Lock()
        except sqlite3.DatabaseError as exc:
            raise CorruptStoreError(f"cannot open ledger {self.label}: {exc}") from exc

    def _check_schema(self) -> None:
        self._conn.execute(
            "INSERT OR IGNORE INTO ledger_meta (key, value) VALUES ('schema', ?)",
            (LEDGER_SCHEMA_VERSION,),
        )
        (stored,) = self._conn.execute(
            "SELECT value FROM ledger_meta WHERE key = 'schema'"
        ).fetchone()
        if stored != LEDGER_SCHEMA_VERSION:
            raise ConfigError(
                f"ledger {self.label} has schema {stored}, this semroute writes "
                f"{LEDGER_SCHEMA_VERSION}"
            )

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert ``rows`` and add them to the daily spend, in one transaction."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany(_INSERT, rows)
                self._conn.executemany(_ADD_DAILY, _daily(rows))
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise BackendError(f"ledger {self.label}: write failed: {exc}") from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read-only statement."""
        with self._read_lock:
            try:
                return self._read_conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise BackendError(f"ledger {self.label}: query failed: {exc}") from exc

    def insert_once(self, sql: str, params: Sequence[Any]) -> bool:
        """Run an ``INSERT OR IGNORE``; True when this call inserted the row."""
        with self._lock:
            try:
                return self._conn.execute(sql, params).rowcount == 1
            except sqlite3.Error as exc:
                raise BackendError(f"ledger {self.label}: write failed: {exc}") from exc

    def close(self) -> None:
        with self._lock, self._read_lock if self._read_conn is not self._conn else _NO_LOCK:
            self._conn.close()
            self._read_conn.close()
