"""Two HTTP replicas sharing Redis, each a real server on its own loopback port, in this process.

Each replica is ``build_server`` + ``build_http_app`` under uvicorn, with its
own store object; they share only the Redis server. Clients speak MCP over
HTTP in both protocol eras, and webhooks are signed POSTs.
"""

from __future__ import annotations

import itertools
import json
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.server.subscriptions import ResourceUpdated
from mcp_types import ResourceUpdatedNotification

from conftest import free_port

from ao_mcp.config import Settings, load_settings
from ao_mcp.http import build_http_app
from ao_mcp.server import AOServer, build_server
from ao_mcp.webhooks import sign
from ao_mcp.webhooks.hub import EVENTS_URI, event_uri

pytestmark = pytest.mark.anyio

SECRET = "replica-webhook-secret"
NO_DOTENV = Path("/nonexistent/.env")


def settings_for(**environ: str) -> Settings:
    base = {
        "AO_MCP_TRANSPORT": "http",
        "AO_MCP_SANDBOX": "1",
        "AO_MCP_SANDBOX_ACTIVITY": "0",
        "ACADEMYOCEAN_WEBHOOK_SECRET": SECRET,
        "AO_MCP_LOG_LEVEL": "warning",
    }
    return load_settings(environ={**base, **environ}, dotenv=NO_DOTENV)


def quiz(n: int) -> dict[str, Any]:
    return {
        "id": f"q-{n}",
        "event": "quiz.finished",
        "learner": {"email": "jane@example.com"},
        "quiz": {"id": "quiz-1", "score": n},
    }


