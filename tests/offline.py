"""A fixture that refuses every connection but loopback: litellm and friends reach for the
network at import or call time, and a test must never depend on it."""

from __future__ import annotations

import socket
from typing import Any

import pytest

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Autouse in every test module that imports it."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if self.family == socket.AF_UNIX or address[0] in _LOOPBACK:
            return real_connect(self, address)
        raise OSError(f"network disabled in this test: {address!r}")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in _LOOPBACK or host is None:
            return real_getaddrinfo(host, *args, **kwargs)
        raise OSError(f"name resolution disabled in this test: {host!r}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
