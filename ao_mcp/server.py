"""Builds the MCP server: tools from the catalog, event resources, and the runtime they share.

``build_server(settings)`` returns an ``AOServer`` (an ``MCPServer`` whose tool
list and tool calls come from the ``ToolSpec`` table). Its lifespan owns the
shared API client, the event hub, the webhook receiver in stdio mode, and in
sandbox mode the simulator that both answers the API and feeds the receiver.
``build_http_app`` wraps it for the streamable HTTP transport.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.subscriptions import InMemorySubscriptionBus, SubscriptionBus
from mcp_types import CallToolResult, InputRequiredResult, TextContent
from mcp_types import Tool as MCPTool

from ao_mcp import __version__
from ao_mcp.config import Secret, Settings
from ao_mcp.errors import ConfigError
from ao_mcp.spec import Runtime, ToolSpec
from ao_mcp.tools import Catalog, execute

if TYPE_CHECKING:
    import httpx

    from ao_mcp.sandbox import Sandbox
    from ao_mcp.webhooks import EventHub, WebhookReceiver

__all__ = ["AOServer", "ServerParts", "all_tool_specs", "build_server"]

logger = logging.getLogger("ao_mcp.server")

INSTRUCTIONS = """\
Tools for one AcademyOcean account (academies, courses and groups, learners, teams, quizzes, \
certificates). Look ids up first: `academies`, `courses`, `get_teams`. List results are capped \
(see `truncated`; pass `max_items` or a filter for more). Tools that delete or revoke ask the \
user first. Webhook events AcademyOcean pushes are resources under academyocean://webhooks/events \
(subscribe for changes) and the tools `webhook_events` / `wait_for_webhook_event`."""

SANDBOX_INSTRUCTIONS = """\
SANDBOX MODE: every answer is simulated data from the built-in AcademyOcean simulator, not a real \
academy; say so when you report results. """


def all_tool_specs() -> list[ToolSpec]:
    """Every declared tool: the 30 API actions, then the webhook tools."""
    from ao_mcp.actions import API_TOOLS
    from ao_mcp.webhooks.tools import WEBHOOK_TOOLS

    return [*API_TOOLS, *WEBHOOK_TOOLS]


class AOServer(MCPServer[Runtime]):
    """An ``MCPServer`` whose tools are the enabled entries of a ``Catalog``.

    ``parts`` holds what the lifespan starts (event hub, receiver, sandbox); the HTTP
    app mounts ``parts.receiver`` beside ``/mcp``.
    """

    def __init__(self, settings: Settings, catalog: Catalog, parts: ServerParts, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ao_settings = settings
        self.catalog = catalog
        self.parts = parts

    async def list_tools(self) -> list[MCPTool]:
        return list(self.catalog.mcp_tools)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Runtime, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        if name not in self.catalog.enabled:
            return CallToolResult(content=[TextContent(type="text", text=self.catalog.why_disabled(name))], is_error=True)
        if context is None:
            raise RuntimeError("call_tool needs a request context")
        runtime = context.request_context.lifespan_context
        return await execute(self.catalog.spec(name), arguments, runtime, context)


@dataclass
class ServerParts:
    """What ``build_server`` prepares for the lifespan to start; ``hub`` and ``receiver`` only when webhooks are received."""

    settings: Settings
    bus: SubscriptionBus
    hub: EventHub | None = None
    receiver: WebhookReceiver | None = None
    sandbox: Sandbox | None = None
    transport: httpx.AsyncBaseTransport | None = None
    sandbox_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))


def build_server(
    settings: Settings,
    *,
    specs: Sequence[ToolSpec] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sandbox: Sandbox | None = None,
    bus: SubscriptionBus | None = None,
) -> AOServer:
    """The configured server. ``transport`` and ``sandbox`` are seams for tests and benchmarks."""
    catalog = Catalog.from_specs(specs, settings) if specs is not None else Catalog.load(settings)
    parts = ServerParts(settings=settings, bus=bus or InMemorySubscriptionBus(), transport=transport)
    if settings.sandbox:
        parts.sandbox = sandbox or _new_sandbox(settings, parts.sandbox_secret)
    _prepare_events(parts)
    name = "ao-mcp (sandbox: simulated academy)" if settings.sandbox else "ao-mcp"
    instructions = (SANDBOX_INSTRUCTIONS + INSTRUCTIONS) if settings.sandbox else INSTRUCTIONS
    server = AOServer(
        settings,
        catalog,
        parts,
        name=name,
        title="AcademyOcean",
        instructions=instructions,
        version=__version__,
        lifespan=_lifespan(parts),
        subscriptions=parts.bus,
        log_level=settings.log_level,
    )
    if parts.hub is not None:
        parts.hub.attach(server)
    return server


def _new_sandbox(settings: Settings, webhook_secret: str) -> Sandbox:
    from ao_mcp.sandbox import Sandbox, SandboxConfig

    return Sandbox(
        SandboxConfig(
            seed=settings.sandbox_seed,
            learners=settings.sandbox_learners,
            token_lifetime=settings.sandbox_token_lifetime,
            webhook_secret=webhook_secret,
            activity_interval=settings.sandbox_activity,
        )
    )


def _receiver_wanted(settings: Settings) -> bool:
    return settings.sandbox or settings.transport == "http" or settings.webhook_port is not None


def _prepare_events(parts: ServerParts) -> None:
    """Create the store, hub and receiver when this configuration receives webhooks."""
    settings = parts.settings
    if not _receiver_wanted(settings):
        return
    secrets_ = [secret.reveal() for secret in settings.webhook_secrets]
    if parts.sandbox is not None:
        secrets_.append(parts.sandbox.config.webhook_secret)
    if not secrets_ and not settings.webhook_insecure:
        logger.warning(
            "Webhook receiver not started: ACADEMYOCEAN_WEBHOOK_SECRET is not set. Set it to the secret key from "
            "your academy's webhook settings (or AO_MCP_WEBHOOK_INSECURE=1 for local experiments only)."
        )
        return
    from ao_mcp.webhooks import EventHub, WebhookReceiver, open_store

    try:
        store = open_store(settings.event_store, max_events=settings.event_buffer_size, max_age=settings.event_max_age)
    except ValueError as exc:
        raise ConfigError(f"AO_MCP_EVENT_STORE: {exc}") from None
    parts.hub = EventHub(store, parts.bus)
    parts.receiver = WebhookReceiver(
        parts.hub, secrets=secrets_, max_body=settings.webhook_max_body, insecure=settings.webhook_insecure and not secrets_
    )


def _lifespan(parts: ServerParts) -> Any:
    @asynccontextmanager
    async def lifespan(server: MCPServer[Runtime]) -> AsyncIterator[Runtime]:
        settings = parts.settings
        async with AsyncExitStack() as stack:
            runtime = Runtime(
                settings=settings,
                client_factory=lambda: _make_client(parts),
                events=parts.hub,
                simulated=parts.sandbox is not None,
            )
            stack.push_async_callback(runtime.aclose)
            if parts.sandbox is None:
                _token_cache(settings)  # a bad AO_MCP_TOKEN_CACHE stops the start, not the first tool call
            if parts.hub is not None:
                stack.push_async_callback(parts.hub.store.close)
                relay = getattr(parts.hub.store, "relay", None)
                if relay is not None:  # a shared store: announce here what other replicas store
                    await stack.enter_async_context(relay(parts.hub.notify))
            if parts.sandbox is not None:
                if parts.receiver is not None:
                    parts.sandbox.webhooks.set_target(parts.receiver.deliver)
                await stack.enter_async_context(parts.sandbox.running())
                logger.info(
                    "Sandbox mode (%s): serving a simulated academy of %d learners; activity every %gs",
                    settings.sandbox_reason or "requested",
                    settings.sandbox_learners,
                    settings.sandbox_activity,
                )
            if parts.receiver is not None and settings.transport == "stdio" and settings.webhook_port is not None:
                await stack.enter_async_context(_receiver_task(parts.receiver, settings))
            yield runtime

    return lifespan


def _make_client(parts: ServerParts) -> Any:
    from ao_mcp.client import AcademyOceanClient

    settings = parts.settings
    if parts.sandbox is not None:
        import httpx

        config = parts.sandbox.config
        return AcademyOceanClient.from_settings(
            settings,
            transport=parts.transport or httpx.ASGITransport(app=parts.sandbox.app),
            client_id=config.client_id,
            client_secret=Secret(config.client_secret),
        )
    return AcademyOceanClient.from_settings(settings, transport=parts.transport, token_cache=_token_cache(settings))


def _token_cache(settings: Settings) -> Any:
    """The token cache ``AO_MCP_TOKEN_CACHE`` names: none, Redis (shared by replicas) or a file."""
    if not settings.token_cache:
        return None
    from ao_mcp.redis_cache import is_redis_url

    if is_redis_url(settings.token_cache):
        from ao_mcp.redis_cache import RedisTokenCache

        try:
            return RedisTokenCache(settings.token_cache)
        except ValueError as exc:
            raise ConfigError(f"AO_MCP_TOKEN_CACHE: {exc}") from None
    from ao_mcp.auth import FileTokenCache

    return FileTokenCache(settings.token_cache)


@asynccontextmanager
async def _receiver_task(receiver: WebhookReceiver, settings: Settings) -> AsyncIterator[None]:
    import anyio

    from ao_mcp.webhooks import serve_receiver

    async with anyio.create_task_group() as group:
        group.start_soon(serve_receiver, receiver, settings.webhook_host, settings.webhook_port)
        try:
            yield
        finally:
            group.cancel_scope.cancel()
