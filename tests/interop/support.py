"""Helpers for tests that run the server the way real clients do: subprocesses, real ports, signed posts.

Shared by ``tests/test_http.py``, ``tests/interop/`` and ``tests/examples/``. Every
server listens on a loopback port; every wait polls with a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx

from ao_mcp.webhooks.signature import sign

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "tests" / "webhooks" / "samples"
EXAMPLES = REPO / "examples"
#: The console script of the virtualenv running the tests (what `pip install -e .` put there).
AO_MCP = Path(sys.executable).parent / "ao-mcp"
EVENTS_URI = "academyocean://webhooks/events"
TOOL_COUNT = 32


def in_ci() -> bool:
    """CI sets ``CI``: there a missing optional tool fails the test instead of skipping it."""
    return bool(os.environ.get("CI"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without any of the server's settings, plus ``extra``.

    A developer's own ``ACADEMYOCEAN_*`` or ``AO_MCP_*`` variables must not leak
    into a server under test (and must never make it call the real service).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AO_MCP_", "ACADEMYOCEAN_"))}
    env.update(extra)
    return env


def wait_for_port(port: int, process: subprocess.Popen[Any] | None = None, timeout: float = 20.0,
                  host: str = "127.0.0.1") -> None:
    """Return once ``host:port`` accepts connections; fail if ``process`` exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing listened on {host}:{port} within {timeout}s") from None
            time.sleep(0.05)


def stop(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Ask ``process`` to stop (SIGTERM, as a process manager would), then kill it if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


@contextmanager
def http_server(
    tmp_path: Path,
    env: Mapping[str, str],
    *,
    args: tuple[str, ...] = (),
    port: int | None = None,
    command: tuple[str, ...] | None = None,
) -> Iterator[tuple[str, Path]]:
    """Run ``ao-mcp --transport http`` on a free loopback port; yield its base URL and stderr log path.

    ``cwd`` is ``tmp_path`` so no ``.env`` of the developer's is read.
    """
    port = port or free_port()
    log = tmp_path / f"server-{port}.log"
    argv = list(command or (str(AO_MCP), "--transport", "http", "--host", "127.0.0.1", "--port", str(port), *args))
    with open(log, "wb") as errors:
        process = subprocess.Popen(argv, env=dict(env), cwd=tmp_path, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=errors)
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}", log
    finally:
        stop(process)
        stdout = process.stdout.read() if process.stdout else b""
        if process.stdout:
            process.stdout.close()
    assert stdout == b"", f"the HTTP server wrote to stdout: {stdout[:200]!r}"


def signed(payload: Mapping[str, Any] | bytes, secret: str) -> tuple[bytes, dict[str, str]]:
    """A body and the headers AcademyOcean sends with it (``Signature``: hex HMAC-SHA256 of the body)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
    return body, {"Content-Type": "application/json", "Signature": sign(body, secret)}


async def post_webhook(url: str, payload: Mapping[str, Any], secret: str | None, **headers: str) -> httpx.Response:
    """POST ``payload`` to a receiver, signed with ``secret`` (unsigned when ``None``)."""
    if secret is None:
        body, sent = json.dumps(payload).encode(), {"Content-Type": "application/json"}
    else:
        body, sent = signed(payload, secret)
    sent.update(headers)
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url, content=body, headers=sent)


def sample(name: str) -> dict[str, Any]:
    """One of the documentation's webhook samples, e.g. ``sample("course.finished")``."""
    return json.loads((SAMPLES / f"{name}.json").read_text())


@asynccontextmanager
async def http_client(url: str, *, token: str | None = None, headers: Mapping[str, str] | None = None,
                      **client_args: Any) -> AsyncIterator[Any]:
    """The official MCP client over streamable HTTP, with a bearer token when given."""
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    async with httpx2.AsyncClient(headers=sent, timeout=httpx2.Timeout(30, read=300)) as http:
        async with Client(streamable_http_client(url, http_client=http), **client_args) as client:
            yield client


async def wait_until(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> None:
    """Poll ``predicate()`` until it is true; fail after ``timeout`` seconds."""
    with anyio.fail_after(timeout):
        while not predicate():
            await anyio.sleep(interval)
