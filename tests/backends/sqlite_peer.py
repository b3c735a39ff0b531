"""A cache on an SQLite file, driven from another process: what several processes share.

``Peer`` starts a real process (from the forkserver, modules preloaded) that
opens a ``SemanticCache`` on the file and runs the commands it is sent, so a
test can interleave writes in one process with lookups in another that stays
open.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from semroute.backends import SQLiteBackend
from semroute.cache.cache import SemanticCache
from tests.fakes import FakeEncoder

# forkserver, as tests/backends/test_redis_processes.py: a child never inherits this
# process's threads or SQLite connections (fork would, and warns from Python 3.12).
_FORK = multiprocessing.get_context("forkserver")
_FORK.set_forkserver_preload(["tests.backends.sqlite_peer"])
DIM = 64


def _serve(path: str, conn: Connection, poll_interval: float) -> None:
    cache = SemanticCache(
        SQLiteBackend(path, poll_interval=poll_interval),
        encoder=FakeEncoder(DIM),
        max_entries=None,
    )
    try:
        while True:
            command, args, kwargs = conn.recv()
            if command == "stop":
                break
            try:
                result = _run(cache, command, args, kwargs)
            except Exception as exc:  # reported to the test, which fails on it
                conn.send(("error", f"{type(exc).__name__}: {exc}"))
            else:
                conn.send(("ok", result))
    finally:
        cache.close()
        conn.send(("ok", None))


def _run(cache: SemanticCache, command: str, args: Any, kwargs: Any) -> Any:
    if command == "answer":  # the response served, or None: what a caller sees
        hit = cache.get(*args, **kwargs)
        return None if hit is None else hit.response
    if command == "len":
        cache._follow()
        return len(cache)
    result = getattr(cache, command)(*args, **kwargs)
    return None if command in ("report_wrong", "get") else result


class Peer:
    """A cache in another process; each method call runs there and returns its result."""

    def __init__(self, path: Path, *, poll_interval: float = 0.0) -> None:
        self._conn, child = _FORK.Pipe()
        self._proc = _FORK.Process(target=_serve, args=(str(path), child, poll_interval))
        self._proc.start()
        child.close()

    def call(self, command: str, *args: Any, **kwargs: Any) -> Any:
        self._conn.send((command, args, kwargs))
        if not self._conn.poll(60):
            raise TimeoutError(f"peer did not answer {command}")
        status, result = self._conn.recv()
        if status != "ok":
            raise AssertionError(f"peer {command} failed: {result}")
        return result

    def close(self) -> None:
        if self._proc.is_alive():
            self.call("stop")
        self._proc.join(30)
        self._conn.close()

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
