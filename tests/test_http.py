"""The HTTP transport as a deployment sees it: bearer token, bind rules, Host/Origin checks, webhooks end to end.

The app is served by uvicorn on a loopback port (in process), or by the
``ao-mcp`` command in a subprocess where start-up behaviour is what is tested.
"""

from __future__ import annotations

import hmac
import json
import subprocess
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.server.subscriptions import ResourceUpdated
from mcp_types import ResourceUpdatedNotification

import ao_mcp.http as ao_http
from ao_mcp.config import Secret, Settings
from ao_mcp.errors import ConfigError
from ao_mcp.http import build_http_app
from ao_mcp.server import build_server
from interop.support import (
    AO_MCP,
    EVENTS_URI,
    TOOL_COUNT,
    clean_env,
    free_port,
    http_client,
    post_webhook,
    sample,
    wait_for_port,
    wait_until,
)

TOKEN = "test-http-token-0123456789"
HOOK_SECRET = "test-webhook-secret"
SETTINGS = Settings(
    sandbox=True,
    sandbox_reason="requested",
    sandbox_activity=0.0,
    transport="http",
    http_token=Secret(TOKEN),
    webhook_secrets=(Secret(HOOK_SECRET),),
)
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "curl", "version": "1"}},
}
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


@asynccontextmanager
async def serving(settings: Settings = SETTINGS, *, host: str = "127.0.0.1", **config: Any) -> AsyncIterator[str]:
    """Serve ``build_http_app`` for ``settings`` with uvicorn on a free port of ``host``; yield the base URL."""
    server = uvicorn.Server(uvicorn.Config(
        build_http_app(build_server(settings), settings), host=host, port=0, log_config=None, access_log=False,
        **config,
    ))
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve)
        await wait_until(lambda: server.started)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield f"http://{host}:{port}"
        finally:
            server.should_exit = True


async def initialize(url: str, **headers: str) -> httpx.Response:
    """A raw legacy ``initialize`` POST to ``url`` (what any client sends first)."""
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **headers})


pytestmark = pytest.mark.anyio


# --- the bearer token ---------------------------------------------------------------------------------


async def test_mcp_requires_the_bearer_token() -> None:
    async with serving() as base:
        url = f"{base}/mcp"
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                        {"Authorization": TOKEN}, {"Authorization": f"Bearer {TOKEN}x"}):
            refused = await initialize(url, **headers)
            assert refused.status_code == 401, headers
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert TOKEN not in refused.text
        assert (await initialize(url, Authorization=f"bearer {TOKEN}")).status_code == 200  # the scheme is case-blind
        async with http_client(url, token=TOKEN) as client:
            assert len((await client.list_tools()).tools) == TOOL_COUNT


async def test_the_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(ao_http.hmac, "compare_digest", spy)
    async with serving() as base:
        assert (await initialize(f"{base}/mcp", Authorization="Bearer a")).status_code == 401
        assert (await initialize(f"{base}/mcp", Authorization="Bearer a-much-longer-guess")).status_code == 401
    # Both guesses were compared, as digests of one length: the time says nothing about the token.
    assert len(compared) == 2 and {len(a) for a, _ in compared} == {len(b) for _, b in compared} == {32}


async def test_a_root_path_does_not_open_a_way_around_the_token() -> None:
    # Behind a proxy that strips a prefix, uvicorn --root-path serves /mcp as /ao/mcp.
    async with serving(root_path="/ao") as base:
        assert (await initialize(f"{base}/mcp")).status_code == 401
        assert (await initialize(f"{base}/ao/mcp")).status_code == 401
        assert (await initialize(f"{base}/mcp", Authorization=f"Bearer {TOKEN}")).status_code == 200


# --- binding ------------------------------------------------------------------------------------------


