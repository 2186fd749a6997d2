"""The hub over MCP: resources, change notifications in both protocol eras, waiting."""

from __future__ import annotations

import json
import warnings
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError
from mcp.server import MCPServer
from mcp.server.subscriptions import InMemorySubscriptionBus, ResourceUpdated
from mcp_types import ResourceUpdatedNotification

from ao_mcp.webhooks.hub import EVENTS_URI, EventHub, event_uri, type_uri
from ao_mcp.webhooks.store import MemoryEventStore

pytestmark = pytest.mark.anyio


def build(max_events: int = 1000) -> tuple[MCPServer, EventHub]:
    bus = InMemorySubscriptionBus()
    server = MCPServer("t", subscriptions=bus)
    hub = EventHub(MemoryEventStore(max_events=max_events), bus)
    hub.attach(server)
    return server, hub


def test_uris() -> None:
    assert EVENTS_URI == "academyocean://webhooks/events"
    assert event_uri("ab-1") == "academyocean://webhooks/events/ab-1"
    assert event_uri("a/b c") == "academyocean://webhooks/events/a%2Fb%20c"
    assert type_uri("team.new.learners") == "academyocean://webhooks/events/type/team.new_learners"


async def test_resources_are_listed_and_readable(samples: dict[str, dict[str, Any]]) -> None:
    server, hub = build(max_events=5)
    for payload in samples.values():
        await hub.ingest(payload)
    async with Client(server) as client:
        listed = {str(r.uri) for r in (await client.list_resources()).resources}
        assert EVENTS_URI in listed
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert templates == {
            "academyocean://webhooks/events/{event_id}",
            "academyocean://webhooks/events/type/{event_type}",
        }
        body = json.loads((await client.read_resource(EVENTS_URI)).contents[0].text)  # type: ignore[union-attr]
        assert [e["seq"] for e in body["events"]] == [13, 12, 11, 10, 9]
        assert body["kept"] == 5 and body["oldest_seq"] == 9 and body["newest_seq"] == 13
        quiz = samples["quiz.finished"]
        one = json.loads((await client.read_resource(event_uri(quiz["id"]))).contents[0].text)  # type: ignore[union-attr]
        assert one["payload"] == quiz and one["event"] == "quiz.finished"
        typed = json.loads(
            (await client.read_resource(type_uri("team.new.learners"))).contents[0].text  # type: ignore[union-attr]
        )
        assert [e["event"] for e in typed["events"]] == ["team.new_learners"]
        with pytest.raises(MCPError):
            await client.read_resource(event_uri("missing"))


async def test_current_era_listen_is_notified_and_the_event_readable(samples: dict[str, dict[str, Any]]) -> None:
    server, hub = build()
    payload = samples["quiz.finished"]
    wanted = {EVENTS_URI, type_uri("quiz.finished"), event_uri(payload["id"])}
    async with Client(server) as client:
        assert client.server_capabilities.resources is not None and client.server_capabilities.resources.subscribe
        async with client.listen(resource_subscriptions=sorted(wanted)) as subscription:
            await hub.ingest(payload)
            got: set[str] = set()
            with anyio.fail_after(5):
                async for event in subscription:
                    assert isinstance(event, ResourceUpdated)
                    got.add(event.uri)
                    if got == wanted:
                        break
        read = json.loads((await client.read_resource(event_uri(payload["id"]))).contents[0].text)  # type: ignore[union-attr]
        assert read["id"] == payload["id"] and read["seq"] == 1


async def test_a_duplicate_is_not_notified_again(samples: dict[str, dict[str, Any]]) -> None:
    bus = InMemorySubscriptionBus()
    published: list[Any] = []
    bus.subscribe(published.append)
    hub = EventHub(MemoryEventStore(), bus)
    await hub.ingest(samples["lesson.started"])
    await hub.ingest(samples["lesson.started"])
    assert len(published) == 3