@dataclass
class Replica:
    base: str
    server: AOServer

    @property
    def mcp(self) -> str:
        return f"{self.base}/mcp"

    async def post(self, http: httpx.AsyncClient, payload: dict[str, Any]) -> httpx.Response:
        body = json.dumps(payload).encode()
        return await http.post(f"{self.base}/webhooks/academyocean", content=body, headers={"Signature": sign(body, SECRET)})


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port (lifespan on) for the block."""
    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="on", log_config=None, access_log=False, timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve)
        with anyio.fail_after(20):
            while not server.started:
                await anyio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True  # serve() returns after the graceful shutdown; the task group waits for it


@asynccontextmanager
async def replica(settings: Settings, **kwargs: Any) -> AsyncIterator[Replica]:
    server = build_server(settings, **kwargs)
    async with serving(build_http_app(server, settings)) as base:
        yield Replica(base, server)


async def tool(client: Client, name: str, arguments: dict[str, Any] | None = None) -> Any:
    result = await client.call_tool(name, arguments or {})
    assert not result.is_error, result.content
    return result.structured_content


async def test_an_event_posted_to_one_replica_reaches_the_clients_of_the_other(redis_url: str) -> None:
    settings = settings_for(AO_MCP_EVENT_STORE=redis_url)
    payload = quiz(1)
    wanted = {EVENTS_URI, event_uri(payload["id"])}
    legacy_got: set[str] = set()
    legacy_done = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            legacy_got.add(message.params.uri)
            if legacy_got >= wanted:
                legacy_done.set()

    waited: list[Any] = []
    with anyio.fail_after(60):
        async with replica(settings) as a, replica(settings) as b, httpx.AsyncClient(timeout=10) as http:
            async with Client(b.mcp) as current, Client(b.mcp, mode="legacy", message_handler=on_message) as legacy:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # resources/subscribe is deprecated in the current era
                    for uri in sorted(wanted):
                        await legacy.subscribe_resource(uri)

                async def wait_on_b() -> None:
                    waited.append(await tool(current, "wait_for_webhook_event", {"event_type": "quiz.finished", "timeout": 30}))

                async with current.listen(resource_subscriptions=sorted(wanted)) as subscription, anyio.create_task_group() as group:
                    group.start_soon(wait_on_b)
                    while b.server.parts.hub._changed is None:  # type: ignore[attr-defined]
                        await anyio.sleep(0.01)  # until the waiter sleeps: only the relay can wake it now
                    response = await a.post(http, payload)
                    assert response.status_code == 200 and response.json()["status"] == "accepted"
                    current_got: set[str] = set()
                    async for event in subscription:
                        assert isinstance(event, ResourceUpdated)
                        current_got.add(event.uri)
                        if current_got >= wanted:
                            break
                    await legacy_done.wait()
                read = json.loads((await current.read_resource(event_uri(payload["id"]))).contents[0].text)  # type: ignore[union-attr]
                assert read["payload"] == payload and read["seq"] == 1
                listed = await tool(legacy, "webhook_events")
                assert [item["id"] for item in listed["events"]] == [payload["id"]]
    assert waited[0]["timed_out"] is False and waited[0]["event"]["id"] == payload["id"]


async def test_the_same_event_posted_to_both_replicas_at_once_is_stored_once(redis_url: str) -> None:
    settings = settings_for(AO_MCP_EVENT_STORE=redis_url)
    answers: list[dict[str, Any]] = []
    with anyio.fail_after(60):
        async with replica(settings) as a, replica(settings) as b, httpx.AsyncClient(timeout=10) as http:

            async def post(target: Replica, payload: dict[str, Any]) -> None:
                response = await target.post(http, payload)
                assert response.status_code == 200
                answers.append(response.json())

            async with anyio.create_task_group() as group:
                for n in range(10):
                    for target in (a, b, a, b):
                        group.start_soon(post, target, quiz(n))
            async with Client(a.mcp) as client:
                listed = await tool(client, "webhook_events", {"max_items": 100})
    for n in range(10):
        mine = [answer for answer in answers if answer["id"] == f"q-{n}"]
        assert sorted(answer["status"] for answer in mine) == ["accepted", "duplicate", "duplicate", "duplicate"]
        assert len({answer["seq"] for answer in mine}) == 1
    assert sorted(item["seq"] for item in listed["events"]) == list(range(1, 11))


async def test_a_replica_restart_loses_nothing(redis_url: str) -> None:
    settings = settings_for(AO_MCP_EVENT_STORE=redis_url)
    with anyio.fail_after(60):
        async with replica(settings) as b, httpx.AsyncClient(timeout=10) as http:
            async with replica(settings) as a:
                for n in range(3):
                    assert (await a.post(http, quiz(n))).json()["seq"] == n + 1
            # a is down: b takes the traffic
            assert (await b.post(http, quiz(3))).json()["seq"] == 4
            async with replica(settings) as a_again:
                assert (await a_again.post(http, quiz(1))).json() == {"status": "duplicate", "seq": 2, "id": "q-1"}
                assert (await a_again.post(http, quiz(4))).json()["seq"] == 5
                async with Client(a_again.mcp) as client:
                    listed = await tool(client, "webhook_events", {"after_seq": 0})
    assert [item["id"] for item in listed["events"]] == ["q-0", "q-1", "q-2", "q-3", "q-4"]
    assert listed["gap"] is False


async def test_redis_down_gives_503_while_tools_answer_and_then_recovers(durable_redis: Any) -> None:
    settings = settings_for(AO_MCP_EVENT_STORE=durable_redis.url())
    with anyio.fail_after(90):
        async with replica(settings) as a, replica(settings) as b, httpx.AsyncClient(timeout=30) as http:
            assert (await a.post(http, quiz(1))).status_code == 200
            async with Client(a.mcp) as on_a, Client(b.mcp) as on_b:
                durable_redis.stop()
                for target in (a, b):
                    response = await target.post(http, quiz(2))
                    assert response.status_code == 503 and response.headers["retry-after"]
                academies = await tool(on_a, "academies")  # the API tools do not need Redis
                assert academies
                broken = await on_b.call_tool("webhook_events", {})
                assert broken.is_error  # reading events needs the store: an error, not a hang or a crash
                durable_redis.start()
                async with on_b.listen(resource_subscriptions=[EVENTS_URI]) as subscription:
                    while True:  # the sender retries until the store is back
                        response = await a.post(http, quiz(2))
                        if response.status_code == 200:
                            break
                        assert response.status_code == 503
                        await anyio.sleep(0.05)
                    assert response.json()["seq"] == 2
                    async for event in subscription:  # b's relay reconnected and announces a's event
                        assert isinstance(event, ResourceUpdated) and event.uri == EVENTS_URI
                        break
                listed = await tool(on_b, "webhook_events", {"after_seq": 0})
    assert [item["id"] for item in listed["events"]] == ["q-1", "q-2"]


class RoundRobin(httpx2.AsyncBaseTransport):
    """A load balancer in miniature: each request goes to the next replica's port."""

    def __init__(self, ports: list[int]) -> None:
        self._inner = httpx2.AsyncHTTPTransport()
        self._ports = itertools.cycle(ports)
        self.hits: dict[int, int] = dict.fromkeys(ports, 0)

    async def handle_async_request(self, request: Any) -> Any:
        port = next(self._ports)
        self.hits[port] += 1
        request.url = request.url.copy_with(port=port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stateless_replicas_serve_one_client_alternately(redis_url: str, mode: str) -> None:
    from mcp.client.streamable_http import streamable_http_client

    settings = settings_for(AO_MCP_EVENT_STORE=redis_url, AO_MCP_HTTP_STATELESS="1")
    with anyio.fail_after(60):
        async with replica(settings) as a, replica(settings) as b, httpx.AsyncClient(timeout=10) as http:
            assert (await a.post(http, quiz(1))).status_code == 200
            balancer = RoundRobin([int(a.base.rsplit(":", 1)[1]), int(b.base.rsplit(":", 1)[1])])
            async with httpx2.AsyncClient(transport=balancer, timeout=30) as web:
                async with Client(streamable_http_client(a.mcp, http_client=web), mode=mode) as client:
                    for _ in range(3):
                        assert await tool(client, "academies")
                        listed = await tool(client, "webhook_events")
                        assert [item["id"] for item in listed["events"]] == ["q-1"]
    assert all(count >= 3 for count in balancer.hits.values()), balancer.hits


async def test_two_replicas_with_a_cold_token_make_one_token_request(redis_url: str) -> None:
    from ao_mcp.sandbox import Sandbox, SandboxConfig, serve

    sandbox = Sandbox(SandboxConfig())
    port = free_port()
    settings = settings_for(
        AO_MCP_SANDBOX="0",
        ACADEMYOCEAN_CLIENT_ID="sandbox",
        ACADEMYOCEAN_CLIENT_SECRET="sandbox-secret",
        ACADEMYOCEAN_BASE_URL=f"http://127.0.0.1:{port}",
        AO_MCP_TOKEN_CACHE=redis_url,
        AO_MCP_EVENT_STORE=redis_url,
    )
    results: list[Any] = []
    with anyio.fail_after(60):
        async with anyio.create_task_group() as group:
            group.start_soon(lambda: serve(host="127.0.0.1", port=port, sandbox=sandbox))
            async with httpx.AsyncClient() as http:
                while True:
                    try:
                        await http.get(f"http://127.0.0.1:{port}/_sandbox/stats")
                        break
                    except httpx.TransportError:
                        await anyio.sleep(0.02)
            async with replica(settings) as a, replica(settings) as b:
                async with Client(a.mcp) as on_a, Client(b.mcp) as on_b:

                    async def call(client: Client) -> None:
                        results.append(await tool(client, "academies"))

                    async with anyio.create_task_group() as calls:
                        for client in (on_a, on_b, on_a, on_b):
                            calls.start_soon(call, client)
            group.cancel_scope.cancel()
    assert len(results) == 4 and all(results)
    assert sandbox.stats.token_requests == 1 and sandbox.stats.api_requests >= 4