def test_a_public_bind_without_a_token_refuses_to_start(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(AO_MCP), "--transport", "http", "--host", "0.0.0.0", "--port", str(free_port())],
        env=clean_env(AO_MCP_SANDBOX="1"), cwd=tmp_path, capture_output=True, text=True, timeout=30,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [  # one line, no traceback
        "ao-mcp: Refusing to serve on 0.0.0.0 without AO_MCP_HTTP_TOKEN: anyone who can reach this address could "
        "use your AcademyOcean account. Set AO_MCP_HTTP_TOKEN, or bind 127.0.0.1."
    ]


def test_loopback_binds_need_no_token_and_public_ones_take_one() -> None:
    no_token = replace(SETTINGS, http_token=None)
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1"):
        build_http_app(build_server(replace(no_token, host=host)), replace(no_token, host=host))
    for host in ("0.0.0.0", "::", "192.0.2.10", "mcp.example.com"):
        with pytest.raises(ConfigError, match="without AO_MCP_HTTP_TOKEN"):
            build_http_app(build_server(no_token), replace(no_token, host=host))
        build_http_app(build_server(SETTINGS), replace(SETTINGS, host=host))  # with the token: allowed


# --- Host and Origin (DNS rebinding) ------------------------------------------------------------------


async def test_foreign_host_and_origin_headers_are_refused() -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with serving() as base:
        url = f"{base}/mcp"
        assert (await initialize(url, Host="evil.example", **auth)).status_code == 421
        assert (await initialize(url, Host="evil.example:80", **auth)).status_code == 421
        assert (await initialize(url, Origin="http://evil.example", **auth)).status_code == 403
        assert (await initialize(url, Origin="http://localhost:3000", **auth)).status_code == 200
        assert (await initialize(url, Host="localhost", **auth)).status_code == 200


async def test_allowed_hosts_let_a_configured_name_through_as_a_reverse_proxy_forwards_it() -> None:
    settings = replace(SETTINGS, allowed_hosts=("mcp.example.com",))
    async with serving(settings) as base:
        url = f"{base}/mcp"
        auth = {"Authorization": f"Bearer {TOKEN}"}
        # What nginx sends with `proxy_set_header Host $host` for https://mcp.example.com/mcp.
        public = await initialize(url, Host="mcp.example.com", Origin="https://mcp.example.com", **auth)
        assert public.status_code == 200
        assert (await initialize(url, Host="mcp.example.com:8443", **auth)).status_code == 200
        assert (await initialize(url, Host="evil.example", **auth)).status_code == 421
        assert (await initialize(url, Origin="https://evil.example", **auth)).status_code == 403
        async with http_client(url, token=TOKEN, headers={"Host": "mcp.example.com"}) as client:
            result = await client.call_tool("academies", {})
        assert not result.is_error and result.structured_content["count"] == 3


async def test_the_bind_address_itself_is_an_accepted_host() -> None:
    settings = replace(SETTINGS, host="127.0.0.2", http_token=None)
    async with serving(settings, host="127.0.0.2") as base:
        async with http_client(f"{base}/mcp") as client:
            assert len((await client.list_tools()).tools) == TOOL_COUNT


# --- the webhook route --------------------------------------------------------------------------------


async def test_the_webhook_route_is_authenticated_by_its_signature_not_the_token() -> None:
    payload = sample("lesson.finished")
    async with serving() as base:
        hook = f"{base}/webhooks/academyocean"
        accepted = await post_webhook(hook, payload, HOOK_SECRET)  # no bearer token
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        unsigned = await post_webhook(hook, sample("quiz.started"), None, Authorization=f"Bearer {TOKEN}")
        assert unsigned.status_code == 401 and unsigned.json() == {"error": "missing Signature header"}
        forged = await post_webhook(hook, sample("quiz.started"), "not-the-secret", Authorization=f"Bearer {TOKEN}")
        assert forged.status_code == 401 and forged.json() == {"error": "invalid signature"}
        async with http_client(f"{base}/mcp", token=TOKEN) as client:
            kept = json.loads((await client.read_resource(EVENTS_URI)).contents[0].text)
    assert [event["id"] for event in kept["events"]] == [payload["id"]]


