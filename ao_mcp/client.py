"""The only code in ao-mcp that speaks HTTP to AcademyOcean.

``AcademyOceanClient.call(action, options, write=...)`` sends one documented
action and returns the decoded JSON answer, or raises one error of
``ao_mcp.errors``. It owns, in layers:

- the access token (OAuth 2 client credentials, via ``TokenManager``: reuse,
  refresh ahead of expiry, single flight, drop-and-retry-once on a 401);
- the wire format (PHP bracket form as the documentation's samples send, or JSON);
- error translation (the ``{"error": {"message": ...}}`` shape on any status,
  HTML, garbage and empty bodies, transport failures);
- retries: reads on 429/502/503/504, connect errors and timeouts, with full-jitter
  exponential backoff, ``Retry-After``, an attempt limit and a total deadline;
  writes only when nothing can have been sent (the connection was never made).
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from ao_mcp import __version__
from ao_mcp.auth import Token, TokenCache, TokenManager, cache_key
from ao_mcp.encoding import encode_form
from ao_mcp.errors import (
    APIError,
    APIResponseError,
    AuthError,
    TokenEndpointError,
    TransportError,
    UpstreamError,
)

if TYPE_CHECKING:
    from ao_mcp.config import Secret, Settings

__all__ = ["AcademyOceanClient", "USER_AGENT"]

logger = logging.getLogger("ao_mcp.client")

USER_AGENT = f"ao-mcp/{__version__} (+https://pypi.org/project/ao-mcp/)"
RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0
_STATUS_WORDS = {429: "too many requests", 502: "bad gateway", 503: "service unavailable", 504: "gateway timeout"}


class _NoAnswer(Exception):
    """An attempt got no HTTP answer; ``sent`` says whether the request may have left."""

    def __init__(self, reason: str, *, sent: bool, retry_read: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.sent = sent
        self.retry_read = retry_read


class AcademyOceanClient:
    """One pooled connection to AcademyOcean for the whole process.

    ``transport`` is the test and sandbox seam: an ``httpx.MockTransport`` or an
    ``httpx.ASGITransport`` over the simulator; ``clock``/``sleep``/``jitter`` make
    expiry and backoff controllable without waiting.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: Secret,
        base_url: str = "https://app.academyocean.com",
        body_encoding: str = "form",
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        retries: int = 3,
        retry_deadline: float = 60.0,
        token_cache: TokenCache | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if body_encoding not in ("form", "json"):
            raise ValueError("body_encoding must be 'form' or 'json'")
        self.base_url = base_url.rstrip("/")
        self.api_url = f"{self.base_url}/api/v1/"
        self.token_url = f"{self.base_url}/oauth/token"
        self.body_encoding = body_encoding
        self.timeout = timeout
        self.retries = retries
        self.retry_deadline = retry_deadline
        self._client_id = client_id
        self._client_secret = client_secret
        self._monotonic = monotonic
        self._sleep = sleep
        self._jitter = jitter
        self._clock = clock
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
            follow_redirects=False,
        )
        self.tokens = TokenManager(
            self._fetch_token, clock=clock, cache=token_cache, key=cache_key(self.base_url, client_id)
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        token_cache: TokenCache | None = None,
        client_id: str | None = None,
        client_secret: Secret | None = None,
    ) -> AcademyOceanClient:
        """Build from ``Settings``; ``client_id``/``client_secret`` override them (the sandbox's)."""
        cid, secret = client_id or settings.client_id, client_secret or settings.client_secret
        if not cid or secret is None:
            from ao_mcp.errors import ConfigError

            raise ConfigError("ACADEMYOCEAN_CLIENT_ID and ACADEMYOCEAN_CLIENT_SECRET must both be set.")
        return cls(
            client_id=cid,
            client_secret=secret,
            base_url=settings.base_url,
            body_encoding=settings.body_encoding,
            timeout=settings.timeout,
            connect_timeout=settings.connect_timeout,
            retries=settings.retries,
            retry_deadline=settings.retry_deadline,
            token_cache=token_cache,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"AcademyOceanClient(base_url={self.base_url!r}, client_id={self._client_id!r}, encoding={self.body_encoding!r})"

    async def __aenter__(self) -> AcademyOceanClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- calls -------------------------------------------------------------------------

    async def call(self, action: str, options: Mapping[str, Any] | None = None, *, write: bool) -> Any:
        """Send ``action`` with ``options``; return the decoded JSON answer.

        ``write=True`` marks an action with side effects: it is never retried once
        it may have reached the service.
        """
        content, content_type = self._body(action, options or {})
        started = self._monotonic()
        deadline = started + self.retry_deadline
        attempt, renewed = 0, False
        while True:
            attempt += 1
            token = await self._token_before(deadline)
            try:
                response = await self._send(content, content_type, token, deadline)
            except _NoAnswer as failure:
                retry = failure.retry_read if not write else not failure.sent
                if retry and (delay := self._delay(attempt, None, deadline)) is not None:
                    logger.info("Retrying %s after %s in %.1fs (attempt %d of %d)",
                                action, failure.reason, delay, attempt + 1, self.retries + 1)
                    await self._sleep(delay)
                    continue
                raise self._no_answer_error(action, failure, write, attempt) from None
            status = response.status_code
            logger.debug("%s -> HTTP %d in %.0f ms", action, status, (self._monotonic() - started) * 1000)
            if status == 401:
                self.tokens.invalidate(token)
                if not renewed:
                    renewed = True
                    logger.info("AcademyOcean refused the access token for %s; fetching a new one", action)
                    attempt -= 1
                    continue
                raise AuthError(
                    f"AcademyOcean refused a freshly issued access token for {action} (HTTP 401): the credentials "
                    "or the OAuth application were rejected. Check ACADEMYOCEAN_CLIENT_ID and "
                    "ACADEMYOCEAN_CLIENT_SECRET and that the application still exists (Settings > API).",
                    action=action,
                    status=401,
                )
            if status in RETRYABLE_STATUS and not write:
                delay = self._delay(attempt, _retry_after(response), deadline)
                if delay is not None:
                    logger.info("Retrying %s after HTTP %d in %.1fs (attempt %d of %d)",
                                action, status, delay, attempt + 1, self.retries + 1)
                    await self._sleep(delay)
                    continue
            return self._decode(action, response, attempt)

    def _body(self, action: str, options: Mapping[str, Any]) -> tuple[bytes, str]:
        if self.body_encoding == "json":
            return json.dumps({"action": action, "options": dict(options)}).encode(), "application/json"
        return encode_form({"action": action, "options": options}).encode(), "application/x-www-form-urlencoded"

    async def _token_before(self, deadline: float) -> Token:
        remaining = deadline - self._monotonic()
        with anyio.move_on_after(max(remaining, 0.001)) as scope:
            return await self.tokens.get()
        if scope.cancelled_caught:
            raise TokenEndpointError(
                f"No access token within the call's deadline ({self.retry_deadline:g}s): the token endpoint "
                f"{self.token_url} is slow or down.",
                kind="timeout",
            )
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(self, content: bytes, content_type: str, token: Token, deadline: float) -> httpx.Response:
        headers = {"Authorization": f"{token.token_type or 'Bearer'} {token.value}", "Content-Type": content_type}
        return await self._post(self.api_url, content, headers, deadline)

    async def _post(self, url: str, content: bytes, headers: Mapping[str, str], deadline: float) -> httpx.Response:
        """One POST bounded by the deadline; transport failures become ``_NoAnswer``."""
        remaining = deadline - self._monotonic()
        if remaining <= 0:
            raise _NoAnswer("the deadline passed", sent=False, retry_read=False)
        with anyio.move_on_after(remaining) as scope:
            try:
                return await self._http.post(url, content=content, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise _NoAnswer(_reason(exc, "could not connect"), sent=False, retry_read=True) from None
            except httpx.PoolTimeout:
                raise _NoAnswer("no free connection in the pool", sent=False, retry_read=True) from None
            except (httpx.ReadTimeout, httpx.WriteTimeout):
                raise _NoAnswer(f"no answer within {self.timeout:g}s", sent=True, retry_read=True) from None
            except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
                raise _NoAnswer(_reason(exc, "the connection was reset"), sent=True, retry_read=True) from None
            except httpx.HTTPError as exc:
                raise _NoAnswer(_reason(exc, "the request failed"), sent=True, retry_read=False) from None
        if scope.cancelled_caught:
            raise _NoAnswer(f"no answer within the call's deadline ({self.retry_deadline:g}s)", sent=True, retry_read=False)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, retry_after: float | None, deadline: float) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` when the budget is spent."""
        if attempt > self.retries:
            return None
        if retry_after is not None:
            delay = retry_after
        else:
            delay = self._jitter() * min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
        if self._monotonic() + delay >= deadline:
            return None
        return delay

    def _no_answer_error(self, action: str, failure: _NoAnswer, write: bool, attempts: int) -> APIError:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        if write and failure.sent:
            message = (f"No answer from AcademyOcean for {action}: {failure.reason}{tries}. The request was sent "
                       "and may have taken effect; check before repeating it.")
        else:
            message = f"Could not reach AcademyOcean for {action}: {failure.reason}{tries}."
        return TransportError(message, action=action, status=None, sent=failure.sent)

    # -- answers ----------------------------------------------------------------------

    def _decode(self, action: str, response: httpx.Response, attempts: int) -> Any:
        status = response.status_code
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        try:
            data = _parse_json(response.content)
        except _Unreadable as exc:
            shown = f": {self._redact(exc.excerpt)!r}" if exc.excerpt else ""
            if status >= 400:
                words = _STATUS_WORDS.get(status, "error")
                what = f"HTTP {status} ({words}){tries}, with {exc.kind}{shown}"
            else:
                what = f"HTTP {status}{tries} and {exc.kind}{shown}"
            raise UpstreamError(f"AcademyOcean answered {action} with {what}.", action=action, status=status) from None
        message = _error_message(data, status)
        if message is not None:
            text = self._redact(message)
            if status >= 500 or status == 429:
                raise UpstreamError(
                    f"AcademyOcean failed on {action} (HTTP {status}{tries}): {text}", action=action, status=status
                )
            raise APIResponseError(
                f"AcademyOcean rejected {action}: {text}", api_message=text, action=action, status=status
            )
        if status >= 400:
            words = _STATUS_WORDS.get(status, "error")
            raise UpstreamError(
                f"AcademyOcean answered {action} with HTTP {status} ({words}){tries}: "
                f"{self._redact(_excerpt(response.content))}",
                action=action,
                status=status,
            )
        return data

    # -- token endpoint ---------------------------------------------------------------

    async def _fetch_token(self) -> tuple[Token, float]:
        """Ask ``/oauth/token``; retried like a read (it has no side effect)."""
        form = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret.reveal(),
            "scope": "",
        }
        content = encode_form(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        deadline = self._monotonic() + self.retry_deadline
        attempt = 0
        while True:
            attempt += 1
            requested_at = self._clock()
            try:
                response = await self._post(self.token_url, content, headers, deadline)
            except _NoAnswer as failure:
                if failure.retry_read and (delay := self._delay(attempt, None, deadline)) is not None:
                    logger.info("Retrying the token request after %s in %.1fs", failure.reason, delay)
                    await self._sleep(delay)
                    continue
                kind = "timeout" if "within" in failure.reason else "unreachable"
                raise TokenEndpointError(
                    f"The AcademyOcean token endpoint {self.token_url} is {'too slow' if kind == 'timeout' else 'unreachable'}: "
                    f"{failure.reason}.",
                    kind=kind,
                ) from None
            status = response.status_code
            if status in RETRYABLE_STATUS or status >= 500:
                delay = self._delay(attempt, _retry_after(response), deadline) if status != 500 else None
                if delay is not None:
                    logger.info("Retrying the token request after HTTP %d in %.1fs", status, delay)
                    await self._sleep(delay)
                    continue
                raise TokenEndpointError(
                    f"The AcademyOcean token endpoint failed with HTTP {status}: "
                    f"{self._redact(_excerpt(response.content))}",
                    kind="server_error",
                    status=status,
                )
            if status in (400, 401, 403):
                detail = _error_message(_safe_json(response.content), status) or _excerpt(response.content)
                raise AuthError(
                    f"AcademyOcean rejected the client credentials (HTTP {status}: {self._redact(detail)}). "
                    "Check ACADEMYOCEAN_CLIENT_ID and ACADEMYOCEAN_CLIENT_SECRET (Settings > API in your academy).",
                    status=status,
                    sent=False,
                )
            return self._token_from(response, requested_at)

    def _token_from(self, response: httpx.Response, requested_at: float) -> tuple[Token, float]:
        status = response.status_code
        data = _safe_json(response.content)
        value = data.get("access_token") if isinstance(data, dict) else None
        if status >= 300 or not isinstance(value, str) or not value:
            what = "no access_token" if isinstance(data, dict) else "a body that is not a JSON object"
            raise TokenEndpointError(
                f"The AcademyOcean token endpoint answered HTTP {status} with {what}: "
                f"{self._redact(_excerpt(response.content, secrets=(value,) if isinstance(value, str) else ()))}",
                kind="bad_response",
                status=status,
            )
        try:
            lifetime = float(data.get("expires_in"))
        except (TypeError, ValueError):
            lifetime = 3600.0  # not stated: assume an hour and let a 401 correct us
        lifetime = max(lifetime, 1.0)
        token_type = data.get("token_type") if isinstance(data.get("token_type"), str) else "Bearer"
        logger.info("Obtained an access token valid for %.0fs", lifetime)
        return Token(value, requested_at + lifetime, token_type or "Bearer"), lifetime

    def _redact(self, text: str) -> str:
        """Remove the client secret and any token of ours from text that came from the wire."""
        secrets = [self._client_secret.reveal()]
        current = self.tokens._token  # noqa: SLF001 - the client owns the manager
        if current is not None:
            secrets.append(current.value)
        for secret in secrets:
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text


def _reason(exc: Exception, fallback: str) -> str:
    text = str(exc).strip()
    return f"{fallback} ({text[:120]})" if text else fallback


class _Unreadable(Exception):
    def __init__(self, kind: str, excerpt: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.excerpt = excerpt


def _parse_json(content: bytes) -> Any:
    """Decode a JSON answer; ``_Unreadable`` says in words what came instead."""
    if not content.strip():
        raise _Unreadable("an empty body")
    try:
        return json.loads(content)
    except ValueError:
        head = content[:512].lstrip().lower()
        is_html = head.startswith((b"<!doctype html", b"<html")) or b"<body" in head
        raise _Unreadable("an HTML page instead of JSON" if is_html else "a body that is not JSON", _excerpt(content)) from None


def _safe_json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None


def _error_message(data: Any, status: int) -> str | None:
    """The API's error text when ``data`` has the documented ``{"error": {"message": ...}}`` shape."""
    if not isinstance(data, dict):
        return None
    error = data.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        if isinstance(message, str) and message.strip():
            return message.strip()
        return json.dumps(error)[:200]
    if isinstance(error, str) and error.strip():
        detail = data.get("message") or data.get("error_description")
        return f"{error.strip()}: {detail.strip()}" if isinstance(detail, str) and detail.strip() else error.strip()
    if status >= 400 and isinstance(data.get("message"), str):
        return data["message"].strip()
    return None


_TAG = re.compile(rb"<[^>]*>")
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _excerpt(content: bytes, limit: int = 160, secrets: tuple[str, ...] = ()) -> str:
    title = _TITLE.search(content[:4096])
    raw = title.group(1) if title else _TAG.sub(b" ", content[:4096])
    text = " ".join(raw.decode("utf-8", errors="replace").split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:limit] + ("..." if len(text) > limit else "") if text else "(nothing readable)"


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or ``None``."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())
