"""The API misbehaves: every tool call ends in a clear error within its deadline, and the server goes on.

Through the real server (``mcp.Client`` on ``build_server``) and its real HTTP
client, against the sandbox served on a loopback port with a fault armed for
every request. Reads are retried within their bounds (counted by the sandbox),
writes are never retried once sent, and the next call after the fault is gone
succeeds on the same server.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
from mcp import Client

from ao_mcp.sandbox import Fault
from ao_mcp.server import build_server

from .helpers import DEADLINE, RETRIES, SLACK, SecretWatch, ServedSandbox, settings_for, text_of

pytestmark = pytest.mark.anyio

READ, READ_ACTION = "courses", "courses"
WRITE, WRITE_ACTION = "return_learners_access", "returnLearnersAccess"
ALL_ATTEMPTS = RETRIES + 1

#: (case, fault for every request, attempts of a read, words of the read's error, words of the write's error)
CASES = [
    ("429 with Retry-After", Fault(kind="status", status=429, retry_after=0.2, count=None), ALL_ATTEMPTS,
     f"failed on courses (HTTP 429 after {ALL_ATTEMPTS} attempts): Too Many Attempts", "(HTTP 429)"),
    ("500", Fault(kind="status", status=500, count=None), 1, "failed on courses (HTTP 500): Server Error", "(HTTP 500)"),
    ("502", Fault(kind="status", status=502, count=None), ALL_ATTEMPTS,
     f"(HTTP 502 after {ALL_ATTEMPTS} attempts): Bad Gateway", "(HTTP 502)"),
    ("503", Fault(kind="status", status=503, count=None), ALL_ATTEMPTS,
     f"(HTTP 503 after {ALL_ATTEMPTS} attempts): Service Unavailable", "(HTTP 503)"),
    ("504", Fault(kind="status", status=504, count=None), ALL_ATTEMPTS,
     f"(HTTP 504 after {ALL_ATTEMPTS} attempts): Gateway Timeout", "(HTTP 504)"),
    ("hangs past the timeout", Fault(kind="hang", delay=2.5, count=None), None, "Could not reach AcademyOcean for courses",
     "The request was sent and may have taken effect"),
    ("HTML error page", Fault(kind="html", status=502, count=None), ALL_ATTEMPTS, "an HTML page instead of JSON",
     "an HTML page instead of JSON"),
    ("HTML with 200", Fault(kind="html", status=200, count=None), 1, "HTTP 200 and an HTML page instead of JSON",
     "HTTP 200 and an HTML page instead of JSON"),
    ("garbage", Fault(kind="garbage", count=None), 1, "a body that is not JSON", "a body that is not JSON"),
    ("empty body", Fault(kind="empty", count=None), 1, "an empty body", "an empty body"),
    ("error in a 200", Fault(kind="error_in_200", message="Quota exceeded for this account", count=None), 1,
     "AcademyOcean rejected courses: Quota exceeded for this account",
     "AcademyOcean rejected returnLearnersAccess: Quota exceeded"),
]


@asynccontextmanager
async def server_client(api: ServedSandbox) -> AsyncIterator[Client]:
    async with Client(build_server(settings_for(api.url))) as client:
        yield client


async def timed_call(client: Client, tool: str, arguments: dict) -> tuple[object, float]:
    started = time.monotonic()
    with anyio.fail_after(DEADLINE + 10):  # a hang here is a failure, not a stuck suite
        result = await client.call_tool(tool, arguments)
    return result, time.monotonic() - started


@pytest.mark.parametrize(("fault", "attempts", "read_words", "write_words"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
async def test_a_read_is_retried_within_bounds_and_ends_in_a_clear_error(
    api: ServedSandbox, secret_watch: SecretWatch, fault: Fault, attempts: int | None, read_words: str, write_words: str
) -> None:
    async with server_client(api) as client:
        assert not (await client.call_tool("academies", {})).is_error  # token and connection are warm
        api.sandbox.faults.add(fault)
        result, elapsed = await timed_call(client, READ, {})
        assert result.is_error
        text = text_of(result)
        assert read_words in text, text
        secret_watch.assert_clean(text)
        assert elapsed < DEADLINE + SLACK
        sent = api.requests_for(READ_ACTION)
        if attempts is None:  # timeouts: as many attempts as fit in the deadline, never more than allowed
            assert 2 <= sent <= ALL_ATTEMPTS
        else:
            assert sent == attempts
        api.sandbox.faults.clear()
        after = await client.call_tool(READ, {})
        assert not after.is_error, text_of(after)


@pytest.mark.parametrize(("fault", "attempts", "read_words", "write_words"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
async def test_a_write_is_sent_once_and_ends_in_a_clear_error(
    api: ServedSandbox, secret_watch: SecretWatch, fault: Fault, attempts: int | None, read_words: str, write_words: str
) -> None:
    async with server_client(api) as client:
        assert not (await client.call_tool("academies", {})).is_error
        api.sandbox.faults.add(fault)
        result, elapsed = await timed_call(client, WRITE, {"learners": [api.learner_email()]})
        assert result.is_error
        text = text_of(result)
        assert write_words in text and "returnLearnersAccess" in text, text
        secret_watch.assert_clean(text)
        assert elapsed < DEADLINE + SLACK
        assert api.requests_for(WRITE_ACTION) == 1
        api.sandbox.faults.clear()
        after = await client.call_tool(READ, {})
        assert not after.is_error, text_of(after)


@pytest.mark.parametrize("fault", [
    Fault(kind="status", status=429, retry_after=0.1),
    Fault(kind="status", status=503),
    Fault(kind="hang", delay=2.0),
    Fault(kind="html", status=504),
], ids=["429", "503", "hang", "html 504"])
async def test_a_read_that_fails_once_succeeds_on_its_retry(api: ServedSandbox, fault: Fault) -> None:
    async with server_client(api) as client:
        assert not (await client.call_tool("academies", {})).is_error
        api.sandbox.faults.add(fault)  # count=1: only the first attempt fails
        result, elapsed = await timed_call(client, READ, {})
        assert not result.is_error, text_of(result)
        assert result.structured_content["count"] > 0
        assert api.requests_for(READ_ACTION) == 2
        assert elapsed < DEADLINE + SLACK


async def test_retry_after_is_waited_for(api: ServedSandbox) -> None:
    async with server_client(api) as client:
        assert not (await client.call_tool("academies", {})).is_error
        api.sandbox.faults.add(Fault(kind="status", status=429, retry_after=0.4, count=2))
        result, elapsed = await timed_call(client, READ, {})
        assert not result.is_error, text_of(result)
        assert api.requests_for(READ_ACTION) == 3
        assert elapsed >= 0.8  # two waits of Retry-After: 0.4 s each


async def test_a_retry_after_beyond_the_deadline_fails_at_once(api: ServedSandbox) -> None:
    async with server_client(api) as client:
        assert not (await client.call_tool("academies", {})).is_error
        api.sandbox.faults.add(Fault(kind="status", status=429, retry_after=DEADLINE * 10, count=None))
        result, elapsed = await timed_call(client, READ, {})
        assert result.is_error and "HTTP 429" in text_of(result)
        assert api.requests_for(READ_ACTION) == 1
        assert elapsed < SLACK  # it did not sleep into a wait it could never finish


async def test_the_server_keeps_serving_concurrent_calls_while_some_fail(api: ServedSandbox) -> None:
    """Faults on one action do not disturb calls of another running at the same time."""
    async with server_client(api) as client:
        assert not (await client.call_tool("academies", {})).is_error
        api.sandbox.faults.add(Fault(kind="status", status=503, action=READ_ACTION, count=None))
        outcomes: dict[str, list[bool]] = {READ: [], "academies": []}

        async def call(tool: str) -> None:
            result = await client.call_tool(tool, {})
            outcomes[tool].append(result.is_error)

        with anyio.fail_after(DEADLINE + 10):
            async with anyio.create_task_group() as group:
                for _ in range(10):
                    group.start_soon(call, READ)
                    group.start_soon(call, "academies")
        assert outcomes[READ] == [True] * 10
        assert outcomes["academies"] == [False] * 10
        assert api.requests_for(READ_ACTION) == 10 * ALL_ATTEMPTS


@pytest.mark.parametrize(("tool", "action"), [(READ, READ_ACTION), (WRITE, WRITE_ACTION)])
async def test_a_refused_token_is_renewed_once_then_named(
    api: ServedSandbox, secret_watch: SecretWatch, tool: str, action: str
) -> None:
    """A 401 means nothing was done: read or write, one new token and one more try, then a clear error."""
    async with server_client(api) as client:
        assert not (await client.call_tool("academies", {})).is_error
        assert api.stats.token_requests == 1
        api.sandbox.faults.add(Fault(kind="status", status=401, count=None))
        arguments = {} if tool == READ else {"learners": [api.learner_email()]}
        result, elapsed = await timed_call(client, tool, arguments)
        assert result.is_error
        text = text_of(result)
        assert f"refused a freshly issued access token for {action} (HTTP 401)" in text, text
        secret_watch.assert_clean(text)
        assert api.requests_for(action) == 2 and api.stats.token_requests == 2
        assert elapsed < DEADLINE + SLACK
        api.sandbox.faults.clear()
        assert not (await client.call_tool(READ, {})).is_error
