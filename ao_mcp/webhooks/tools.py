"""The two webhook tools: read received events with a cursor, or wait for the next one.

Both are served from the local event store (no AcademyOcean call), so they
are read-only, idempotent and closed-world. Cursors are the store's seqs:
pass ``next_seq`` back as ``after_seq`` to continue without gaps or repeats.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, Field

from ao_mcp.errors import ConfigError
from ao_mcp.spec import Runtime, ToolInput, ToolOutput, ToolSpec
from ao_mcp.webhooks.payload import normalize_event_type
from ao_mcp.webhooks.store import StoredEvent

if TYPE_CHECKING:
    from ao_mcp.webhooks.hub import EventHub

__all__ = [
    "WAIT_FOR_WEBHOOK_EVENT",
    "WEBHOOK_EVENTS",
    "WEBHOOK_TOOLS",
    "WaitForWebhookEventInput",
    "WaitForWebhookEventOutput",
    "WebhookEventItem",
    "WebhookEventsInput",
    "WebhookEventsOutput",
]

_M = TypeVar("_M", bound=BaseModel)

NOT_CONFIGURED = (
    "The webhook receiver is not configured, so no AcademyOcean events are received. Set "
    "ACADEMYOCEAN_WEBHOOK_SECRET to the secret from AcademyOcean's webhook settings (or "
    "AO_MCP_WEBHOOK_INSECURE=1 for local testing), restart the server, and point the AcademyOcean "
    "webhook at this server's /webhooks/academyocean URL."
)

_EVENT_TYPE = "Only this type, e.g. quiz.finished"
_LEARNER = "Only events about this learner email"
_COURSE = "Only events about this course or group id"


class EventFilters(ToolInput):
    """The filters both webhook tools take."""

    event_type: str | None = Field(None, description=_EVENT_TYPE)
    learner_email: str | None = Field(None, description=_LEARNER)
    course_id: str | None = Field(None, description=_COURSE)


class WebhookEventsInput(EventFilters):
    """Arguments of webhook_events."""
    after_seq: int | None = Field(
        None, ge=0, description="Only events after this seq (a previous next_seq)"
    )
    max_items: int = Field(20, ge=1, le=100, description="Most events to return, 1-100")


class WaitForWebhookEventInput(EventFilters):
    """Arguments of wait_for_webhook_event."""
    after_seq: int | None = Field(
        None, ge=0, description="First match after this seq; omit to wait for a new one"
    )
    timeout: float = Field(30, ge=0, le=120, description="Seconds to wait, 0-120")


class WebhookEventItem(ToolOutput):
    """One received webhook event."""

    seq: int = Field(description="Server-assigned sequence number; strictly increasing.")
    id: str = Field(description="AcademyOcean's event id.")
    event: str = Field(description="Event type, e.g. course.finished.")
    received_at: str = Field(description="When this server received it, ISO-8601 UTC.")
    payload: dict[str, Any] = Field(description="The event exactly as AcademyOcean sent it.")


class WebhookEventsOutput(ToolOutput):
    """Result of webhook_events."""

    events: list[WebhookEventItem] = Field(description="Matching events, oldest first.")
    count: int = Field(description="Number of events returned.")
    next_seq: int = Field(description="Pass as after_seq to get only later events.")
    has_more: bool = Field(description="True when more events after these match; call again with after_seq=next_seq.")
    gap: bool = Field(description="True when events after after_seq were evicted before being read (may be missed).")


class WaitForWebhookEventOutput(ToolOutput):
    """Result of wait_for_webhook_event."""

    event: WebhookEventItem | None = Field(description="The first matching event, or null on timeout.")
    timed_out: bool = Field(description="True when no matching event arrived in time.")
    next_seq: int = Field(description="Pass as after_seq to wait for the event after this one.")


def _arguments(model: type[_M], arguments: Any) -> _M:
    """The validated input, whether the caller passed the model or a plain dict."""
    return arguments if isinstance(arguments, model) else model.model_validate(arguments or {})


def _hub(runtime: Runtime) -> EventHub:
    """The runtime's hub; without one the receiver is off, and the error says how to turn it on."""
    hub: EventHub | None = getattr(runtime, "events", None)
    if hub is None:
        raise ConfigError(NOT_CONFIGURED)
    return hub


