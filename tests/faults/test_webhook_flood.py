"""A flood of webhook posts on the HTTP transport while tools are being called.

The real app (``build_http_app``: ``/mcp`` behind a bearer token, the webhook
route beside it) is served by uvicorn on a loopback port. Eight senders post a
shuffled mix: valid events, re-sent valid events, and invalid ones (wrong or
missing signature, not JSON, no id, no event type, over the size cap with and
without a Content-Length). Meanwhile an MCP client calls tools over HTTP.
Every valid event is stored exactly once, no invalid one is stored, and every
tool call answers.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from ao_mcp.config import Secret
from ao_mcp.http import build_http_app
from ao_mcp.server import build_server
from ao_mcp.webhooks import sign

from .helpers import HTTP_TOKEN, WEBHOOK_SECRET, SecretWatch, ServedSandbox, free_port, settings_for, text_of

pytestmark = pytest.mark.anyio

SAMPLE = json.loads((Path(__file__).parent.parent / "webhooks" / "samples" / "quiz.finished.json").read_text())
MAX_BODY = 4096
SENDERS = 8
VALID, RESENT = 240, 60


def payload(event_id: str | None, event: str | None = "quiz.finished", padding: int = 0) -> dict[str, Any]:
    body = dict(SAMPLE)
    body.pop("id")
    body.pop("event")
    if event_id is not None:
        body["id"] = event_id
    if event is not None:
        body["event"] = event
    if padding:
        body["padding"] = "x" * padding
    return body


def signed(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {"Signature": sign(body, secret), "Content-Type": "application/json"}


def flood() -> tuple[list[tuple[str, str | None, bytes, dict[str, str], bool]], list[str], list[str]]:
    """The posts, shuffled: (kind, event id, body, headers, chunked); and the valid and invalid ids."""
    posts: list[tuple[str, str | None, bytes, dict[str, str], bool]] = []
    valid = [f"flood-valid-{n}" for n in range(VALID)]
    for event_id in valid + valid[:RESENT]:
        body = json.dumps(payload(event_id)).encode()
        posts.append(("valid", event_id, body, signed(body), False))
    invalid: list[str] = []
    for n in range(40):
        event_id = f"flood-badsig-{n}"
        body = json.dumps(payload(event_id)).encode()
        posts.append(("bad signature", event_id, body, signed(body, "not-the-secret"), False))
        invalid.append(event_id)
    for n in range(20):
        event_id = f"flood-unsigned-{n}"
        body = json.dumps(payload(event_id)).encode()
        posts.append(("unsigned", event_id, body, {"Content-Type": "application/json"}, False))
        invalid.append(event_id)
        body = b"event=quiz.finished&id=" + event_id.encode()
        posts.append(("not JSON", None, body, signed(body), False))
        body = json.dumps(payload(None)).encode()
        posts.append(("no id", None, body, signed(body), False))
        event_id = f"flood-noevent-{n}"
        body = json.dumps(payload(event_id, event=None)).encode()
        posts.append(("no event", event_id, body, signed(body), False))
        invalid.append(event_id)
    for n in range(20):
        event_id = f"flood-big-{n}"
        body = json.dumps(payload(event_id, padding=2 * MAX_BODY)).encode()
        posts.append(("oversized", event_id, body, signed(body), n % 4 == 0))  # every 4th streamed, no length
        invalid.append(event_id)
    random.Random(7).shuffle(posts)
    return posts, valid, invalid


async def chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 1024):
        yield body[start : start + 1024]


EXPECTED = {"bad signature": {401}, "unsigned": {401}, "not JSON": {400}, "no id": {400}, "no event": {400}}


async def test_a_webhook_flood_while_tools_are_called(api: ServedSandbox, secret_watch: SecretWatch) -> None:
    port = free_port()
    settings = settings_for(api.url, transport="http", port=port, webhook_secrets=(Secret(WEBHOOK_SECRET),),
                            http_token=Secret(HTTP_TOKEN), webhook_max_body=MAX_BODY, event_buffer_size=5000)
    server = build_server(settings)
    web = uvicorn.Server(uvicorn.Config(build_http_app(server, settings), host="127.0.0.1", port=port,
                                        log_config=None, log_level="debug"))
    base = f"http://127.0.0.1:{port}"
    posts, valid, invalid = flood()
    answers: dict[str, list[tuple[int, str]]] = defaultdict(list)
    unexpected: list[str] = []
    tool_results: list[tuple[bool, bool]] = []  # (during the flood, is_error)
    flood_done = anyio.Event()

    async def sender(queue: Any) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            for kind, event_id, body, headers, chunked in queue:
                try:
                    response = await http.post("/webhooks/academyocean", content=chunks(body) if chunked else body,
                                               headers=headers)
                except httpx.TransportError as exc:
                    # A server may close instead of reading an oversized body to its end; then the sender sees a reset.
                    if kind != "oversized":
                        unexpected.append(f"{kind} {event_id}: {exc!r}")
                    continue
                status = response.status_code
                if kind == "valid":
                    answers[event_id].append((status, response.json().get("status", "")))
                elif kind == "oversized":
                    if status != 413:
                        unexpected.append(f"{kind} {event_id}: {status}")
                elif status not in EXPECTED[kind]:
                    unexpected.append(f"{kind} {event_id}: {status} {response.text[:100]}")

    async def caller(client: Client) -> None:
        for n in range(400):  # bounded; stops when the flood is over
            if flood_done.is_set() and n >= 10:
                return
            tool, arguments = ("courses", {}) if n % 2 else ("webhook_events", {"max_items": 5})
            result = await client.call_tool(tool, arguments)
            tool_results.append((not flood_done.is_set(), bool(result.is_error)))
            if result.is_error:
                unexpected.append(f"{tool}: {text_of(result)}")

    with anyio.fail_after(90):
        async with anyio.create_task_group() as group:
            group.start_soon(web.serve)
            while not web.started:
                await anyio.sleep(0.01)
            auth = {"Authorization": f"Bearer {HTTP_TOKEN}"}
            async with create_mcp_http_client(headers=auth) as http2, \
                    Client(streamable_http_client(f"{base}/mcp", http_client=http2)) as client:
                queue = iter(posts)
                async with anyio.create_task_group() as load:
                    load.start_soon(caller, client)
                    async with anyio.create_task_group() as senders:
                        for _ in range(SENDERS):
                            senders.start_soon(sender, queue)
                    flood_done.set()

                listed: list[str] = []
                after = 0
                for _ in range(VALID // 100 + 5):  # page through everything that was stored
                    page = await client.call_tool("webhook_events", {"after_seq": after, "max_items": 100})
                    assert not page.is_error, text_of(page)
                    listed += [event["id"] for event in page.structured_content["events"]]
                    after = page.structured_content["next_seq"]
                    if not page.structured_content["has_more"]:
                        break
            web.should_exit = True

    assert unexpected == []
    assert sum(during for during, _ in tool_results) >= 5  # tools answered while the flood went on
    assert not any(failed for _, failed in tool_results)
    for event_id in valid:  # acknowledged every time, accepted exactly once
        statuses = answers[event_id]
        assert [status for status, _ in statuses] == [200] * len(statuses)
        assert sorted(word for _, word in statuses) == ["accepted"] + ["duplicate"] * (len(statuses) - 1)
    store = server.parts.hub.store  # type: ignore[attr-defined]
    assert await store.count() == VALID
    assert sorted(listed) == sorted(valid)  # through the tool too: each valid event once
    for event_id in valid:
        assert await store.get(event_id) is not None
    for event_id in invalid:
        assert await store.get(event_id) is None
