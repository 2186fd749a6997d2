"""Test helpers: a clock driven by hand and an API caller that speaks like the doc's samples."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ao_mcp.encoding import encode_form
from ao_mcp.sandbox import Sandbox

BASE_URL = "https://app.academyocean.com"
FORM = "application/x-www-form-urlencoded"
GOOD_LOGIN = {
    "grant_type": "client_credentials", "client_id": "sandbox", "client_secret": "sandbox-secret", "scope": ""
}


class FakeClock:
    """A clock tests move by hand (token expiry, "now" for churn)."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Api:
    """Calls actions the way the documentation's Guzzle samples do (PHP form), or as JSON."""

    def __init__(self, client: httpx.AsyncClient, sandbox: Sandbox) -> None:
        self.client = client
        self.sandbox = sandbox
        self.token = ""

    async def login(self) -> str:
        config = self.sandbox.config
        response = await self.client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": config.client_id,
                  "client_secret": config.client_secret, "scope": ""},
        )
        assert response.status_code == 200, response.text
        self.token = response.json()["access_token"]
        return self.token

    async def post(self, action: str | None, options: dict[str, Any] | None = None, *,
                   as_json: bool = False, token: str | None = None) -> httpx.Response:
        envelope: dict[str, Any] = {} if action is None else {"action": action}
        if options is not None:
            envelope["options"] = options
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        if as_json:
            headers["Content-Type"] = "application/json"
            body = json.dumps(envelope).encode()
        else:
            headers["Content-Type"] = FORM
            body = encode_form(envelope).encode()
        return await self.client.post("/api/v1/", content=body, headers=headers)

    async def ok(self, action: str, options: dict[str, Any] | None = None, *, as_json: bool = False) -> Any:
        response = await self.post(action, options, as_json=as_json)
        assert response.status_code == 200, f"{action}: {response.status_code} {response.text[:300]}"
        return response.json()

    async def error(self, action: str, options: dict[str, Any] | None = None, *, status: int = 422,
                    as_json: bool = False) -> str:
        response = await self.post(action, options, as_json=as_json)
        assert response.status_code == status, f"{action}: {response.status_code} {response.text[:300]}"
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"message"}
        return body["error"]["message"]
