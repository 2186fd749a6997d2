"""``POST /webhooks/academyocean``: verify, store, then acknowledge.

The receiver is a raw ASGI app so it controls how much of the body it reads:
a body over the cap is refused from its ``Content-Length`` or, when streamed,
as soon as the count passes the cap, so a huge body is never held whole. The
signature is checked over the raw bytes before any JSON parsing. The 200 goes
out only after the event is stored (AcademyOcean does not resend an
acknowledged event), and a store that cannot take it answers 503 so the
sender retries. No input produces a 500.

Answers (JSON bodies)::

    200 {"status": "accepted",  "seq": N, "id": ...}   stored
    200 {"status": "duplicate", "seq": N, "id": ...}   known id, stored once
    400 {"error": ...}   signed, but not UTF-8 JSON, not an object, or no string id/event
    401 {"error": ...}   Signature header missing or wrong
    405 {"error": ...}   not a POST (Allow: POST)
    413 {"error": ...}   body over the cap
    503 {"error": ...}   the store is unavailable; retry later
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any

from ao_mcp.webhooks.signature import verify
from ao_mcp.webhooks.store import StoreUnavailable

if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.routing import Route

    from ao_mcp.webhooks.hub import EventHub

__all__ = ["DEFAULT_MAX_BODY", "WEBHOOK_PATH", "WebhookReceiver", "serve_receiver", "webhook_app", "webhook_route"]

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

WEBHOOK_PATH = "/webhooks/academyocean"
DEFAULT_MAX_BODY = 262144
#: Limits on the identifying fields: they end up in URIs, logs and indexes.
MAX_ID_LENGTH = 256
MAX_EVENT_LENGTH = 128
#: Deeper JSON is refused: nothing AcademyOcean sends nests like that, and deep nesting costs recursion later.
MAX_DEPTH = 32
#: Only the first few Signature headers of a request are tried.
MAX_SIGNATURE_HEADERS = 4


class _Disconnected(Exception):
    """The client went away before sending the whole body."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests containers deeper than ``limit`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _valid_text(value: Any, limit: int) -> bool:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        return False
    try:
        value.encode("utf-8")  # JSON escapes can produce lone surrogates that no store can key on
    except UnicodeEncodeError:
        return False
    return True


