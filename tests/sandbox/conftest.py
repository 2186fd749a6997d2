"""Fixtures: a fresh sandbox per test with a hand-driven clock, and an authenticated API helper."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from ao_mcp.sandbox import Sandbox, SandboxConfig

from .helpers import BASE_URL, Api, FakeClock


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(SandboxConfig(seed=7, clock=clock))


@pytest.fixture
async def client(sandbox: Sandbox, anyio_backend: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.app), base_url=BASE_URL) as http:
        yield http


@pytest.fixture
async def api(client: httpx.AsyncClient, sandbox: Sandbox) -> Api:
    helper = Api(client, sandbox)
    await helper.login()
    return helper