def _item(stored: StoredEvent) -> WebhookEventItem:
    return WebhookEventItem.model_validate(stored.to_dict())


def _filters(args: EventFilters) -> dict[str, str | None]:
    return {
        "event_type": normalize_event_type(args.event_type) or None if args.event_type else None,
        "learner_email": args.learner_email.strip() or None if args.learner_email else None,
        "course_id": args.course_id.strip() or None if args.course_id else None,
    }


async def run_webhook_events(arguments: Any, runtime: Runtime) -> dict[str, Any]:
    """List received events: the latest ones, or those after a cursor."""
    args = _arguments(WebhookEventsInput, arguments)
    store = _hub(runtime).store
    filters = _filters(args)
    # Read the bounds before the events: nothing at or below ``newest`` can arrive later.
    newest = await store.newest_seq()
    oldest = await store.oldest_seq()
    gap = has_more = False
    if args.after_seq is None:
        found = list(reversed(await store.recent(args.max_items, **filters)))
    else:
        after = args.after_seq
        if after > newest:  # a cursor from before a restart of a non-durable store: start over
            after, gap = 0, True
        floor = oldest - 1 if oldest is not None else newest  # highest seq that is gone
        gap = gap or after < floor
        found = await store.after(after, limit=args.max_items + 1, **filters)
        has_more = len(found) > args.max_items
        del found[args.max_items :]
    if has_more:
        next_seq = found[-1].seq
    else:  # everything matching up to ``newest`` was returned: the cursor may skip ahead
        next_seq = max([newest, *(event.seq for event in found)])
    output = WebhookEventsOutput(
        events=[_item(event) for event in found],
        count=len(found),
        next_seq=next_seq,
        has_more=has_more,
        gap=gap,
    )
    return output.model_dump(mode="json")


async def run_wait_for_webhook_event(arguments: Any, runtime: Runtime) -> dict[str, Any]:
    """Wait for the first matching event after a cursor (or after now)."""
    args = _arguments(WaitForWebhookEventInput, arguments)
    hub = _hub(runtime)
    newest = await hub.store.newest_seq()
    after = newest if args.after_seq is None else args.after_seq
    if after > newest:  # a cursor from before a restart of a non-durable store: start over
        after = 0
    found = await hub.wait_for(after_seq=after, timeout=args.timeout, **_filters(args))
    output = WaitForWebhookEventOutput(
        event=_item(found) if found is not None else None,
        timed_out=found is None,
        next_seq=found.seq if found is not None else after,
    )
    return output.model_dump(mode="json")


WEBHOOK_EVENTS = ToolSpec(
    name="webhook_events",
    title="Received webhook events",
    description=(
        "Events AcademyOcean pushed to this server (course, lesson and quiz progress, certificates, sign-ups, "
        "course access, team changes), oldest first.\nUse to see what happened recently; pass next_seq back as "
        "after_seq to read only newer ones."
    ),
    toolset="webhooks",
    input=WebhookEventsInput,
    output=WebhookEventsOutput,
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    run=run_webhook_events,
)

WAIT_FOR_WEBHOOK_EVENT = ToolSpec(
    name="wait_for_webhook_event",
    title="Wait for a webhook event",
    description=(
        "Waits for the next matching AcademyOcean event and returns it, or timed_out=true.\n"
        "Use to react to progress, e.g. wait for quiz.finished after inviting someone."
    ),
    toolset="webhooks",
    input=WaitForWebhookEventInput,
    output=WaitForWebhookEventOutput,
    read_only=True,
    destructive=False,
    idempotent=True,
    open_world=False,
    run=run_wait_for_webhook_event,
)

WEBHOOK_TOOLS: list[ToolSpec] = [WEBHOOK_EVENTS, WAIT_FOR_WEBHOOK_EVENT]
