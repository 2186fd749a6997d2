"""The API client against httpx.MockTransport: auth, wire format, errors, retries, secrets."""

from __future__ import annotations

import asyncio
import importlib.abc
import json
import logging
import os
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from ao_mcp.auth import FileTokenCache
from ao_mcp.client import USER_AGENT, AcademyOceanClient
from ao_mcp.config import Secret
from ao_mcp.encoding import decode_form, encode_form
from ao_mcp.errors import APIResponseError, AuthError, TokenEndpointError, TransportError, UpstreamError

SECRET = "s3cr3t-client-secret-value"
BASE = "https://app.academyocean.com"

pytestmark = pytest.mark.anyio


class Clock:
    """Wall clock and monotonic clock in one, advanced by the fake sleep."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await anyio.lowlevel.checkpoint()


class FakeService:
    """A scripted AcademyOcean: token endpoint and API, counting what it receives."""

    def __init__(self) -> None:
        self.token_requests: list[dict[str, Any]] = []
        self.api_requests: list[httpx.Request] = []
        self.api_script: list[Callable[[httpx.Request], httpx.Response] | httpx.Response | Exception] = []
        self.token_script: list[httpx.Response | Exception] = []
        self.token_delay = 0.0
        self.expires_in = 3600
        self.issued = 0

    async def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            self.token_requests.append(decode_form(request.content))
            if self.token_delay:
                await anyio.sleep(self.token_delay)
            if self.token_script:
                item = self.token_script.pop(0)
                if isinstance(item, Exception):
                    raise item
                return item
            self.issued += 1
            return httpx.Response(
                200, json={"token_type": "Bearer", "expires_in": self.expires_in, "access_token": f"tok-{self.issued}-xyz"}
            )
        assert request.url.path == "/api/v1/"
        self.api_requests.append(request)
        if self.api_script:
            item = self.api_script.pop(0)
            if isinstance(item, Exception):
                raise item
            if callable(item):
                return item(request)
            return item
        return httpx.Response(200, json=[{"email": "jane@example.com"}])


@pytest.fixture
def service() -> FakeService:
    return FakeService()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_client(service: FakeService, clock: Clock, **kwargs: Any) -> AcademyOceanClient:
    options: dict[str, Any] = dict(
        client_id="client-1",
        client_secret=Secret(SECRET),
        transport=httpx.MockTransport(service.handler),
        clock=clock,
        monotonic=clock,
        sleep=clock.sleep,
        jitter=lambda: 0.5,
    )
    options.update(kwargs)
    return AcademyOceanClient(**options)


# -- wire format ------------------------------------------------------------------------


async def test_form_body_is_php_http_build_query_with_bearer_and_user_agent(service, clock):
    async with make_client(service, clock) as client:
        answer = await client.call("learners", {"dates": ["2017-07-25 00:00:00", "2017-07-25 23:59:59"]}, write=False)
    assert answer == [{"email": "jane@example.com"}]
    request = service.api_requests[0]
    assert request.method == "POST" and str(request.url) == f"{BASE}/api/v1/"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["authorization"] == "Bearer tok-1-xyz"
    assert request.headers["user-agent"] == USER_AGENT and USER_AGENT.startswith("ao-mcp/")
    assert request.content.decode() == (
        "action=learners&options%5Bdates%5D%5B0%5D=2017-07-25+00%3A00%3A00&options%5Bdates%5D%5B1%5D=2017-07-25+23%3A59%3A59"
    )
    assert service.token_requests == [
        {"grant_type": "client_credentials", "client_id": "client-1", "client_secret": SECRET, "scope": ""}
    ]


async def test_json_body_when_configured(service, clock):
    async with make_client(service, clock, body_encoding="json") as client:
        await client.call("deleteLearners", {"emails": ["a@example.com"], "is_permanently_delete": True}, write=True)
    request = service.api_requests[0]
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "action": "deleteLearners",
        "options": {"emails": ["a@example.com"], "is_permanently_delete": True},
    }


async def test_action_without_options_sends_only_the_action(service, clock):
    async with make_client(service, clock) as client:
        await client.call("courses", None, write=False)
    assert service.api_requests[0].content == encode_form({"action": "courses"}).encode() == b"action=courses"


# -- tokens -----------------------------------------------------------------------------


async def test_token_is_reused_until_shortly_before_expiry(service, clock):
    async with make_client(service, clock) as client:
        await client.call("courses", None, write=False)
        clock.now += 3600 - 400  # still outside the refresh margin
        await client.call("courses", None, write=False)
        assert len(service.token_requests) == 1
        clock.now += 150  # within 300 s of expiry: refreshed ahead of time
        await client.call("courses", None, write=False)
    assert len(service.token_requests) == 2
    assert [r.headers["authorization"] for r in service.api_requests] == [
        "Bearer tok-1-xyz",
        "Bearer tok-1-xyz",
        "Bearer tok-2-xyz",
    ]


async def test_short_lifetime_refreshes_within_a_tenth_of_it(service, clock):
    service.expires_in = 60
    async with make_client(service, clock) as client:
        await client.call("courses", None, write=False)
        clock.now += 50
        await client.call("courses", None, write=False)
        assert len(service.token_requests) == 1
        clock.now += 5  # 55 s of 60: less than 6 s left
        await client.call("courses", None, write=False)
    assert len(service.token_requests) == 2


async def test_concurrent_calls_without_token_make_exactly_one_token_request(service, clock):
    service.token_delay = 0.05
    results: list[Any] = []
    async with make_client(service, clock) as client:

        async def one() -> None:
            results.append(await client.call("courses", None, write=False))

        async with anyio.create_task_group() as group:
            for _ in range(200):
                group.start_soon(one)
    assert len(service.token_requests) == 1
    assert len(results) == 200 and len(service.api_requests) == 200


async def test_concurrent_waiters_share_a_token_failure_and_a_later_call_recovers(service, clock):
    service.token_delay = 0.05
    service.token_script = [httpx.Response(401, json={"error": {"message": "Client authentication failed"}})]
    errors: list[BaseException] = []
    async with make_client(service, clock) as client:

        async def one() -> None:
            try:
                await client.call("courses", None, write=False)
            except AuthError as exc:
                errors.append(exc)

        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(one)
        assert len(errors) == 20 and len(service.token_requests) == 1
        assert service.api_requests == []
        await client.call("courses", None, write=False)  # the endpoint accepts again
    assert len(service.token_requests) == 2


async def test_401_drops_the_token_fetches_a_new_one_and_retries_once(service, clock):
    service.api_script = [httpx.Response(401, json={"error": {"message": "Unauthenticated."}})]
    async with make_client(service, clock) as client:
        answer = await client.call("addLearnersToTeams", {"teams": ["t"], "learners": ["a@example.com"]}, write=True)
    assert answer == [{"email": "jane@example.com"}]
    assert len(service.token_requests) == 2
    assert [r.headers["authorization"] for r in service.api_requests] == ["Bearer tok-1-xyz", "Bearer tok-2-xyz"]


async def test_second_401_is_an_error_about_rejected_credentials(service, clock):
    unauthenticated = httpx.Response(401, json={"error": {"message": "Unauthenticated."}})
    service.api_script = [unauthenticated, unauthenticated]
    async with make_client(service, clock) as client:
        with pytest.raises(AuthError) as caught:
            await client.call("courses", None, write=False)
    assert "credentials or the OAuth application were rejected" in str(caught.value)
    assert caught.value.status == 401 and caught.value.action == "courses"
    assert len(service.api_requests) == 2


@pytest.mark.parametrize(
    ("reply", "error", "words"),
    [
        (httpx.Response(401, json={"error": "invalid_client", "message": "Client authentication failed"}), AuthError,
         "rejected the client credentials"),
        (httpx.Response(500, text="oops"), TokenEndpointError, "failed with HTTP 500"),
        (httpx.ConnectError("connection refused"), TokenEndpointError, "unreachable"),
        (httpx.Response(200, text="<html><title>Maintenance</title></html>"), TokenEndpointError, "not a JSON object: Maintenance"),
        (httpx.Response(200, json={"token_type": "Bearer"}), TokenEndpointError, "no access_token"),
    ],
)
async def test_token_endpoint_failures_say_which_it_was(service, clock, reply, error, words):
    service.token_script = [reply] * 10
    async with make_client(service, clock, retries=1) as client:
        with pytest.raises(error) as caught:
            await client.call("courses", None, write=False)
    assert words in str(caught.value)
    assert service.api_requests == []
    if isinstance(caught.value, TokenEndpointError):
        assert caught.value.kind in {"server_error", "unreachable", "bad_response"}


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 400, 422])
async def test_documented_error_shape_on_any_status(service, clock, status):
    service.api_script = [httpx.Response(status, json={"error": {"message": "Email is required"}})]
    async with make_client(service, clock) as client:
        with pytest.raises(APIResponseError) as caught:
            await client.call("certificates", {}, write=False)
    error = caught.value
    assert error.api_message == "Email is required" and error.action == "certificates" and error.status == status
    assert str(error) == "AcademyOcean rejected certificates: Email is required"
    assert len(service.api_requests) == 1


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (httpx.Response(200, text="<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>"),
         "an HTML page instead of JSON: '502 Bad Gateway'"),
        (httpx.Response(200, content=b""), "an empty body"),
        (httpx.Response(200, content=b"\x00\xffnot json"), "a body that is not JSON"),
        (httpx.Response(404, json={"nope": 1}), "HTTP 404"),
    ],
)
async def test_unreadable_answers_become_clear_errors(service, clock, reply, words):
    service.api_script = [reply]
    async with make_client(service, clock) as client:
        with pytest.raises(UpstreamError) as caught:
            await client.call("courses", None, write=False)
    assert words in str(caught.value)


# -- retries ----------------------------------------------------------------------------


async def test_reads_retry_on_retryable_status_with_backoff(service, clock):
    service.api_script = [httpx.Response(503, text="busy"), httpx.Response(502, text="bad"), httpx.Response(504)]
    async with make_client(service, clock) as client:
        answer = await client.call("courses", None, write=False)
    assert answer == [{"email": "jane@example.com"}]
    assert len(service.api_requests) == 4
    assert clock.sleeps == [0.25, 0.5, 1.0]  # jitter 0.5 x 0.5 * 2^n: full jitter, exponential


async def test_retry_after_is_honoured(service, clock):
    service.api_script = [httpx.Response(429, headers={"Retry-After": "7"}, json={"error": {"message": "Too many"}})]
    async with make_client(service, clock) as client:
        await client.call("courses", None, write=False)
    assert clock.sleeps == [7.0]


async def test_retries_stop_at_the_attempt_limit(service, clock):
    service.api_script = [httpx.Response(503, text="down")] * 10
    async with make_client(service, clock, retries=2) as client:
        with pytest.raises(UpstreamError) as caught:
            await client.call("courses", None, write=False)
    assert len(service.api_requests) == 3
    assert "HTTP 503 (service unavailable) after 3 attempts" in str(caught.value)


async def test_retries_stop_at_the_deadline(service, clock):
    service.api_script = [httpx.Response(429, headers={"Retry-After": "120"})] * 3
    async with make_client(service, clock, retry_deadline=60) as client:
        with pytest.raises(UpstreamError):
            await client.call("courses", None, write=False)
    assert len(service.api_requests) == 1 and clock.sleeps == []


async def test_reads_retry_on_connect_errors_and_timeouts(service, clock):
    service.api_script = [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")]
    async with make_client(service, clock) as client:
        assert await client.call("courses", None, write=False) == [{"email": "jane@example.com"}]
    assert len(service.api_requests) == 3


@pytest.mark.parametrize("reply", [httpx.Response(503, text="busy"), httpx.Response(429, headers={"Retry-After": "1"})])
async def test_writes_are_not_retried_after_an_answer(service, clock, reply):
    service.api_script = [reply]
    async with make_client(service, clock) as client:
        with pytest.raises(UpstreamError):
            await client.call("inviteLearners", {"learners": []}, write=True)
    assert len(service.api_requests) == 1


async def test_writes_are_not_retried_once_they_may_have_been_sent(service, clock):
    service.api_script = [httpx.ReadTimeout("slow")]
    async with make_client(service, clock) as client:
        with pytest.raises(TransportError) as caught:
            await client.call("deleteLearners", {"emails": ["a@example.com"]}, write=True)
    assert len(service.api_requests) == 1
    assert caught.value.sent and "may have taken effect" in str(caught.value)


async def test_writes_are_retried_when_nothing_was_sent(service, clock):
    service.api_script = [httpx.ConnectError("refused")]
    async with make_client(service, clock) as client:
        await client.call("inviteLearners", {"learners": []}, write=True)
    assert len(service.api_requests) == 2


async def test_a_hanging_service_ends_within_the_deadline():
    async def hang(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        await anyio.sleep(30)
        return httpx.Response(200, json=[])

    client = AcademyOceanClient(
        client_id="c", client_secret=Secret(SECRET), transport=httpx.MockTransport(hang), retry_deadline=0.3
    )
    with anyio.fail_after(5):
        with pytest.raises(TransportError) as caught:
            await client.call("courses", None, write=False)
    await client.aclose()
    assert "deadline" in str(caught.value)


# -- secrets ----------------------------------------------------------------------------


async def test_secrets_never_reach_logs_errors_or_reprs(service, clock, caplog):
    caplog.set_level(logging.DEBUG)
    service.api_script = [
        httpx.Response(401, json={"error": {"message": "Unauthenticated."}}),
        httpx.Response(500, text=f"debug dump: {SECRET} tok-2-xyz"),
    ]
    texts: list[str] = []
    async with make_client(service, clock, retries=0) as client:
        with pytest.raises(UpstreamError) as caught:
            await client.call("courses", None, write=False)
        texts += [str(caught.value), repr(caught.value), repr(client), repr(client.tokens), repr(client.tokens._token)]
    service.token_script = [httpx.Response(400, text=f"bad secret {SECRET}")]
    async with make_client(service, clock) as client:
        with pytest.raises(AuthError) as caught_auth:
            await client.call("courses", None, write=False)
        texts.append(str(caught_auth.value))
    texts.append(caplog.text)
    texts.append(repr(Secret(SECRET)))
    joined = "\n".join(texts)
    assert "***" in joined
    for secret in (SECRET, "tok-1-xyz", "tok-2-xyz"):
        assert secret not in joined


# -- on-disk token cache ----------------------------------------------------------------


async def test_disk_cache_is_private_reused_and_keyed_by_client_id(service, clock, tmp_path: Path):
    path = tmp_path / "cache" / "tokens.json"
    async with make_client(service, clock, token_cache=FileTokenCache(path)) as client:
        await client.call("courses", None, write=False)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "tok-1-xyz" in path.read_text()
    async with make_client(service, clock, token_cache=FileTokenCache(path)) as client:
        await client.call("courses", None, write=False)
    assert len(service.token_requests) == 1  # the second process reused the cached token
    async with make_client(service, clock, client_id="client-2", token_cache=FileTokenCache(path)) as client:
        await client.call("courses", None, write=False)
    assert len(service.token_requests) == 2
    assert service.api_requests[-1].headers["authorization"] == "Bearer tok-2-xyz"


async def test_disk_cache_ignores_expired_and_unreadable_files(service, clock, tmp_path: Path):
    path = tmp_path / "tokens.json"
    async with make_client(service, clock, token_cache=FileTokenCache(path)) as client:
        await client.call("courses", None, write=False)
    clock.now += 7200
    async with make_client(service, clock, token_cache=FileTokenCache(path)) as client:
        await client.call("courses", None, write=False)
    assert len(service.token_requests) == 2
    path.write_text("{not json")
    async with make_client(service, clock, token_cache=FileTokenCache(path)) as client:
        await client.call("courses", None, write=False)
    assert len(service.token_requests) == 3


async def test_cached_token_refused_by_the_api_is_not_reused(service, clock, tmp_path: Path):
    path = tmp_path / "tokens.json"
    async with make_client(service, clock, token_cache=FileTokenCache(path)) as client:
        await client.call("courses", None, write=False)
    service.api_script = [httpx.Response(401, json={"error": {"message": "Unauthenticated."}})]
    async with make_client(service, clock, token_cache=FileTokenCache(path)) as client:
        await client.call("courses", None, write=False)
    assert [r.headers["authorization"] for r in service.api_requests[-2:]] == ["Bearer tok-1-xyz", "Bearer tok-2-xyz"]


# -- cost per request ---------------------------------------------------------------------


class _FinderSpy(importlib.abc.MetaPathFinder):
    """Records every module the import system is asked to find (and finds none itself)."""

    def __init__(self) -> None:
        self.searched: list[str] = []

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        self.searched.append(fullname)
        return None


async def _answer_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A loopback AcademyOcean: a token for the token endpoint, ``[]`` for the API, keep-alive."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
            body = b'{"access_token": "t", "expires_in": 3600}' if b"/oauth/token" in head.split(b"\r\n")[0] else b"[]"
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(body), body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


async def test_api_requests_over_a_socket_do_not_search_for_modules():
    # Without sniffio installed, httpcore's failed ``import sniffio`` walked sys.path several times per request.
    server = await asyncio.start_server(_answer_http, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    spy = _FinderSpy()
    try:
        async with AcademyOceanClient(client_id="c", client_secret=Secret(SECRET),
                                      base_url=f"http://127.0.0.1:{port}") as client:
            await client.call("courses", None, write=False)  # first request: connection set up, lazy imports
            sys.meta_path.insert(0, spy)
            try:
                for _ in range(5):
                    assert await client.call("courses", None, write=False) == []
            finally:
                sys.meta_path.remove(spy)
    finally:
        server.close()
        await server.wait_closed()
    assert spy.searched == []