# --- end to end: webhook in, notification out -----------------------------------------------------------


async def test_http_webhook_notifies_a_listening_client_current_era() -> None:
    payload = sample("course.finished")
    uri = f"{EVENTS_URI}/{payload['id']}"
    async with serving() as base, http_client(f"{base}/mcp", token=TOKEN) as client:
        async with client.listen(resource_subscriptions=[EVENTS_URI]) as subscription:
            assert (await post_webhook(f"{base}/webhooks/academyocean", payload, HOOK_SECRET)).status_code == 200
            with anyio.fail_after(10):
                event = await subscription.__anext__()
        assert isinstance(event, ResourceUpdated) and event.uri == EVENTS_URI
        stored = json.loads((await client.read_resource(uri)).contents[0].text)
    assert stored["payload"] == payload and stored["event"] == "course.finished"


async def test_http_webhook_notifies_a_subscribed_client_legacy_era() -> None:
    payload = sample("quiz.finished")
    notified: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            notified.append(str(message.params.uri))

    async with serving() as base, http_client(f"{base}/mcp", token=TOKEN, mode="legacy",
                                              message_handler=on_message) as client:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # subscribe is deprecated in the current era, not in this one
            await client.subscribe_resource(EVENTS_URI)
        assert (await post_webhook(f"{base}/webhooks/academyocean", payload, HOOK_SECRET)).status_code == 200
        await wait_until(lambda: EVENTS_URI in notified)
        listed = json.loads((await client.read_resource(EVENTS_URI)).contents[0].text)
    assert [event["id"] for event in listed["events"]] == [payload["id"]]


async def test_a_stdio_server_receives_webhooks_on_its_own_port(tmp_path: Path) -> None:
    # The era desktop clients speak; the current era's listen over stdio is in tests/interop/.
    port = free_port()
    payload = sample("team.new_learners")
    notified = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification) and str(message.params.uri) == EVENTS_URI:
            notified.set()

    params = StdioServerParameters(command=str(AO_MCP), cwd=tmp_path, env={
        "AO_MCP_SANDBOX": "1", "AO_MCP_SANDBOX_ACTIVITY": "0", "AO_MCP_WEBHOOK_PORT": str(port),
        "ACADEMYOCEAN_WEBHOOK_SECRET": HOOK_SECRET,
    })
    with open(tmp_path / "stderr.log", "w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode="legacy", message_handler=on_message) as client:
            await anyio.to_thread.run_sync(wait_for_port, port)
            hook = f"http://127.0.0.1:{port}/webhooks/academyocean"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                await client.subscribe_resource(EVENTS_URI)
            assert (await post_webhook(hook, payload, HOOK_SECRET)).status_code == 200
            with anyio.fail_after(10):
                await notified.wait()
            assert (await post_webhook(hook, payload, "wrong-secret")).status_code == 401
            found = await client.call_tool("webhook_events", {})
    assert not found.is_error and [e["id"] for e in found.structured_content["events"]] == [payload["id"]]


async def test_a_busy_webhook_port_leaves_the_stdio_server_working(tmp_path: Path) -> None:
    port = free_port()
    params = StdioServerParameters(command=str(AO_MCP), cwd=tmp_path, env={
        "AO_MCP_SANDBOX": "1", "AO_MCP_SANDBOX_ACTIVITY": "0", "AO_MCP_WEBHOOK_PORT": str(port),
        "ACADEMYOCEAN_WEBHOOK_SECRET": HOOK_SECRET,
    })
    log = tmp_path / "stderr.log"
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=port)
    async with listener:
        with open(log, "w") as errlog:
            async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
                result = await client.call_tool("academies", {})
                assert not result.is_error
                await wait_until(lambda: "webhook receiver not started" in log.read_text())
    text = log.read_text()
    assert "Traceback" not in text and f"cannot listen on 127.0.0.1:{port}" in text
