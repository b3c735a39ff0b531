"""Every backend runs the same suite: add a factory here and it joins (Redis later)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from semroute.backends import Backend, MemoryBackend, SQLiteBackend

# name -> factory(tmp_path) returning an opened store. A factory may skip when its
# server is absent (a Redis factory would check its URL first).
FACTORIES: dict[str, Callable[[Path], Backend]] = {
    "memory": lambda tmp: MemoryBackend(),
    "sqlite": lambda tmp: SQLiteBackend(tmp / "store.db"),
}

# Backends whose data outlives the object, so a new object on the same place sees it.
REOPENERS: dict[str, Callable[[Path], Backend]] = {
    "sqlite": lambda tmp: SQLiteBackend(tmp / "store.db"),
}


@pytest.fixture(params=sorted(FACTORIES))
def backend_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def backend(backend_name: str, tmp_path: Path) -> Iterator[Backend]:
    store = FACTORIES[backend_name](tmp_path)
    yield store
    store.close()
