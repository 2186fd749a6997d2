"""RedisTokenCache against a real redis-server: sharing, expiry, the lock, and Redis being down."""

from __future__ import annotations

import logging
import time

import anyio
import pytest
from conftest import free_port

from ao_mcp.auth import Token, TokenManager
from ao_mcp.redis_cache import RedisTokenCache, close_client

pytestmark = pytest.mark.anyio

SECRET_TOKEN = "tok-3f9a-very-secret"


async def test_a_saved_token_is_shared_expires_with_it_and_is_never_logged(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    import redis.asyncio as aioredis

    caplog.set_level(logging.DEBUG)
    writer, reader = RedisTokenCache(redis_url), RedisTokenCache(redis_url)
    token = Token(SECRET_TOKEN, time.time() + 60)
    await writer.save("k1", token)
    assert await reader.load("k1") == token
    assert await reader.load("other") is None
    await writer.save("k2", Token("already-expired", time.time() - 1))
    assert await reader.load("k2") is None
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert sorted(key.decode() for key in await client.keys("*")) == ["ao-mcp:token:k1"]
        assert 50_000 < await client.pttl("ao-mcp:token:k1") <= 60_000
    finally:
        await close_client(client)
    assert SECRET_TOKEN not in caplog.text
    assert "hunter2" not in repr(RedisTokenCache("redis://:hunter2@127.0.0.1:1/0"))


async def test_two_replicas_with_a_cold_cache_make_one_token_request(redis_url: str) -> None:
    requests = 0

    async def fetch() -> tuple[Token, float]:
        nonlocal requests
        requests += 1
        await anyio.sleep(0.2)  # the token endpoint takes a while: the other replica must wait, not fetch
        return Token(f"token-{requests}", time.time() + 3600), 3600.0

    replicas = [TokenManager(fetch, cache=RedisTokenCache(redis_url), key="acct") for _ in range(2)]
    got: list[Token] = []

    async def get(manager: TokenManager) -> None:
        got.append(await manager.get())

    with anyio.fail_after(20):
        async with anyio.create_task_group() as group:
            for manager in replicas:
                for _ in range(5):
                    group.start_soon(get, manager)
    assert requests == 1 and {token.value for token in got} == {"token-1"}


async def test_a_held_lock_is_waited_for_a_bounded_time(redis_url: str) -> None:
    cache = RedisTokenCache(redis_url, lock_timeout=30, lock_wait=0.2)
    with anyio.fail_after(10):
        async with cache.lock("acct") as first:
            assert first is True
            async with cache.lock("acct") as second:  # held by another replica: wait, then go on without it
                assert second is False
            async with cache.lock("other") as unrelated:  # another account's lock is not this one
                assert unrelated is True
        async with cache.lock("acct") as again:  # released on leaving the block
            assert again is True


async def test_a_lock_that_expired_is_not_released_from_its_new_owner(redis_url: str) -> None:
    import redis.asyncio as aioredis

    cache = RedisTokenCache(redis_url, lock_timeout=0.3, lock_wait=5)
    client = aioredis.Redis.from_url(redis_url)
    try:
        with anyio.fail_after(20):
            async with cache.lock("acct") as held:
                assert held
                while await client.exists("ao-mcp:token:acct:lock"):  # expires while we still work
                    await anyio.sleep(0.02)
                await client.set("ao-mcp:token:acct:lock", "someone-else", px=10_000)
            assert await client.get("ao-mcp:token:acct:lock") == b"someone-else"
    finally:
        await close_client(client)


async def test_redis_down_costs_a_token_request_not_a_failure(caplog: pytest.LogCaptureFixture) -> None:
    cache = RedisTokenCache(f"redis://127.0.0.1:{free_port()}/0", connect_timeout=1)
    requests = 0

    async def fetch() -> tuple[Token, float]:
        nonlocal requests
        requests += 1
        return Token(SECRET_TOKEN, time.time() + 3600), 3600.0

    with anyio.fail_after(20):
        assert (await TokenManager(fetch, cache=cache, key="acct").get()).value == SECRET_TOKEN
        async with cache.lock("acct") as held:
            assert held is False
    assert requests == 1
    assert "shared token" in caplog.text and SECRET_TOKEN not in caplog.text
