"""The streamable HTTP transport: ``/mcp`` behind a bearer token, and the webhook route beside it.

Binding anything but a loopback address without ``AO_MCP_HTTP_TOKEN`` is refused.
The SDK's Host/Origin checks against DNS rebinding stay on; ``AO_MCP_ALLOWED_HOSTS``
adds the names a reverse proxy forwards. The webhook route is authenticated by
its signature, never by the token.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ao_mcp.errors import ConfigError

if TYPE_CHECKING:
    from ao_mcp.config import Settings
    from ao_mcp.server import AOServer

__all__ = ["BearerTokenMiddleware", "build_http_app", "is_loopback"]

MCP_PATH = "/mcp"
WEBHOOK_PATH = "/webhooks/academyocean"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BearerTokenMiddleware:
    """Requires ``Authorization: Bearer <token>`` on ``/mcp``; compares in constant time."""

    def __init__(self, app: ASGIApp, token: str, path: str = MCP_PATH) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["path"] == self.path or scope["path"].startswith(self.path + "/")):
            presented = b""
            for name, value in scope.get("headers", ()):
                if name == b"authorization":
                    presented = value
                    break
            if not hmac.compare_digest(presented, self._expected):
                body = json.dumps({"error": "unauthorized", "message": "A valid Authorization: Bearer token is required."})
                await send({
                    "type": "http.response.start",
                    "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b'Bearer realm="ao-mcp"')],
                })
                await send({"type": "http.response.body", "body": body.encode()})
                return
        await self.app(scope, receive, send)


def _transport_security(settings: Settings) -> object:
    from mcp.server.transport_security import TransportSecuritySettings

    names = [*_LOOPBACK_NAMES, *settings.allowed_hosts]
    if not is_loopback(settings.host) and settings.host not in ("0.0.0.0", "::"):
        names.append(settings.host)
    hosts = [pattern for name in names for pattern in (name, f"{name}:*")]
    origins = [f"{scheme}://{name}{port}" for name in names for scheme in ("http", "https") for port in ("", ":*")]
    return TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins)


def build_http_app(server: AOServer, settings: Settings) -> ASGIApp:
    """The ASGI app serving ``/mcp`` (and the webhook route when a receiver is configured)."""
    token = settings.http_token.reveal() if settings.http_token is not None else None
    if token is None and not is_loopback(settings.host):
        raise ConfigError(
            f"Refusing to serve on {settings.host} without AO_MCP_HTTP_TOKEN: anyone who can reach this address "
            "could use your AcademyOcean account. Set AO_MCP_HTTP_TOKEN, or bind 127.0.0.1."
        )
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=settings.http_stateless,
        transport_security=_transport_security(settings),  # type: ignore[arg-type]
        host=settings.host,
    )
    routes: list[Route | Mount] = []
    receiver = server.parts.receiver  # type: ignore[attr-defined]
    if receiver is not None:
        routes.append(Route(WEBHOOK_PATH, endpoint=receiver))
    routes.append(Mount("/", app=mcp_app))
    app: ASGIApp = Starlette(routes=routes, lifespan=mcp_app.router.lifespan_context)
    if token is not None:
        app = BearerTokenMiddleware(app, token)
    return app
