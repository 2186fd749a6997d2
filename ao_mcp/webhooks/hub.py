"""The bridge between the event store and MCP: ingest, wait, resources, change notifications.

The receiver hands every verified payload to :meth:`EventHub.ingest`, which
stores it first and only then tells everyone who cares: tasks blocked in
:meth:`EventHub.wait_for`, clients of the current protocol era listening on
``subscriptions/listen`` (through the server's ``SubscriptionBus``), and
legacy-era clients that sent ``resources/subscribe`` (tracked here, because
``MCPServer`` has no public hook for it).

Resource URIs (a public interface; keep them stable)::

    academyocean://webhooks/events                      most recent events, newest first
    academyocean://webhooks/events/{event_id}           one event by its AcademyOcean id
    academyocean://webhooks/events/type/{event_type}    most recent events of one type
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio
from mcp.server.subscriptions import ResourceUpdated, SubscriptionBus
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, EmptyResult, SubscribeRequestParams, UnsubscribeRequestParams

from ao_mcp.webhooks.payload import normalize_event_type
from ao_mcp.webhooks.store import EventStore, StoredEvent

if TYPE_CHECKING:
    from mcp.server import MCPServer
    from mcp.server.context import ServerRequestContext

__all__ = ["EVENTS_URI", "EVENT_URI_TEMPLATE", "TYPE_URI_TEMPLATE", "EventHub", "event_uri", "type_uri"]

logger = logging.getLogger(__name__)

EVENTS_URI = "academyocean://webhooks/events"
EVENT_URI_TEMPLATE = "academyocean://webhooks/events/{event_id}"
TYPE_URI_TEMPLATE = "academyocean://webhooks/events/type/{event_type}"

#: Most events a list resource returns (the tools page through more).
LIST_LIMIT = 50
#: Distinct URIs legacy clients may subscribe to in total; bounds memory against a misbehaving client.
MAX_LEGACY_URIS = 1000
#: A legacy session that cannot take a notification within this many seconds is dropped.
LEGACY_SEND_TIMEOUT = 2.0


def event_uri(event_id: str) -> str:
    """The resource URI of one event (the id percent-encoded)."""
    return f"{EVENTS_URI}/{quote(event_id, safe='')}"


def type_uri(event_type: str) -> str:
    """The resource URI of the recent events of one type (canonical spelling)."""
    return f"{EVENTS_URI}/type/{quote(normalize_event_type(event_type), safe='')}"


def _connection_key(session: Any) -> int:
    """Legacy subscriptions belong to the client connection; each request has its own session object."""
    connection = getattr(session, "_connection", None)
    return id(connection) if connection is not None else id(session)


class EventHub:
    """Stores incoming events and fans out "something new arrived" to waiters and MCP clients.

    ``bus`` is the ``SubscriptionBus`` of the MCP server(s) the events are
    served by; :meth:`attach` also picks up the bus of the server it is given,
    so publishing reaches it even if the hub was built without one.
    """

    def __init__(self, store: EventStore, bus: SubscriptionBus | None = None) -> None:
        self.store = store
        self._buses: list[SubscriptionBus] = [bus] if bus is not None else []
        self._changed: anyio.Event | None = None
        # uri -> {connection key: a session of that connection}. Holding the session keeps its
        # connection alive, so the key (an id()) cannot be reused while it is in here.
        self._legacy: dict[str, dict[int, Any]] = {}
        self._watched: set[int] = set()

    # --- events in ------------------------------------------------------------------------------

    async def ingest(self, payload: dict[str, Any]) -> tuple[StoredEvent, bool]:
        """Store ``payload``, then notify if it was new. Store errors propagate; notify errors never do."""
        stored, new = await self.store.add(payload)
        if new:
            await self.notify(stored)
        return stored, new

    async def notify(self, stored: StoredEvent) -> None:
        """Announce ``stored`` (also for events another replica stored): wake waiters, notify subscribers."""
        try:
            self._wake()
            uris = (EVENTS_URI, type_uri(stored.event), event_uri(stored.id))
            for bus in list(self._buses):
                for uri in uris:
                    try:
                        await bus.publish(ResourceUpdated(uri=uri))
                    except Exception:  # a broken bus must not fail the ingest
                        logger.exception("publishing a change of %s failed", uri)
            await self._notify_legacy(uris)
        except Exception:  # notification is best effort; the event is stored already
            logger.exception("notifying about event %s failed", stored.id)

    def _wake(self) -> None:
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set()

    # --- waiting ----------------------------------------------------------------------------------

    async def wait_for(
        self,
        *,
        after_seq: int,
        event_type: str | None = None,
        learner_email: str | None = None,
        course_id: str | None = None,
        timeout: float,
    ) -> StoredEvent | None:
        """The first matching event with a seq above ``after_seq``, waiting up to ``timeout`` seconds.

        Already-stored events are returned at once; otherwise this sleeps until
        an ingest or notify wakes it (no polling) and looks again.
        """
        deadline = anyio.current_time() + max(0.0, timeout)
        cursor = after_seq
        filters = {"event_type": event_type, "learner_email": learner_email, "course_id": course_id}
        while True:
            if self._changed is None:
                self._changed = anyio.Event()
            changed = self._changed  # taken before looking, so an event stored meanwhile still wakes us
            newest = await self.store.newest_seq()
            found = await self.store.after(cursor, limit=1, **filters)
            if found:
                return found[0]
            # Nothing matched up to ``newest``; the next look can start there.
            cursor = max(cursor, newest)
            remaining = deadline - anyio.current_time()
            if remaining <= 0:
                return None
            with anyio.move_on_after(remaining):
                await changed.wait()

    # --- MCP ----------------------------------------------------------------------------------------

    async def snapshot(self, *, event_type: str | None = None, limit: int = LIST_LIMIT) -> dict[str, Any]:
        """The JSON body of the list resources: recent events newest first, and what is kept overall."""
        events = await self.store.recent(limit, event_type=event_type)
        body: dict[str, Any] = {
            "events": [event.to_dict() for event in events],
            "listed": len(events),
            "max_listed": limit,
            "kept": await self.store.count(),
            "oldest_seq": await self.store.oldest_seq(),
            "newest_seq": await self.store.newest_seq(),
            "order": "newest first",
        }
        if event_type is not None:
            body["event_type"] = normalize_event_type(event_type)
        return body

    def attach(self, server: MCPServer[Any]) -> None:
        """Register the webhook resources and legacy subscribe handlers on ``server``."""
        from mcp.server.mcpserver.exceptions import ResourceNotFoundError

        server_bus: SubscriptionBus = server._subscriptions  # pyright: ignore[reportPrivateUsage]
        if not any(bus is server_bus for bus in self._buses):
            self._buses.append(server_bus)

        @server.resource(
            EVENTS_URI,
            name="webhook_events",
            title="AcademyOcean webhook events",
            description=(
                f"The {LIST_LIMIT} most recent AcademyOcean webhook events, newest first, each with its seq; "
                "also how many are kept and the oldest/newest seq. Subscribe to be told when one arrives."
            ),
            mime_type="application/json",
        )
        async def recent_events() -> str:
            return json.dumps(await self.snapshot(), ensure_ascii=False)

        @server.resource(
            EVENT_URI_TEMPLATE,
            name="webhook_event",
            title="One AcademyOcean webhook event",
            description="One received webhook event by its AcademyOcean event id, with its seq and raw payload.",
            mime_type="application/json",
        )
        async def one_event(event_id: str) -> str:
            stored = await self.store.get(event_id)
            if stored is None:
                raise ResourceNotFoundError(f"No webhook event with id {event_id!r} is kept.")
            return json.dumps(stored.to_dict(), ensure_ascii=False)

        @server.resource(
            TYPE_URI_TEMPLATE,
            name="webhook_events_by_type",
            title="AcademyOcean webhook events of one type",
            description=(
                f"The {LIST_LIMIT} most recent webhook events of one type (e.g. course.finished), newest first."
            ),
            mime_type="application/json",
        )
        async def events_of_type(event_type: str) -> str:
            return json.dumps(await self.snapshot(event_type=event_type), ensure_ascii=False)

        # Legacy era: registering these handlers is also what makes the low-level server
        # advertise ``resources.subscribe: true`` in its initialize result.
        lowlevel = server._lowlevel_server  # pyright: ignore[reportPrivateUsage]
        lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, self._on_subscribe)
        lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, self._on_unsubscribe)

    async def _on_subscribe(self, ctx: ServerRequestContext[Any, Any], params: SubscribeRequestParams) -> EmptyResult:
        uri = str(params.uri)
        key = self._watch(ctx.session)
        sessions = self._legacy.get(uri)
        if sessions is None:
            if len(self._legacy) >= MAX_LEGACY_URIS:
                raise MCPError(INTERNAL_ERROR, "Too many resource subscriptions on this server.")
            sessions = self._legacy[uri] = {}
        sessions[key] = ctx.session
        return EmptyResult()

    async def _on_unsubscribe(
        self, ctx: ServerRequestContext[Any, Any], params: UnsubscribeRequestParams
    ) -> EmptyResult:
        self._forget(_connection_key(ctx.session), uri=str(params.uri))
        return EmptyResult()

    def _watch(self, session: Any) -> int:
        """The key of ``session``'s connection; forgets its subscriptions when the connection closes.

        The SDK's notify on a closed connection is silently dropped (it never
        raises), so without this hook subscriptions of gone clients would pile up.
        """
        key = _connection_key(session)
        if key not in self._watched:
            connection = getattr(session, "_connection", None)
            exit_stack = getattr(connection, "exit_stack", None)
            if exit_stack is not None:
                exit_stack.callback(self._forget, key)
                self._watched.add(key)
        return key

    def _forget(self, key: int, *, uri: str | None = None) -> None:
        """Drop the subscriptions of connection ``key``: to ``uri``, or all of them."""
        for subscribed in [uri] if uri is not None else list(self._legacy):
            sessions = self._legacy.get(subscribed)
            if sessions is None:
                continue
            sessions.pop(key, None)
            if not sessions:
                del self._legacy[subscribed]
        if uri is None:
            self._watched.discard(key)

    def legacy_subscribers(self, uri: str) -> int:
        """How many legacy sessions are subscribed to ``uri`` (for tests and diagnostics)."""
        return len(self._legacy.get(uri, ()))

    async def _notify_legacy(self, uris: Sequence[str]) -> None:
        """Send ``notifications/resources/updated`` to legacy subscribers; drop sessions that fail."""
        targets = [(uri, key, session) for uri in uris for key, session in self._legacy.get(uri, {}).items()]
        if not targets:
            return
        failed: set[int] = set()

        async def send(uri: str, key: int, session: Any) -> None:
            try:
                with anyio.fail_after(LEGACY_SEND_TIMEOUT):
                    await session.send_resource_updated(uri)
            except Exception as error:  # closed stream, broken transport, timeout
                logger.info("dropping a legacy resource subscriber: %s", type(error).__name__)
                failed.add(key)

        async with anyio.create_task_group() as group:
            for uri, key, session in targets:
                group.start_soon(send, uri, key, session)
        for key in failed:
            self._forget(key)
