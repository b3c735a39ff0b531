"""SQLite set-up shared by the cache's SQLite backend and the ledger (stdlib only)."""

from __future__ import annotations

import sqlite3
import time


def enable_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Put ``conn``'s file in WAL mode, waiting up to ``timeout`` s for other connections.

    Switching needs every other connection out of the file for a moment and does not go
    through the busy handler: a concurrent creator makes it fail at once with "database is
    locked", so retry as the busy timeout would. Shared by the cache and the ledger.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