class WebhookReceiver:
    """The ASGI app receiving AcademyOcean webhooks for one :class:`EventHub`.

    ``secrets`` are the webhook secrets from AcademyOcean's settings (several
    during a rotation: any one verifies). Without any, the receiver refuses to
    exist unless ``insecure`` is set, because an unsigned endpoint lets anyone
    inject events an assistant will act on. When secrets are set, every
    request must be signed, whatever ``insecure`` says.
    """

    def __init__(
        self,
        hub: EventHub,
        *,
        secrets: Sequence[str],
        max_body: int = DEFAULT_MAX_BODY,
        insecure: bool = False,
    ) -> None:
        if isinstance(secrets, str):
            secrets = (secrets,)
        self.hub = hub
        self._secrets: tuple[str, ...] = tuple(secret for secret in secrets if secret)
        if not isinstance(max_body, int) or max_body < 1:
            raise ValueError(f"max_body must be a positive number of bytes, not {max_body!r}")
        self.max_body = max_body
        self.insecure = insecure and not self._secrets
        if not self._secrets:
            if not insecure:
                raise ValueError(
                    "The webhook receiver needs the webhook secret to verify the Signature header: set "
                    "ACADEMYOCEAN_WEBHOOK_SECRET to the secret shown in AcademyOcean's webhook settings "
                    "(or, for local testing only, AO_MCP_WEBHOOK_INSECURE=1 to accept unsigned webhooks)."
                )
            logger.warning(
                "webhook receiver running without a secret (AO_MCP_WEBHOOK_INSECURE): unsigned webhooks are "
                "accepted, so anyone who can reach %s can inject events",
                WEBHOOK_PATH,
            )
        elif insecure:
            logger.info("AO_MCP_WEBHOOK_INSECURE is ignored: a webhook secret is set, so signatures are required")

    # --- the in-process path (also used by the sandbox) ----------------------------------------------

    async def deliver(self, body: bytes, headers: Mapping[str, str]) -> int:
        """Verify and ingest ``body`` as if it had been POSTed with ``headers``; return the HTTP status."""
        signatures = [value for name, value in headers.items() if isinstance(name, str) and name.lower() == "signature"]
        status, _ = await self._process(bytes(body), signatures)
        return status

    async def _process(
        self, body: bytes, signatures: Sequence[str], client: str = "in-process"
    ) -> tuple[int, dict[str, Any]]:
        """Everything after reading the body: size, signature, JSON, ingest. Never raises."""
        try:
            return await self._process_unguarded(body, signatures, client)
        except Exception:  # the last line of defence: a bug answers 503 (retry), never 500
            logger.exception("unexpected error handling a webhook from %s", client)
            return 503, {"error": "internal error; retry later"}

    async def _process_unguarded(
        self, body: bytes, signatures: Sequence[str], client: str
    ) -> tuple[int, dict[str, Any]]:
        if len(body) > self.max_body:
            return 413, {"error": f"body larger than {self.max_body} bytes"}
        if self._secrets:
            signatures = [value for value in signatures if isinstance(value, str) and value.strip()]
            if not signatures:
                logger.warning("webhook from %s refused: no Signature header", client)
                return 401, {"error": "missing Signature header"}
            if not any(verify(body, value, self._secrets) for value in signatures[:MAX_SIGNATURE_HEADERS]):
                logger.warning("webhook from %s refused: invalid signature", client)
                return 401, {"error": "invalid signature"}
        try:
            payload = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            return self._bad(client, "body is not UTF-8")
        except (ValueError, RecursionError):
            return self._bad(client, "body is not JSON")
        if not isinstance(payload, dict):
            return self._bad(client, "body is not a JSON object")
        if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _too_deep(payload):  # cheap bound first
            return self._bad(client, f"JSON nested deeper than {MAX_DEPTH} levels")
        if not _valid_text(payload.get("id"), MAX_ID_LENGTH):
            return self._bad(client, f"'id' must be a non-empty string of at most {MAX_ID_LENGTH} characters")
        if not _valid_text(payload.get("event"), MAX_EVENT_LENGTH):
            return self._bad(client, f"'event' must be a non-empty string of at most {MAX_EVENT_LENGTH} characters")
        try:
            stored, new = await self.hub.ingest(payload)
        except StoreUnavailable as error:
            logger.error("webhook %s (%s) not stored, answered 503: %s", payload["id"], payload["event"], error)
            return 503, {"error": "event store unavailable; retry later"}
        except ValueError as error:
            return self._bad(client, str(error))
        if new:
            logger.debug("webhook %s (%s) stored as seq %d", stored.id, stored.event, stored.seq)
        else:
            logger.info("webhook %s (%s) is a duplicate of seq %d", stored.id, stored.event, stored.seq)
        return 200, {"status": "accepted" if new else "duplicate", "seq": stored.seq, "id": stored.id}

    @staticmethod
    def _bad(client: str, reason: str) -> tuple[int, dict[str, Any]]:
        logger.info("webhook from %s refused: %s", client, reason)
        return 400, {"error": reason}

    # --- ASGI ---------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind != "http":
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self._http(scope, receive, tracked_send)
        except _Disconnected:
            logger.info("webhook sender disconnected before the body was complete")
        except Exception:
            logger.exception("unexpected error in the webhook receiver")
            if not started:
                with contextlib.suppress(Exception):  # the connection is gone; nothing left to do
                    await _respond(send, 503, {"error": "internal error; retry later"})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("method") != "POST":
            await _respond(send, 405, {"error": "only POST is accepted"}, [(b"allow", b"POST")])
            return
        signatures: list[str] = []
        declared: int | None = None
        for raw_name, raw_value in scope.get("headers") or ():
            name = raw_name.lower()
            if name == b"signature":
                signatures.append(raw_value.decode("latin-1"))
            elif name == b"content-length":
                try:
                    declared = int(raw_value)
                except ValueError:
                    declared = None
        client = _client(scope)
        if declared is not None and declared > self.max_body:
            logger.info("webhook from %s refused: Content-Length %d over the cap", client, declared)
            await _respond(send, 413, {"error": f"body larger than {self.max_body} bytes"}, [(b"connection", b"close")])
            return
        body = await self._read_body(receive)
        if body is None:
            logger.info("webhook from %s refused: body over the cap", client)
            await _respond(send, 413, {"error": f"body larger than {self.max_body} bytes"}, [(b"connection", b"close")])
            return
        status, document = await self._process(body, signatures, client)
        extra = [(b"retry-after", b"30")] if status == 503 else []
        await _respond(send, status, document, extra)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, or ``None`` as soon as it passes ``max_body`` (the rest is never read)."""
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            kind = message.get("type")
            if kind == "http.disconnect":
                raise _Disconnected
            if kind != "http.request":
                continue
            chunk = message.get("body") or b""
            total += len(chunk)
            if total > self.max_body:
                return None
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        """Standalone under an ASGI server: nothing to start or stop."""
        while True:
            message = await receive()
            if message.get("type") == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message.get("type") == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def _client(scope: Scope) -> str:
    client = scope.get("client")
    if client:
        try:
            return f"{client[0]}:{client[1]}"
        except (IndexError, TypeError):
            pass
    return "unknown client"


async def _respond(
    send: Send, status: int, document: dict[str, Any], headers: Sequence[tuple[bytes, bytes]] = ()
) -> None:
    body = json.dumps(document).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"cache-control", b"no-store"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# --- serving ----------------------------------------------------------------------------------------


def webhook_route(receiver: WebhookReceiver, path: str = WEBHOOK_PATH) -> Route:
    """The Starlette route for ``receiver`` (every method reaches it, so it can answer 405 itself)."""
    from starlette.routing import Route

    return Route(path, receiver, name="academyocean_webhook")


def webhook_app(receiver: WebhookReceiver) -> Starlette:
    """A tiny app with only the webhook route: what runs next to a stdio MCP server."""
    from starlette.applications import Starlette

    return Starlette(routes=[webhook_route(receiver)])


async def serve_receiver(receiver: WebhookReceiver, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve :func:`webhook_app` with uvicorn until cancelled.

    Logging goes through the ``uvicorn`` loggers with no handler of uvicorn's
    own and no access log, so nothing is ever written to stdout (the stdio
    MCP transport's channel).
    """
    import uvicorn

    config = uvicorn.Config(
        webhook_app(receiver),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="off",
        server_header=False,
    )
    server = uvicorn.Server(config)
    logger.info("webhook receiver listening on http://%s:%d%s", host, port, WEBHOOK_PATH)
    try:
        await server.serve()
    except SystemExit:  # uvicorn exits when it cannot bind (port in use); it has logged why
        logger.error(
            "webhook receiver not started: cannot listen on %s:%d (AO_MCP_WEBHOOK_PORT); the MCP server goes on "
            "without it",
            host,
            port,
        )
