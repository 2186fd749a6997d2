"""Below HTTP: the connection is reset or dropped, or nothing listens; and the token endpoint's troubles.

Connection faults come from ``FlakyAPI``, a tiny asyncio TCP server on loopback
that reads a request and then aborts the connection with an RST or closes it
without an answer. Token endpoint faults come from the served sandbox. In
every case the call ends in a clear error within its deadline and a later call
recovers on its own once the endpoint is back, on the same server.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
from mcp import Client

from ao_mcp.config import Secret
from ao_mcp.sandbox import Fault
from ao_mcp.server import build_server

from .helpers import (
    DEADLINE,
    RETRIES,
    SLACK,
    WRONG_SECRET,
    FlakyAPI,
    SecretWatch,
    ServedSandbox,
    free_port,
    settings_for,
    text_of,
)

pytestmark = pytest.mark.anyio

ALL_ATTEMPTS = RETRIES + 1


@asynccontextmanager
async def flaky() -> AsyncIterator[FlakyAPI]:
    server = await FlakyAPI().start()
    try:
        yield server
    finally:
        await server.close()


async def timed_call(client: Client, tool: str, arguments: dict) -> tuple[object, float]:
    started = time.monotonic()
    with anyio.fail_after(DEADLINE + 10):
        result = await client.call_tool(tool, arguments)
    return result, time.monotonic() - started


@pytest.mark.parametrize("mode", ["reset", "close"])
async def test_a_dropped_connection_is_retried_for_a_read_and_the_next_call_recovers(
    mode: str, secret_watch: SecretWatch
) -> None:
    async with flaky() as api, Client(build_server(settings_for(api.url))) as client:
        api.api_mode = mode
        result, elapsed = await timed_call(client, "courses", {})
        assert result.is_error
        text = text_of(result)
        assert text.startswith("Could not reach AcademyOcean for courses:") and f"after {ALL_ATTEMPTS} attempts" in text
        secret_watch.assert_clean(text)
        assert api.api_requests == ALL_ATTEMPTS
        assert elapsed < DEADLINE + SLACK
        api.api_mode = "ok"
        after = await client.call_tool("courses", {})
        assert not after.is_error, text_of(after)
        assert api.token_requests == 1  # the token survived the failures


@pytest.mark.parametrize("mode", ["reset", "close"])
async def test_a_dropped_connection_is_not_retried_for_a_write(mode: str) -> None:
    async with flaky() as api, Client(build_server(settings_for(api.url))) as client:
        api.api_mode = mode
        result, elapsed = await timed_call(client, "return_learners_access", {"learners": ["jane@example.com"]})
        assert result.is_error
        text = text_of(result)
        assert text.startswith("No answer from AcademyOcean for returnLearnersAccess:")
        assert "may have taken effect" in text
        assert api.api_requests == 1
        assert elapsed < DEADLINE + SLACK
        api.api_mode = "ok"
        assert not (await client.call_tool("courses", {})).is_error


async def test_nothing_listening_then_the_api_comes_back() -> None:
    port = free_port()
    async with Client(build_server(settings_for(f"http://127.0.0.1:{port}"))) as client:
        result, elapsed = await timed_call(client, "courses", {})
        assert result.is_error
        assert "token endpoint" in text_of(result) and "unreachable" in text_of(result)
        assert elapsed < DEADLINE + SLACK
        api = await FlakyAPI().start(port)
        try:
            after = await client.call_tool("courses", {})
            assert not after.is_error, text_of(after)
            assert api.token_requests == 1 and api.api_requests == 1
        finally:
            await api.close()


async def test_the_token_endpoint_resets_then_recovers() -> None:
    async with flaky() as api, Client(build_server(settings_for(api.url))) as client:
        api.token_mode = "reset"
        result, _ = await timed_call(client, "courses", {})
        assert result.is_error and "token endpoint" in text_of(result) and "unreachable" in text_of(result)
        assert api.token_requests == ALL_ATTEMPTS and api.api_requests == 0
        api.token_mode = "ok"
        assert not (await client.call_tool("courses", {})).is_error


# --- the token endpoint, through the sandbox --------------------------------------------------------------


@pytest.mark.parametrize(("fault", "token_requests", "words"), [
    (Fault(kind="status", status=503, endpoint="token", count=None), ALL_ATTEMPTS, "token endpoint failed with HTTP 503"),
    (Fault(kind="status", status=500, endpoint="token", count=None), 1, "token endpoint failed with HTTP 500"),
    (Fault(kind="hang", delay=2.5, endpoint="token", count=None), None, "token endpoint"),
    (Fault(kind="html", status=502, endpoint="token", count=None), ALL_ATTEMPTS, "token endpoint failed with HTTP 502"),
    (Fault(kind="garbage", endpoint="token", count=None), 1, "token endpoint answered HTTP 200"),
    (Fault(kind="expire_token", endpoint="token", count=None), 1, "rejected the client credentials (HTTP 401"),
], ids=["down 503", "down 500", "slow", "HTML 502", "garbage", "rejects the client"])
async def test_token_endpoint_trouble_is_a_clear_error_and_a_later_call_recovers(
    api: ServedSandbox, secret_watch: SecretWatch, fault: Fault, token_requests: int | None, words: str
) -> None:
    api.sandbox.faults.add(fault)
    async with Client(build_server(settings_for(api.url))) as client:
        result, elapsed = await timed_call(client, "courses", {})
        assert result.is_error
        text = text_of(result)
        assert words in text, text
        secret_watch.assert_clean(text)
        assert elapsed < DEADLINE + SLACK
        if token_requests is None:
            assert 1 <= api.stats.token_requests <= ALL_ATTEMPTS
        else:
            assert api.stats.token_requests == token_requests
        assert api.requests_for("courses") == 0  # nothing reached the API without a token
        api.sandbox.faults.clear()
        after = await client.call_tool("courses", {})
        assert not after.is_error, text_of(after)


async def test_wrong_credentials_are_named_and_the_secret_is_not_shown(
    api: ServedSandbox, secret_watch: SecretWatch
) -> None:
    settings = settings_for(api.url, client_secret=Secret(WRONG_SECRET))
    async with Client(build_server(settings)) as client:
        result, _ = await timed_call(client, "courses", {})
        second, _ = await timed_call(client, "academies", {})
    for outcome in (result, second):
        assert outcome.is_error
        text = text_of(outcome)
        assert "rejected the client credentials" in text and "ACADEMYOCEAN_CLIENT_SECRET" in text
        secret_watch.assert_clean(text)
    assert api.stats.token_requests == 2  # not retried; each call asks again


async def test_an_expired_token_is_replaced_once_for_many_concurrent_calls(api: ServedSandbox) -> None:
    # Generous time bounds: this is about the single flight, and 100 calls may queue on a slow machine.
    async with Client(build_server(settings_for(api.url, timeout=30.0, retry_deadline=60.0))) as client:
        assert not (await client.call_tool("academies", {})).is_error
        api.sandbox.expire_tokens()
        api.sandbox.stats.reset()
        failures: list[str] = []

        async def call() -> None:
            result = await client.call_tool("courses", {})
            if result.is_error:
                failures.append(text_of(result))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as group:
                for _ in range(100):
                    group.start_soon(call)
    assert failures == []
    assert api.stats.token_requests == 1
