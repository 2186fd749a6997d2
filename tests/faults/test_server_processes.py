"""The server as a process: faults through ``ao-mcp`` over stdio, and ``kill -9`` during webhook ingest.

Each subprocess's stderr goes to a file the secret watch reads after the test
(the server logs at debug level here, so that a secret anywhere would show).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from ao_mcp.sandbox import Fault
from ao_mcp.webhooks import sign

from .helpers import (
    DEADLINE,
    HTTP_TOKEN,
    RETRIES,
    SLACK,
    WEBHOOK_SECRET,
    SecretWatch,
    ServedSandbox,
    free_port,
    server_environment,
    text_of,
)

pytestmark = pytest.mark.anyio


def ao_mcp_command() -> list[str]:
    script = Path(sys.executable).parent / "ao-mcp"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ao_mcp"]


async def test_faults_through_an_ao_mcp_process_over_stdio(
    api: ServedSandbox, secret_watch: SecretWatch, tmp_path: Path
) -> None:
    command = ao_mcp_command()
    params = StdioServerParameters(command=command[0], args=command[1:], env=server_environment(api.url), cwd=tmp_path)
    stderr = secret_watch.add_file(tmp_path / "ao-mcp.stderr")
    with stderr.open("w") as errlog, anyio.fail_after(60):
        async with Client(stdio_client(params, errlog=errlog)) as client:
            assert not (await client.call_tool("academies", {})).is_error

            api.sandbox.faults.add(Fault(kind="status", status=503, count=None))
            api.sandbox.stats.reset()
            started = time.monotonic()
            read = await client.call_tool("courses", {})
            assert time.monotonic() - started < DEADLINE + SLACK
            assert read.is_error and f"HTTP 503 after {RETRIES + 1} attempts" in text_of(read)
            assert api.requests_for("courses") == RETRIES + 1
            write = await client.call_tool("return_learners_access", {"learners": [api.learner_email()]})
            assert write.is_error and "(HTTP 503)" in text_of(write)
            assert api.requests_for("returnLearnersAccess") == 1
            api.sandbox.faults.clear()
            assert not (await client.call_tool("courses", {})).is_error

            # The token expires early and the token endpoint is down: a clear error, then recovery.
            api.sandbox.expire_tokens()
            api.sandbox.faults.add(Fault(kind="status", status=503, endpoint="token", count=None))
            down = await client.call_tool("courses", {})
            assert down.is_error and "token endpoint failed with HTTP 503" in text_of(down)
            api.sandbox.faults.clear()
            api.sandbox.stats.reset()
            back = await client.call_tool("courses", {})
            assert not back.is_error, text_of(back)
            assert api.stats.token_requests == 1
    log = stderr.read_text()
    assert "Retrying courses after HTTP 503" in log  # the watch reads a real, debug-level log


# --- kill -9 during webhook ingest --------------------------------------------------------------------------


def start_http_server(api: ServedSandbox, port: int, database: Path, stderr: Path, cwd: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACADEMYOCEAN_", "AO_MCP_"))}
    env.update(server_environment(api.url, ACADEMYOCEAN_WEBHOOK_SECRET=WEBHOOK_SECRET, AO_MCP_HTTP_TOKEN=HTTP_TOKEN,
                                  AO_MCP_EVENT_STORE=f"sqlite:///{database}", AO_MCP_EVENT_BUFFER_SIZE="100000"))
    with stderr.open("ab") as log:
        return subprocess.Popen([*ao_mcp_command(), "--transport", "http", "--port", str(port)], env=env, cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)


async def wait_until_serving(base: str, proc: subprocess.Popen[bytes]) -> None:
    with anyio.fail_after(30):
        async with httpx.AsyncClient(timeout=1) as http:
            while True:
                assert proc.poll() is None, "the server exited while starting"
                try:
                    await http.get(f"{base}/mcp")
                    return
                except httpx.TransportError:
                    await anyio.sleep(0.05)


def event(n: int) -> tuple[str, bytes]:
    event_id = f"kill-{n}"
    body = (b'{"id":"%s","event":"lesson.finished","academy":{"id":"a","name":"A"},'
            b'"course":{"id":"c","name":"C"},"learner":{"email":"kim@example.com","full_name":"Kim"}}'
            % event_id.encode())
    return event_id, body


async def stored_ids(base: str, most: int) -> list[str]:
    """Every event the server holds, paged through the webhook_events tool over authenticated HTTP."""
    ids: list[str] = []
    after = 0
    async with create_mcp_http_client(headers={"Authorization": f"Bearer {HTTP_TOKEN}"}) as http2, \
            Client(streamable_http_client(f"{base}/mcp", http_client=http2)) as client:
        for _ in range(most // 100 + 5):
            page = await client.call_tool("webhook_events", {"after_seq": after, "max_items": 100})
            assert not page.is_error, text_of(page)
            ids += [item["id"] for item in page.structured_content["events"]]
            after = page.structured_content["next_seq"]
            if not page.structured_content["has_more"]:
                return ids
    raise AssertionError("paging through the events did not end")


async def test_kill_9_during_ingest_loses_no_acknowledged_event(
    api: ServedSandbox, secret_watch: SecretWatch, tmp_path: Path
) -> None:
    database = tmp_path / "events.db"
    stderr = secret_watch.add_file(tmp_path / "ao-mcp-http.stderr")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_http_server(api, port, database, stderr, tmp_path)
    acknowledged: set[str] = set()
    interrupted = 0
    most = 4000
    counter = iter(range(most))
    try:
        await wait_until_serving(base, proc)

        async def sender() -> None:
            nonlocal interrupted
            async with httpx.AsyncClient(base_url=base, timeout=5) as http:
                for n in counter:
                    event_id, body = event(n)
                    try:
                        response = await http.post("/webhooks/academyocean", content=body,
                                                   headers={"Signature": sign(body, WEBHOOK_SECRET)})
                    except httpx.TransportError:
                        interrupted += 1
                        return  # the server is gone
                    if response.status_code == 200:
                        acknowledged.add(event_id)

        with anyio.fail_after(60):
            async with anyio.create_task_group() as group:
                for _ in range(8):
                    group.start_soon(sender)
                while len(acknowledged) < 300:
                    assert proc.poll() is None
                    await anyio.sleep(0.005)
                os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert interrupted >= 1  # the kill landed while events were being posted

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    restarted = start_http_server(api, port, database, stderr, tmp_path)
    try:
        await wait_until_serving(base, restarted)
        ids = await stored_ids(base, most)
    finally:
        restarted.terminate()
        restarted.wait(timeout=10)
    assert len(ids) == len(set(ids))  # each stored once
    missing = acknowledged - set(ids)
    assert not missing, f"{len(missing)} acknowledged events lost, e.g. {sorted(missing)[:5]}"
    assert len(acknowledged) >= 300


def test_the_watch_finds_a_secret_in_a_log_line(secret_watch: SecretWatch, tmp_path: Path) -> None:
    """The check over all logs can fail: a secret logged or written to stderr is found."""
    import logging

    since = len(secret_watch.lines)
    logging.getLogger("ao_mcp.fault_suite").debug("oops: %s", WEBHOOK_SECRET)
    found = secret_watch.leaks(since, [])
    del secret_watch.lines[since:]  # leave nothing behind for the real check
    assert found and WEBHOOK_SECRET not in found[0]
    leaky = tmp_path / "stderr"
    leaky.write_text(f"Authorization: Bearer {HTTP_TOKEN}\n")
    assert secret_watch.leaks(len(secret_watch.lines), [leaky])
    assert len(secret_watch.secrets) > 6  # the tokens the sandbox issued are watched too
