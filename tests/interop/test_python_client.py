"""The official MCP Python client against the installed ``ao-mcp`` command: stdio and HTTP, both protocol eras.

Each test does what a client application does: list and call tools (one read,
one bad input), list and read resources, then subscribe (legacy) or listen
(current) and receive a change notification for a new event.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_types import ResourceUpdatedNotification

from .support import AO_MCP, EVENTS_URI, TOOL_COUNT, clean_env, http_client, http_server, post_webhook, sample

pytestmark = pytest.mark.anyio

TOKEN = "interop-token-7d0c"
HOOK_SECRET = "interop-webhook-secret"


class Watcher:
    """A ``message_handler``: records change notifications and anything the transport could not parse."""

    def __init__(self) -> None:
        self.updated: list[str] = []
        self.broken: list[Exception] = []
        self.changed = anyio.Event()

    async def __call__(self, message: Any) -> None:
        if isinstance(message, Exception):  # a stdout line that is not JSON-RPC lands here
            self.broken.append(message)
        elif isinstance(message, ResourceUpdatedNotification):
            self.updated.append(str(message.params.uri))
            self.changed.set()


async def exercise(client: Client) -> None:
    """Tools and resources, as a client application uses them."""
    tools = (await client.list_tools()).tools
    assert len(tools) == TOOL_COUNT and {"academies", "learners", "webhook_events"} <= {t.name for t in tools}
    read = await client.call_tool("academies", {})
    assert not read.is_error and read.structured_content["count"] == 3
    assert all(academy["id"] and academy["name"] for academy in read.structured_content["academies"])
    bad = await client.call_tool("learners", {"max_items": "lots"})
    assert bad.is_error and "max_items" in bad.content[0].text
    resources = (await client.list_resources()).resources
    assert EVENTS_URI in {str(resource.uri) for resource in resources}
    body = json.loads((await client.read_resource(EVENTS_URI)).contents[0].text)
    assert body["order"] == "newest first" and isinstance(body["events"], list)


async def notified_current(client: Client, trigger: Any) -> None:
    """Current era: ``subscriptions/listen`` on the events resource, then ``trigger()``."""
    async with client.listen(resource_subscriptions=[EVENTS_URI]) as subscription:
        await trigger()
        with anyio.fail_after(15):
            event = await subscription.__anext__()
    assert event.uri == EVENTS_URI


async def notified_legacy(client: Client, watcher: Watcher, trigger: Any) -> None:
    """Legacy era: ``resources/subscribe``, then ``trigger()``, then the notification through the handler."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated only in the current era
        await client.subscribe_resource(EVENTS_URI)
    await trigger()
    with anyio.fail_after(15):
        await watcher.changed.wait()
    assert EVENTS_URI in watcher.updated


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio(tmp_path: Path, mode: str) -> None:
    watcher = Watcher()
    # As a desktop client launches it: the venv's command, settings in env, some other working directory.
    params = StdioServerParameters(command=str(AO_MCP), cwd=tmp_path,
                                   env={"AO_MCP_SANDBOX": "1", "AO_MCP_SANDBOX_ACTIVITY": "0.2"})
    errors = tmp_path / "stderr.log"
    with open(errors, "w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode=mode, message_handler=watcher) as client:
            assert client.server_info is not None and "sandbox" in client.server_info.name
            await exercise(client)

            async def activity() -> None:  # the sandbox's simulated learners post events by themselves
                pass

            if mode == "legacy":
                await notified_legacy(client, watcher, activity)
            else:
                await notified_current(client, activity)
            body = json.loads((await client.read_resource(EVENTS_URI)).contents[0].text)
            assert body["events"] and body["events"][0]["seq"] == body["newest_seq"]
    assert watcher.broken == []  # stdout carried nothing but protocol
    log = errors.read_text()
    assert "Sandbox mode" in log and "Traceback" not in log


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_streamable_http(tmp_path: Path, mode: str) -> None:
    env = clean_env(AO_MCP_SANDBOX="1", AO_MCP_SANDBOX_ACTIVITY="0", AO_MCP_HTTP_TOKEN=TOKEN,
                    ACADEMYOCEAN_WEBHOOK_SECRET=HOOK_SECRET)
    payload = sample("learner.course_certificate.issued")
    watcher = Watcher()
    with http_server(tmp_path, env) as (base, log):
        async with http_client(f"{base}/mcp", token=TOKEN, mode=mode, message_handler=watcher) as client:
            await exercise(client)

            async def post() -> None:
                answer = await post_webhook(f"{base}/webhooks/academyocean", payload, HOOK_SECRET)
                assert answer.status_code == 200 and answer.json()["status"] == "accepted"

            if mode == "legacy":
                await notified_legacy(client, watcher, post)
            else:
                await notified_current(client, post)
            stored = json.loads((await client.read_resource(f"{EVENTS_URI}/{payload['id']}")).contents[0].text)
            assert stored["payload"] == payload
    assert "Traceback" not in log.read_text()
