"""Fault injection: every kind, counts, matching, ordering, and the admin routes."""

from __future__ import annotations

import json
import time

import anyio
import pytest

from ao_mcp.sandbox import Fault, Sandbox

from .helpers import GOOD_LOGIN, Api

pytestmark = pytest.mark.anyio


async def test_status_fault_with_retry_after_then_recovery(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", status=503, retry_after=2))
    failed = await api.post("courses")
    assert failed.status_code == 503
    assert failed.headers["retry-after"] == "2"
    assert failed.json() == {"error": {"message": "Service Unavailable"}}
    assert (await api.post("courses")).status_code == 200


async def test_status_fault_count_and_message(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", count=2, status=429, retry_after=0.5, message="Slow down"))
    for _ in range(2):
        response = await api.post("courses")
        assert response.status_code == 429 and response.headers["retry-after"] == "0.5"
        assert response.json()["error"]["message"] == "Slow down"
    assert (await api.post("courses")).status_code == 200
    sandbox.faults.add(Fault("status"))
    assert (await api.post("courses")).status_code == 500


async def test_unlimited_fault_lasts_until_cleared(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", count=None, status=502))
    for _ in range(5):
        assert (await api.post("courses")).status_code == 502
    assert sandbox.faults.clear() == 1
    assert (await api.post("courses")).status_code == 200


async def test_faults_match_endpoint_and_action_in_order(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("status", status=500, action="learners"))
    sandbox.faults.add(Fault("status", status=503, endpoint="token"))
    sandbox.faults.add(Fault("status", status=504, endpoint="any", count=2))
    assert (await api.post("courses")).status_code == 504  # the learners fault does not match
    assert (await api.post("learners")).status_code == 500
    assert (await api.client.post("/oauth/token", data=GOOD_LOGIN)).status_code == 503
    assert (await api.client.post("/oauth/token", data=GOOD_LOGIN)).status_code == 504
    assert (await api.post("learners")).status_code == 200
    assert (await api.client.post("/oauth/token", data=GOOD_LOGIN)).status_code == 200
    assert sandbox.faults.applied == 4


async def test_latency_fault_delays_then_answers(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("latency", delay=0.2))
    started = time.perf_counter()
    response = await api.post("courses")
    assert time.perf_counter() - started >= 0.2
    assert response.status_code == 200 and response.json()


async def test_hang_fault_outlasts_a_timeout_and_is_cancellable(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("hang", delay=30))
    started = time.perf_counter()
    with anyio.move_on_after(0.2) as scope:
        await api.post("courses")
    assert scope.cancelled_caught and time.perf_counter() - started < 5
    assert (await api.post("courses")).status_code == 200  # used up by the hung request


async def test_error_in_200(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("error_in_200", message="Temporary failure"))
    response = await api.post("learners")
    assert response.status_code == 200
    assert response.json() == {"error": {"message": "Temporary failure"}}


async def test_html_error_page(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("html"))
    sandbox.faults.add(Fault("html", status=503))
    first = await api.post("courses")
    assert first.status_code == 502 and first.headers["content-type"].startswith("text/html")
    assert "<html>" in first.text and "502 Bad Gateway" in first.text
    assert (await api.post("courses")).status_code == 503


async def test_garbage_and_empty_bodies(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("garbage"))
    sandbox.faults.add(Fault("empty"))
    garbage = await api.post("courses")
    assert garbage.status_code == 200
    with pytest.raises(ValueError):
        json.loads(garbage.content)
    empty = await api.post("courses")
    assert empty.status_code == 200 and empty.content == b""


async def test_expire_token_fault_really_expires_the_token(api: Api, sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("expire_token"))
    response = await api.post("courses")
    assert response.status_code == 401 and response.json() == {"error": {"message": "Unauthenticated."}}
    assert (await api.post("courses")).status_code == 401
    await api.login()
    assert (await api.post("courses")).status_code == 200


def test_fault_validation() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="endpoint"):
        Fault("status", endpoint="web")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="count"):
        Fault("status", count=0)
    with pytest.raises(ValueError, match="wrong type"):
        Fault.from_dict({"kind": "status", "status": "500"})


async def test_admin_routes(api: Api, sandbox: Sandbox) -> None:
    client = api.client
    added = await client.post("/_sandbox/faults", json={"kind": "status", "status": 429, "retry_after": 1})
    assert added.status_code == 201 and added.json()["fault"]["status"] == 429
    assert (await api.post("courses")).status_code == 429
    bad = await client.post("/_sandbox/faults", json={"kind": "meltdown"})
    assert bad.status_code == 400 and "meltdown" in bad.json()["error"]["message"]
    await client.post("/_sandbox/faults", json={"kind": "status", "count": None})
    assert (await client.delete("/_sandbox/faults")).json() == {"cleared": 1}
    assert (await api.post("courses")).status_code == 200
    stats = (await client.get("/_sandbox/stats")).json()
    assert stats["api_requests"] == 2 and stats["by_action"] == {"courses": 2}
    assert stats["token_requests"] == 1 and stats["issued_tokens"] == 1
    assert stats["faults_applied"] == 1
    assert (await client.post("/_sandbox/expire-tokens")).json() == {"expired": 1}
    assert (await api.post("courses")).status_code == 401
    assert (await client.post("/_sandbox/reset-stats")).json() == {"reset": True}
    assert sandbox.stats.as_dict() == {"token_requests": 0, "api_requests": 0, "issued_tokens": 0, "by_action": {}}
    simulated = await client.post("/_sandbox/activity", json={"steps": 3})
    assert simulated.status_code == 200 and simulated.json()["events"] >= 3
