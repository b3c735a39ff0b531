"""Start and stop private ``redis-server`` processes on loopback ports for the tests.

Each server lives in its own temporary directory on a free 127.0.0.1 port;
tests that kill and restart one keep its port, so clients reconnect to the
same URL. Without ``redis-server`` on PATH the tests that need one skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REDIS_SERVER = shutil.which("redis-server")
requires_redis = pytest.mark.skipif(
    REDIS_SERVER is None, reason="redis-server is not on PATH (apt-get install redis-server)"
)
CLIENT_MISSING = "the redis client is not installed: pip install 'semroute[redis]'"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One ``redis-server``; ``durable=True`` turns on appendonly with fsync per write."""

    def __init__(self, directory: Path, *, durable: bool = False) -> None:
        if REDIS_SERVER is None:
            pytest.skip("redis-server is not on PATH (apt-get install redis-server)")
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.durable = durable
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, name: str | None = None) -> str:
        base = f"redis://127.0.0.1:{self.port}/0"
        return base if name is None else f"{base}?name={name}"

    def start(self, timeout: float = 10.0) -> None:
        assert REDIS_SERVER is not None
        args = [
            REDIS_SERVER,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--save", "",
            "--appendonly", "yes" if self.durable else "no",
            "--appendfsync", "always",
            "--daemonize", "no",
            "--loglevel", "warning",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.directory / "redis.log").read_text(errors="replace")
                raise RuntimeError(f"redis-server exited: {log[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not answer on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: no shutdown save, exactly like a crash."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def running_server(directory: Path, *, durable: bool = False) -> Iterator[RedisServer]:
    """A started server, stopped afterwards: the body of a fixture."""
    server = RedisServer(directory, durable=durable)
    server.start()
    try:
        yield server
    finally:
        server.stop()
