"""OAuth client_credentials: issue, refuse, expire."""

from __future__ import annotations

import httpx
import pytest

from ao_mcp.sandbox import Sandbox

from .helpers import GOOD_LOGIN, Api, FakeClock

pytestmark = pytest.mark.anyio

GOOD = GOOD_LOGIN


async def test_token_is_issued_in_the_documented_shape(client: httpx.AsyncClient, sandbox: Sandbox) -> None:
    response = await client.post("/oauth/token", data=GOOD)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "access_token"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 604800
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 32
    second = (await client.post("/oauth/token", data=GOOD)).json()["access_token"]
    assert second != body["access_token"]
    assert sandbox.stats.token_requests == 2 and sandbox.stats.issued_tokens == 2


async def test_token_accepts_a_json_body(client: httpx.AsyncClient) -> None:
    response = await client.post("/oauth/token", json=GOOD)
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"


@pytest.mark.parametrize(
    "change",
    [{"client_secret": "wrong"}, {"client_id": "someone-else"}, {"grant_type": "password"}],
)
async def test_wrong_credentials_or_grant_are_401(client: httpx.AsyncClient, sandbox: Sandbox, change: dict) -> None:
    response = await client.post("/oauth/token", data={**GOOD, **change})
    assert response.status_code == 401
    assert response.json() == {"error": {"message": "Client authentication failed"}}
    assert sandbox.stats.issued_tokens == 0


@pytest.mark.parametrize("missing", ["grant_type", "client_id", "client_secret"])
async def test_missing_fields_are_400(client: httpx.AsyncClient, missing: str) -> None:
    response = await client.post("/oauth/token", data={k: v for k, v in GOOD.items() if k != missing})
    assert response.status_code == 400
    assert response.json() == {"error": {"message": f"The {missing} field is required."}}


async def test_garbage_token_request_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/oauth/token", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "error" in response.json()


async def test_api_needs_a_valid_bearer_token(api: Api) -> None:
    assert (await api.post("courses", token="not-a-token")).status_code == 401
    no_header = await api.client.post("/api/v1/", data={"action": "courses"})
    assert no_header.status_code == 401
    assert no_header.json() == {"error": {"message": "Unauthenticated."}}
    basic = await api.client.post("/api/v1/", data={"action": "courses"},
                                  headers={"Authorization": f"Basic {api.token}"})
    assert basic.status_code == 401
    assert (await api.post("courses")).status_code == 200


async def test_token_expires_with_the_injected_clock(api: Api, clock: FakeClock) -> None:
    clock.advance(604800 - 1)
    assert (await api.post("courses")).status_code == 200
    clock.advance(1)
    response = await api.post("courses")
    assert response.status_code == 401 and response.json()["error"]["message"] == "Unauthenticated."
    await api.login()
    assert (await api.post("courses")).status_code == 200


async def test_expire_tokens_invalidates_every_issued_token(api: Api, sandbox: Sandbox) -> None:
    old = api.token
    other = await api.login()
    assert sandbox.expire_tokens() == 2
    assert (await api.post("courses", token=old)).status_code == 401
    assert (await api.post("courses", token=other)).status_code == 401
    await api.login()
    assert (await api.post("courses")).status_code == 200


async def test_non_string_credentials_are_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/oauth/token", json={**GOOD, "client_id": 5})
    assert response.status_code == 400
    assert response.json() == {"error": {"message": "The client_id field must be a string."}}