async def test_legacy_subscribe_is_advertised_notified_and_cleaned_up(samples: dict[str, dict[str, Any]]) -> None:
    server, hub = build()
    received: list[str] = []
    arrived = anyio.Event()

    async def handler(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            received.append(message.params.uri)
            arrived.set()

    payload = samples["course.finished"]
    async with Client(server, mode="legacy", message_handler=handler) as client:
        resources = client.server_capabilities.resources
        assert resources is not None and resources.subscribe is True
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            await client.subscribe_resource(type_uri("course.finished"))
            await client.subscribe_resource(EVENTS_URI)
            await client.unsubscribe_resource(EVENTS_URI)
        assert hub.legacy_subscribers(type_uri("course.finished")) == 1 and hub.legacy_subscribers(EVENTS_URI) == 0
        await hub.ingest(samples["quiz.started"])  # another type: not for us
        await hub.ingest(payload)
        with anyio.fail_after(5):
            await arrived.wait()
        assert received == [type_uri("course.finished")]
        read = json.loads((await client.read_resource(type_uri("course.finished"))).contents[0].text)  # type: ignore[union-attr]
        assert read["events"][0]["id"] == payload["id"]
    # The connection closed: its subscriptions are forgotten.
    assert hub.legacy_subscribers(type_uri("course.finished")) == 0


async def test_legacy_sessions_whose_send_fails_are_dropped(samples: dict[str, dict[str, Any]]) -> None:
    hub = EventHub(MemoryEventStore())

    class Dead:
        async def send_resource_updated(self, uri: str) -> None:
            raise anyio.BrokenResourceError

    class Alive:
        def __init__(self) -> None:
            self.uris: list[str] = []

        async def send_resource_updated(self, uri: str) -> None:
            self.uris.append(uri)

    alive = Alive()
    hub._legacy[EVENTS_URI] = {1: Dead(), 2: alive}
    await hub.ingest(samples["quiz.started"])
    assert hub.legacy_subscribers(EVENTS_URI) == 1 and alive.uris == [EVENTS_URI]


async def test_wait_for_returns_stored_events_at_once(samples: dict[str, dict[str, Any]]) -> None:
    hub = EventHub(MemoryEventStore())
    await hub.ingest(samples["quiz.started"])
    await hub.ingest(samples["quiz.finished"])
    found = await hub.wait_for(after_seq=0, event_type="quiz.finished", timeout=0)
    assert found is not None and found.seq == 2
    assert await hub.wait_for(after_seq=2, timeout=0) is None


async def test_wait_for_wakes_on_a_matching_event_only(samples: dict[str, dict[str, Any]]) -> None:
    hub = EventHub(MemoryEventStore())
    result: list[Any] = []

    async def waiter() -> None:
        result.append(
            await hub.wait_for(after_seq=0, learner_email="JOHN@example.com", event_type="quiz.finished", timeout=10)
        )

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(waiter)
            await anyio.sleep(0.05)
            await hub.ingest(samples["quiz.started"])  # wakes the waiter, which goes back to sleep
            await hub.ingest({"id": "other", "event": "quiz.finished", "learner": {"email": "jane@example.com"}})
            await anyio.sleep(0.05)
            assert result == []
            await hub.ingest(samples["quiz.finished"])
    assert result[0].id == samples["quiz.finished"]["id"] and result[0].seq == 3


async def test_wait_for_times_out() -> None:
    hub = EventHub(MemoryEventStore())
    with anyio.fail_after(3):
        start = anyio.current_time()
        assert await hub.wait_for(after_seq=0, timeout=0.2) is None
        assert 0.15 <= anyio.current_time() - start < 2


async def test_notify_wakes_waiters_for_events_stored_elsewhere() -> None:
    store = MemoryEventStore()
    hub = EventHub(store)
    result: list[Any] = []

    async def waiter() -> None:
        result.append(await hub.wait_for(after_seq=0, timeout=10))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(waiter)
            await anyio.sleep(0.05)
            stored, _ = await store.add({"id": "elsewhere", "event": "x"})  # as another replica would
            await hub.notify(stored)
    assert result[0].id == "elsewhere"
