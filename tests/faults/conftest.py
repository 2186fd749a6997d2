"""Fixtures of the fault and load suite: the secret watch over all logs, a sandbox served on loopback.

The watch is installed on the root logger for the whole package (at DEBUG, so
that nothing a secret could hide in goes unseen) and every test is checked
after it ran: no log record of this process and no stderr of a subprocess the
test started may contain a client secret, token, webhook secret or HTTP token.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial

import anyio.from_thread
import pytest

from ao_mcp.sandbox import Sandbox, SandboxConfig, serve

from .helpers import CLIENT_ID, CLIENT_SECRET, SANDBOX_WEBHOOK_SECRET, SecretWatch, ServedSandbox, free_port


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="package")
def secret_watch() -> Iterator[SecretWatch]:
    watch = SecretWatch()
    root = logging.getLogger()
    level = root.level
    root.addHandler(watch)
    root.setLevel(logging.DEBUG)
    try:
        yield watch
    finally:
        root.removeHandler(watch)
        root.setLevel(level)
    leaks = watch.leaks()
    assert not leaks, "secrets in the logs of the fault suite:\n" + "\n".join(leaks[:20])


@pytest.fixture(autouse=True)
def no_secrets_in_logs(secret_watch: SecretWatch) -> Iterator[None]:
    """After each test: none of its log lines nor its subprocesses' stderr holds a secret."""
    since, files = len(secret_watch.lines), len(secret_watch.files)
    yield
    leaks = secret_watch.leaks(since, secret_watch.files[files:])
    assert not leaks, "secrets in the logs:\n" + "\n".join(leaks[:20])


@pytest.fixture(scope="package")
def served_sandbox(secret_watch: SecretWatch) -> Iterator[ServedSandbox]:
    """One sandbox for the package, served by uvicorn on a loopback port from a background thread."""
    config = SandboxConfig(seed=11, learners=40, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                           webhook_secret=SANDBOX_WEBHOOK_SECRET, activity_interval=0.0)
    sandbox = Sandbox(config)
    issue = sandbox.tokens.issue

    def issue_and_watch() -> str:  # every token the sandbox hands out is a secret to look for
        token = issue()
        secret_watch.add_secret(token)
        return token

    sandbox.tokens.issue = issue_and_watch  # type: ignore[method-assign]
    port = free_port()
    with anyio.from_thread.start_blocking_portal(backend="asyncio") as portal:
        future = portal.start_task_soon(partial(serve, host="127.0.0.1", port=port, sandbox=sandbox))
        deadline = time.monotonic() + 20
        while True:
            if future.done():
                future.result()  # serve() ended early: raise its error
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the sandbox did not start serving") from None
                time.sleep(0.02)
        try:
            yield ServedSandbox(sandbox, f"http://127.0.0.1:{port}")
        finally:
            future.cancel()
            try:
                future.result(timeout=10)
            except (CancelledError, FutureTimeout):
                pass


@pytest.fixture
def api(served_sandbox: ServedSandbox) -> ServedSandbox:
    """The served sandbox with no fault armed and its counters at zero."""
    served_sandbox.sandbox.faults.clear()
    served_sandbox.sandbox.stats.reset()
    return served_sandbox
