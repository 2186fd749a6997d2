"""AcademyOcean webhooks: verify, store and serve the events the service pushes.

``signature`` checks the ``Signature`` header, ``events`` types the payloads,
``store``/``sqlite`` keep them with sequence numbers, ``hub`` bridges the store
to MCP (resources, change notifications, waiting), ``receiver`` is the HTTP
endpoint and ``tools`` the two MCP tools.

Importing this package is cheap: the names that need pydantic models, the MCP
SDK, Starlette, uvicorn or sqlite3 are loaded on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ao_mcp.webhooks.payload import EVENT_TYPES, course_ids, learner_emails
from ao_mcp.webhooks.signature import sign, verify
from ao_mcp.webhooks.store import EventStore, MemoryEventStore, StoredEvent, StoreUnavailable, open_store

if TYPE_CHECKING:
    from ao_mcp.webhooks.events import WebhookEvent, parse_event
    from ao_mcp.webhooks.hub import EVENTS_URI, EventHub
    from ao_mcp.webhooks.receiver import WEBHOOK_PATH, WebhookReceiver, serve_receiver, webhook_app, webhook_route
    from ao_mcp.webhooks.sqlite import SQLiteEventStore
    from ao_mcp.webhooks.tools import WEBHOOK_TOOLS

__all__ = [
    "EVENTS_URI",
    "EVENT_TYPES",
    "EventHub",
    "EventStore",
    "MemoryEventStore",
    "SQLiteEventStore",
    "StoreUnavailable",
    "StoredEvent",
    "WEBHOOK_PATH",
    "WEBHOOK_TOOLS",
    "WebhookEvent",
    "WebhookReceiver",
    "course_ids",
    "learner_emails",
    "open_store",
    "parse_event",
    "serve_receiver",
    "sign",
    "verify",
    "webhook_app",
    "webhook_route",
]

_LAZY = {
    "WebhookEvent": "ao_mcp.webhooks.events",
    "parse_event": "ao_mcp.webhooks.events",
    "EVENTS_URI": "ao_mcp.webhooks.hub",
    "EventHub": "ao_mcp.webhooks.hub",
    "SQLiteEventStore": "ao_mcp.webhooks.sqlite",
    "WEBHOOK_PATH": "ao_mcp.webhooks.receiver",
    "WEBHOOK_TOOLS": "ao_mcp.webhooks.tools",
    "WebhookReceiver": "ao_mcp.webhooks.receiver",
    "serve_receiver": "ao_mcp.webhooks.receiver",
    "webhook_app": "ao_mcp.webhooks.receiver",
    "webhook_route": "ao_mcp.webhooks.receiver",
}


def __getattr__(name: str) -> Any:
    """Load the heavier names on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
