"""The HTTP face of the sandbox: token endpoint, API endpoint, admin routes.

Each request goes: count it -> decode the body -> log it -> injected fault? ->
authenticate -> check the envelope -> run the action. Every failure, including
garbage bodies and unknown routes, is answered in the documented error shape
``{"error": {"message": ...}}``; nothing reaches the client as a bare 500.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ao_mcp.encoding import decode_form
from ao_mcp.sandbox.actions import ACTIONS, CACHEABLE
from ao_mcp.sandbox.actions.views import RawJSON
from ao_mcp.sandbox.faults import Fault
from ao_mcp.sandbox.stats import RecordedRequest
from ao_mcp.sandbox.validation import ApiError, Options
from ao_mcp.sandbox.webhooks import php_json

if TYPE_CHECKING:
    from ao_mcp.sandbox.core import Sandbox

__all__ = ["build_app", "error_response", "parse_body"]

logger = logging.getLogger("ao_mcp.sandbox")

MAX_BODY = 10 * 1024 * 1024
_REASONS = {
    400: "Bad Request",
    401: "Unauthenticated.",
    403: "This action is unauthorized.",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Payload Too Large",
    422: "The given data was invalid.",
    429: "Too Many Attempts.",
    500: "Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_HTML = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_GARBAGE = b"\x89\x00\xffnot json at all {{{ <<<\xfe"
_CACHE_SIZE = 16


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(php_json(data), status_code=status, media_type="application/json", headers=headers)


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """The documented error shape."""
    return json_response({"error": {"message": message}}, status, headers)


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Decode a PHP form or a JSON object; raises ``ApiError(400)`` on anything else.

    Without a usable Content-Type, a body starting with ``{`` is taken as JSON.
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    looks_json = kind == "application/json" or kind.endswith("+json")
    if not looks_json and kind != "application/x-www-form-urlencoded":
        looks_json = body.lstrip()[:1] == b"{"
    if looks_json:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return data
    return decode_form(body)


def _retry_after(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def build_app(sandbox: Sandbox) -> Starlette:
    """The Starlette app serving ``sandbox``."""
    cache: OrderedDict[tuple[str, str], tuple[int, bytes]] = OrderedDict()

    async def apply_fault(fault: Fault, endpoint: str, token: str | None) -> Response | None:
        """The faulty answer, or ``None`` to carry on normally (after any delay)."""
        if fault.kind in ("latency", "hang"):
            await anyio.sleep(fault.delay)
            return None
        if fault.kind == "status":
            status = fault.status or 500
            headers = {"Retry-After": _retry_after(fault.retry_after)} if fault.retry_after is not None else None
            return error_response(status, fault.message or _REASONS.get(status, "Error"), headers)
        if fault.kind == "error_in_200":
            return error_response(200, fault.message or "Something went wrong.")
        if fault.kind == "html":
            status = fault.status or 502
            page = _HTML.format(status=status, reason=_REASONS.get(status, "Error").rstrip("."))
            return Response(page, status_code=status, media_type="text/html")
        if fault.kind == "garbage":
            return Response(_GARBAGE, status_code=200, media_type="application/json")
        if fault.kind == "empty":
            return Response(b"", status_code=200, media_type="application/json")
        # expire_token: the presented token really stops working, as an expired one would.
        if token:
            sandbox.tokens.expire(token)
        message = "Client authentication failed" if endpoint == "token" else "Unauthenticated."
        return error_response(401, message)

    async def read_body(request: Request) -> bytes:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            raise ApiError(413, "The request body is too large.")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                raise ApiError(413, "The request body is too large.")
        return bytes(body)

    async def token_endpoint(request: Request) -> Response:
        sandbox.stats.token_requests += 1
        fault = sandbox.faults.take("token")
        if fault is not None:
            answer = await apply_fault(fault, "token", None)
            if answer is not None:
                return answer
        try:
            fields = parse_body(request.headers.get("content-type", ""), await read_body(request))
        except ApiError as error:
            return error_response(error.status, error.message)
        config = sandbox.config
        for name in ("grant_type", "client_id", "client_secret"):
            value = fields.get(name)
            if value is None or value == "":
                return error_response(400, f"The {name} field is required.")
            if not isinstance(value, str):
                return error_response(400, f"The {name} field must be a string.")
        good = (
            fields["grant_type"] == "client_credentials"
            and hmac.compare_digest(fields["client_id"].encode(), config.client_id.encode())
            and hmac.compare_digest(fields["client_secret"].encode(), config.client_secret.encode())
        )
        if not good:
            return error_response(401, "Client authentication failed")
        sandbox.stats.issued_tokens += 1
        token = sandbox.tokens.issue()
        return json_response(
            {"token_type": "Bearer", "expires_in": int(config.token_lifetime), "access_token": token}
        )

    def run_action(action: str, options: dict[str, Any]) -> bytes:
        state = sandbox.state
        key: tuple[str, str] | None = None
        if action in CACHEABLE:
            key = (action, json.dumps(options, sort_keys=True, default=str))
            hit = cache.get(key)
            if hit is not None and hit[0] == state.revision:
                cache.move_to_end(key)
                return hit[1]
        result = ACTIONS[action](state, Options(options))
        body = result.data if isinstance(result, RawJSON) else php_json(result)
        if key is not None:
            cache[key] = (state.revision, body)
            cache.move_to_end(key)
            while len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)
        return body

    async def api_endpoint(request: Request) -> Response:
        sandbox.stats.api_requests += 1
        token = _bearer(request)
        content_type = request.headers.get("content-type", "")
        envelope_error: ApiError | None = None
        try:
            body = await read_body(request)
        except ApiError as error:
            return error_response(error.status, error.message)
        try:
            data = parse_body(content_type, body)
        except ApiError as error:
            data, envelope_error = {}, error
        action = data.get("action")
        options = data.get("options")
        if options is None or options == [] or options == "":
            options = {}
        if not isinstance(action, str):
            action = None
        sandbox.requests.append(
            RecordedRequest(action, options if isinstance(options, dict) else {}, content_type, body, token)
        )
        if action is not None:
            sandbox.stats.by_action[action] += 1
        fault = sandbox.faults.take("api", action)
        if fault is not None:
            answer = await apply_fault(fault, "api", token)
            if answer is not None:
                return answer
        if not sandbox.tokens.valid(token):
            return error_response(401, "Unauthenticated.")
        if envelope_error is not None:
            return error_response(envelope_error.status, envelope_error.message)
        if action is None:
            missing = data.get("action") in (None, "")
            return error_response(400, f"The action field {'is required' if missing else 'must be a string'}.")
        if action not in ACTIONS:
            return error_response(400, f'The action "{action[:80]}" does not exist.')
        if not isinstance(options, dict):
            return error_response(400, "The options field must be an array.")
        try:
            return Response(run_action(action, options), media_type="application/json")
        except ApiError as error:
            return error_response(error.status, error.message)
        except Exception:  # a sandbox bug must still answer in the documented shape
            logger.exception("sandbox action %s failed", action)
            return error_response(500, "Server Error")

    async def add_fault(request: Request) -> Response:
        try:
            fault = Fault.from_dict(json.loads(await request.body() or b"null"))
        except (ValueError, TypeError) as error:
            return error_response(400, f"Invalid fault: {error}")
        sandbox.faults.add(fault)
        return json_response({"fault": fault.as_dict()}, 201)

    async def clear_faults(request: Request) -> Response:
        return json_response({"cleared": sandbox.faults.clear()})

    async def expire_tokens(request: Request) -> Response:
        return json_response({"expired": sandbox.expire_tokens()})

    async def get_stats(request: Request) -> Response:
        hooks = sandbox.webhooks
        return json_response(
            {
                **sandbox.stats.as_dict(),
                "faults_pending": len(sandbox.faults.pending),
                "faults_applied": sandbox.faults.applied,
                "webhooks": {"sent": len(hooks.sent), "delivered": hooks.delivered,
                             "dropped": hooks.dropped, "pending": hooks.pending},
            }
        )

    async def reset_stats(request: Request) -> Response:
        sandbox.stats.reset()
        return json_response({"reset": True})

    async def simulate(request: Request) -> Response:
        try:
            data = json.loads(await request.body() or b"{}")
            steps = data.get("steps", 1) if isinstance(data, dict) else None
        except ValueError:
            steps = None
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 10_000:
            return error_response(400, "steps must be an integer from 1 to 10000.")
        emitted = await sandbox.simulate_activity(steps)
        return json_response({"steps": steps, "events": len(emitted)})

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        headers = getattr(exc, "headers", None)
        return error_response(status, _REASONS.get(status, "Error"), headers)

    async def server_error(request: Request, exc: Exception) -> Response:
        logger.exception("sandbox request failed", exc_info=exc)
        return error_response(500, "Server Error")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # When the app is hosted by a server with lifespan, the background tasks run with it.
        async with sandbox.running():
            yield

    routes = [
        Route("/oauth/token", token_endpoint, methods=["POST"]),
        Route("/api/v1/", api_endpoint, methods=["POST"]),
        Route("/api/v1", api_endpoint, methods=["POST"]),
        Route("/_sandbox/faults", add_fault, methods=["POST"]),
        Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
        Route("/_sandbox/expire-tokens", expire_tokens, methods=["POST"]),
        Route("/_sandbox/stats", get_stats, methods=["GET"]),
        Route("/_sandbox/reset-stats", reset_stats, methods=["POST"]),
        Route("/_sandbox/activity", simulate, methods=["POST"]),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )

