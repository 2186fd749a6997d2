"""A real redis-server for the Redis tests, started on a free loopback port and stopped afterwards.

Without ``redis-server`` (Debian package ``redis-server``) or the ``redis``
Python package these tests are skipped, except under CI (``CI`` set), where a
missing piece fails them loudly: a green CI must mean they ran.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} (CI must install it: apt-get install -y redis-server; pip install -e '.[test]')")
    pytest.skip(what)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisProcess:
    """One redis-server subprocess on 127.0.0.1; ``stop`` and ``start`` again keep the port (and, with ``dir``, the data)."""

    def __init__(self, binary: str, *, dir: Path | None = None) -> None:
        self.binary = binary
        self.port = free_port()
        self.dir = dir
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 15.0) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        if self.dir is not None:  # durable: every write in the append-only file before it is acknowledged
            args += ["--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "always"]
        else:
            args += ["--appendonly", "no"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode} on port {self.port}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout}s")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()  # SIGTERM: redis-server flushes its append-only file and exits
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("redis-server is not installed")
    try:
        import redis  # noqa: F401
    except ImportError:
        _missing("the redis package is not installed")
    return binary  # type: ignore[return-value]


@pytest.fixture(scope="session")
def redis_server(redis_binary: str) -> Iterator[RedisProcess]:
    """One throw-away redis-server for the session (no persistence)."""
    server = RedisProcess(redis_binary)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisProcess) -> str:
    """The session server's URL, emptied for this test."""
    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=5) as conn:
        conn.sendall(b"FLUSHALL\r\n")
        assert conn.recv(64).startswith(b"+OK")
    return redis_server.url()


@pytest.fixture
def durable_redis(redis_binary: str, tmp_path: Path) -> Iterator[RedisProcess]:
    """A redis-server of this test's own, persisting to ``tmp_path``, that the test may stop and restart."""
    server = RedisProcess(redis_binary, dir=tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def stores(redis_url: str) -> AsyncIterator[list[object]]:
    """Stores a test opens go in here and are closed after it."""
    opened: list[object] = []
    yield opened
    for store in opened:
        await store.close()  # type: ignore[attr-defined]
