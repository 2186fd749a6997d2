"""The streamable HTTP transport: ``/mcp`` behind a bearer token, and the webhook route beside it.

Binding anything but a loopback address without ``AO_MCP_HTTP_TOKEN`` is refused.
With a token, every path but the webhook route requires it. The SDK's Host/Origin
checks against DNS rebinding stay on; they accept loopback names, the bind
address and ``AO_MCP_ALLOWED_HOSTS`` (the names a reverse proxy forwards). The
webhook route is authenticated by its signature, never by the token.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ao_mcp.errors import ConfigError

if TYPE_CHECKING:
    from ao_mcp.config import Settings
    from ao_mcp.server import AOServer

__all__ = ["BearerTokenMiddleware", "build_http_app", "is_loopback"]

logger = logging.getLogger("ao_mcp.http")

MCP_PATH = "/mcp"
WEBHOOK_PATH = "/webhooks/academyocean"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_WILDCARD_BINDS = ("0.0.0.0", "::", "[::]")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _route_path(scope: Scope) -> str:
    """The path the router matches: ``path`` without ``root_path`` (as Starlette computes it).

    Under ``uvicorn --root-path /prefix`` the scope's ``path`` is ``/prefix/mcp``
    while the router still serves ``/mcp``; deciding on the raw path would let
    such a request past the token check.
    """
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("/", ""):
        return path[len(root) :]
    return path


class BearerTokenMiddleware:
    """Requires ``Authorization: Bearer <token>`` on every request but the webhook route.

    Deny by default: only the exact webhook path (authenticated by its
    signature) is open, so no route added later, and no prefix or path
    trick, reaches the MCP endpoint without the token. Both sides are hashed
    before the constant-time comparison, so neither content nor length leaks.
    """

    def __init__(self, app: ASGIApp, token: str, open_paths: tuple[str, ...] = (WEBHOOK_PATH,)) -> None:
        self.app = app
        self._expected = hashlib.sha256(token.encode()).digest()
        self.open_paths = open_paths

    def _authorized(self, scope: Scope) -> bool:
        presented = b""
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                presented = value
                break
        scheme, _, credentials = presented.strip().partition(b" ")
        digest = hashlib.sha256(credentials.strip()).digest()
        # Always compare, even for a wrong scheme, so the answer time does not depend on it.
        return hmac.compare_digest(digest, self._expected) & (scheme.lower() == b"bearer")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind in ("http", "websocket") and _route_path(scope) not in self.open_paths and not self._authorized(scope):
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            body = json.dumps({"error": "unauthorized", "message": "A valid Authorization: Bearer token is required."})
            await send({
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b'Bearer realm="ao-mcp"'),
                ],
            })
            await send({"type": "http.response.body", "body": body.encode()})
            return
        await self.app(scope, receive, send)


def _host_names(settings: Settings) -> list[str]:
    """Host names the DNS-rebinding check accepts: loopback, the bind address, AO_MCP_ALLOWED_HOSTS."""
    names = list(_LOOPBACK_NAMES)
    bind = settings.host
    if bind and bind not in _WILDCARD_BINDS:
        names.append(f"[{bind}]" if ":" in bind and not bind.startswith("[") else bind)
    names.extend(settings.allowed_hosts)
    return list(dict.fromkeys(names))


def _transport_security(settings: Settings) -> object:
    from mcp.server.transport_security import TransportSecuritySettings

    names = _host_names(settings)
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
    if token is None and settings.allowed_hosts:
        logger.warning(
            "AO_MCP_ALLOWED_HOSTS is set but AO_MCP_HTTP_TOKEN is not: a reverse proxy serving those names "
            "lets anyone who reaches it use /mcp. Set AO_MCP_HTTP_TOKEN."
        )
    if settings.host in _WILDCARD_BINDS and not settings.allowed_hosts:
        logger.warning(
            "Listening on all addresses, but only requests whose Host header is localhost, 127.0.0.1 or [::1] are "
            "served (others get 421 Invalid Host header). List the names clients use in AO_MCP_ALLOWED_HOSTS."
        )
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=settings.http_stateless,
        transport_security=_transport_security(settings),  # type: ignore[arg-type]
        host=settings.host,
    )
    routes: list[Route | Mount] = []
    receiver = server.parts.receiver
    if receiver is not None:
        routes.append(Route(WEBHOOK_PATH, endpoint=receiver))
    routes.append(Mount("/", app=mcp_app))
    app: ASGIApp = Starlette(routes=routes, lifespan=mcp_app.router.lifespan_context)
    if token is not None:
        app = BearerTokenMiddleware(app, token)
    return app
