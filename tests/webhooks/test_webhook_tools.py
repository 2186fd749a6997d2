"""The two tools, called directly with a minimal runtime."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from pydantic import ValidationError

from ao_mcp.errors import ConfigError
from ao_mcp.spec import ToolOutput
from ao_mcp.webhooks.hub import EventHub
from ao_mcp.webhooks.store import MemoryEventStore
from ao_mcp.webhooks.tools import (
    WAIT_FOR_WEBHOOK_EVENT,
    WEBHOOK_EVENTS,
    WEBHOOK_TOOLS,
    WaitForWebhookEventInput,
    WebhookEventsInput,
)

pytestmark = pytest.mark.anyio


def runtime(hub: EventHub | None) -> Any:
    return SimpleNamespace(events=hub)


async def events(hub: EventHub, **arguments: Any) -> dict[str, Any]:
    assert WEBHOOK_EVENTS.run is not None
    return await WEBHOOK_EVENTS.run(WebhookEventsInput(**arguments), runtime(hub))


async def wait(hub: EventHub, **arguments: Any) -> dict[str, Any]:
    assert WAIT_FOR_WEBHOOK_EVENT.run is not None
    return await WAIT_FOR_WEBHOOK_EVENT.run(WaitForWebhookEventInput(**arguments), runtime(hub))


async def filled(n: int = 6, max_events: int = 1000) -> EventHub:
    hub = EventHub(MemoryEventStore(max_events=max_events))
    for i in range(1, n + 1):
        await hub.ingest(
            {
                "id": f"e{i}",
                "event": "quiz.finished" if i % 2 else "lesson.finished",
                "learner": {"email": "john@example.com" if i <= 3 else "jane@example.com"},
                "course": {"id": "c1" if i % 3 else "c3"},
            }
        )
    return hub


def test_declarations() -> None:
    assert [t.name for t in WEBHOOK_TOOLS] == ["webhook_events", "wait_for_webhook_event"]
    for tool in WEBHOOK_TOOLS:
        assert tool.read_only and not tool.destructive and tool.idempotent and not tool.open_world
        assert tool.toolset == "webhooks" and tool.run is not None and tool.action is None
        assert issubclass(tool.output, ToolOutput)
        for model in (tool.input, tool.output):
            for name, field in model.model_fields.items():
                assert field.description, f"{model.__name__}.{name} has no description"


async def test_latest_events_without_cursor() -> None:
    hub = await filled()
    result = await events(hub, max_items=4)
    assert [e["seq"] for e in result["events"]] == [3, 4, 5, 6]
    assert result["count"] == 4 and result["next_seq"] == 6 and result["gap"] is False
    assert result["events"][0]["payload"]["id"] == "e3"


async def test_cursor_pages_without_repeats() -> None:
    hub = await filled()
    first = await events(hub, after_seq=0, max_items=4)
    assert [e["seq"] for e in first["events"]] == [1, 2, 3, 4] and first["has_more"] and first["next_seq"] == 4
    second = await events(hub, after_seq=first["next_seq"], max_items=4)
    assert [e["seq"] for e in second["events"]] == [5, 6] and not second["has_more"] and second["next_seq"] == 6
    third = await events(hub, after_seq=second["next_seq"])
    assert third["events"] == [] and third["next_seq"] == 6 and not third["gap"]


async def test_filters() -> None:
    hub = await filled()
    assert [e["seq"] for e in (await events(hub, event_type="quiz.finished"))["events"]] == [1, 3, 5]
    assert [e["seq"] for e in (await events(hub, learner_email="Jane@Example.com"))["events"]] == [4, 5, 6]
    assert [e["seq"] for e in (await events(hub, course_id="c3"))["events"]] == [3, 6]
    combined = await events(hub, after_seq=0, event_type="lesson.finished", learner_email="jane@example.com")
    assert [e["seq"] for e in combined["events"]] == [4, 6]
    # Nothing after seq 6 can match any more: the cursor skips ahead to the newest seq.
    none = await events(hub, after_seq=0, course_id="nope")
    assert none["events"] == [] and none["next_seq"] == 6


async def test_gap_when_the_cursor_is_older_than_what_is_kept() -> None:
    hub = await filled(n=10, max_events=4)  # keeps seqs 7..10
    assert (await events(hub, after_seq=6))["gap"] is False
    gapped = await events(hub, after_seq=2)
    assert gapped["gap"] is True and [e["seq"] for e in gapped["events"]] == [7, 8, 9, 10]
    assert (await events(hub))["gap"] is False


async def test_a_cursor_from_the_future_starts_over_with_a_gap() -> None:
    hub = await filled(n=3)
    result = await events(hub, after_seq=50)  # e.g. the memory store was restarted
    assert result["gap"] is True and [e["seq"] for e in result["events"]] == [1, 2, 3]


async def test_wait_returns_a_stored_event_at_once() -> None:
    hub = await filled()
    result = await wait(hub, after_seq=0, event_type="lesson.finished", timeout=0)
    assert result["event"]["seq"] == 2 and result["timed_out"] is False and result["next_seq"] == 2


async def test_wait_without_cursor_waits_for_a_new_event() -> None:
    hub = await filled()
    results: list[dict[str, Any]] = []

    async def waiter() -> None:
        results.append(await wait(hub, event_type="quiz.finished", timeout=10))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(waiter)
            await anyio.sleep(0.05)
            await hub.ingest({"id": "n1", "event": "lesson.finished"})
            await hub.ingest({"id": "n2", "event": "quiz.finished"})
    assert results[0]["event"]["id"] == "n2" and results[0]["next_seq"] == 8 and not results[0]["timed_out"]


async def test_wait_times_out() -> None:
    hub = await filled()
    with anyio.fail_after(3):
        result = await wait(hub, timeout=0.1)
    assert result == {"event": None, "timed_out": True, "next_seq": 6}


async def test_dict_arguments_are_validated() -> None:
    hub = await filled()
    assert WEBHOOK_EVENTS.run is not None
    result = await WEBHOOK_EVENTS.run({"max_items": 1}, runtime(hub))
    assert result["count"] == 1
    with pytest.raises(ValidationError):
        await WEBHOOK_EVENTS.run({"max_items": 201}, runtime(hub))
    with pytest.raises(ValidationError):
        WaitForWebhookEventInput(timeout=121)
    with pytest.raises(ValidationError):
        WebhookEventsInput(unknown=1)


@pytest.mark.parametrize("tool", WEBHOOK_TOOLS, ids=lambda t: t.name)
async def test_without_a_receiver_the_error_says_how_to_configure_it(tool: Any) -> None:
    with pytest.raises(ConfigError, match="ACADEMYOCEAN_WEBHOOK_SECRET"):
        await tool.run(tool.input(), runtime(None))
