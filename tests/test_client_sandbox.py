"""The real client against the simulator: tokens that expire, faults, write-then-read."""

from __future__ import annotations

import httpx
import pytest

from ao_mcp.client import AcademyOceanClient
from ao_mcp.config import Secret
from ao_mcp.errors import APIResponseError, AuthError, UpstreamError
from ao_mcp.sandbox import Fault, Sandbox, SandboxConfig

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> Sandbox:
    return Sandbox(SandboxConfig(activity_interval=0.0, token_lifetime=100.0, clock=clock))


def client_for(sandbox: Sandbox, clock: Clock, *, secret: str = "sandbox-secret") -> AcademyOceanClient:
    return AcademyOceanClient(
        client_id=sandbox.config.client_id,
        client_secret=Secret(secret),
        transport=httpx.ASGITransport(app=sandbox.app),
        clock=clock,
        monotonic=clock,
        sleep=clock.sleep,
        jitter=lambda: 0.1,
    )


async def test_tokens_are_reused_refreshed_ahead_of_expiry_and_after_early_expiry(sandbox, clock):
    async with client_for(sandbox, clock) as client:
        await client.call("academies", None, write=False)
        await client.call("courses", None, write=False)
        assert sandbox.stats.token_requests == 1
        clock.now += 95  # less than a tenth of the 100 s lifetime left: refreshed before use
        await client.call("courses", None, write=False)
        assert sandbox.stats.token_requests == 2
        sandbox.expire_tokens()  # the service drops every token early: one 401, one refresh, one retry
        answer = await client.call("courses", None, write=False)
    assert isinstance(answer, list) and answer
    assert sandbox.stats.token_requests == 3


async def test_wrong_credentials_are_an_auth_error(sandbox, clock):
    async with client_for(sandbox, clock, secret="not-the-secret") as client:
        with pytest.raises(AuthError, match="rejected the client credentials"):
            await client.call("courses", None, write=False)
    assert not sandbox.requests


async def test_reads_ride_out_rate_limits_and_writes_do_not_retry(sandbox, clock):
    sandbox.faults.add(Fault(kind="status", status=429, retry_after=2, count=2, endpoint="api"))
    async with client_for(sandbox, clock) as client:
        await client.call("courses", None, write=False)
        assert sandbox.stats.api_requests == 3
        sandbox.faults.add(Fault(kind="status", status=503, count=1, endpoint="api"))
        email = sandbox.state.learner_list()[0].email
        with pytest.raises(UpstreamError, match="HTTP 503"):
            await client.call("revokeLearnersAccess", {"learners": [email]}, write=True)
    assert sandbox.stats.by_action["revokeLearnersAccess"] <= 1
    assert not sandbox.state.learner(email).revoked


async def test_error_in_200_and_validation_errors_carry_the_api_message(sandbox, clock):
    sandbox.faults.add(Fault(kind="error_in_200", message="Something odd happened", endpoint="api"))
    async with client_for(sandbox, clock) as client:
        with pytest.raises(APIResponseError) as odd:
            await client.call("courses", None, write=False)
        with pytest.raises(APIResponseError) as invalid:
            await client.call("certificates", {}, write=False)
    assert odd.value.status == 200 and odd.value.api_message == "Something odd happened"
    assert invalid.value.status == 422 and "email" in invalid.value.api_message.lower()


@pytest.mark.parametrize("encoding", ["form", "json"])
async def test_writes_are_visible_to_later_reads_in_both_body_encodings(sandbox, clock, encoding):
    async with client_for(sandbox, clock) as client:
        client.body_encoding = encoding
        await client.call("inviteLearners", {"learners": [{"email": "new@example.com", "name": "New", "type": "learner"}]},
                          write=True)
        invites = await client.call("checkLearnerInvite", {"emails": ["new@example.com"]}, write=False)
    assert invites["new@example.com"]["is_found"] is True and invites["new@example.com"]["is_used"] is False
