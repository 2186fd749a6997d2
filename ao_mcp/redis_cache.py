"""Redis for several replicas: the shared access-token cache, and what both Redis backends share.

``AO_MCP_TOKEN_CACHE=redis://host:port/db`` makes N replicas make one token
request between them: ``TokenManager`` looks in the cache, takes the lock,
looks again (another replica may have fetched meanwhile) and only then asks
the token endpoint. The lock is a Redis key set with ``NX`` and an expiry,
released by a Lua script only by its owner (redis-py's ``Lock``), and waited
for a bounded time. Redis being down never stops a token request: the cache
then reads as empty and the lock as free, so each replica fetches for itself.

Tokens are secrets: they are stored under ``ao-mcp:token:<key>`` with the
token's own expiry and never appear in a log line, an error or a repr.

The ``redis`` package is an optional extra (``pip install 'ao-mcp[redis]'``);
this module imports it only when a Redis URL is actually used.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

from ao_mcp.auth import Token
from ao_mcp.errors import ConfigError

__all__ = [
    "REDIS_SCHEMES",
    "RedisTokenCache",
    "check_url",
    "close_client",
    "import_redis",
    "is_redis_url",
    "redact_url",
    "redis_client",
]

logger = logging.getLogger("ao_mcp.redis")

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
INSTALL_HINT = "pip install 'ao-mcp[redis]'"

_USERINFO = re.compile(r"(?<=://)[^/@]*@")


def is_redis_url(value: str | None) -> bool:
    """Whether a setting's value names a Redis server rather than a file or another store."""
    return isinstance(value, str) and value.strip().lower().startswith(REDIS_SCHEMES)


def redact_url(url: str) -> str:
    """The URL without its ``user:password@`` part: safe for logs and errors."""
    return _USERINFO.sub("***@", url)


def import_redis(setting: str) -> ModuleType:
    """``redis.asyncio``, or a ``ConfigError`` that names ``setting`` and says how to install it."""
    try:
        import redis.asyncio as aioredis
    except ImportError:
        raise ConfigError(
            f"{setting} names a Redis server, but the redis package is not installed: {INSTALL_HINT}"
        ) from None
    return aioredis


def redis_client(url: str, setting: str, *, connect_timeout: float = 2.0, timeout: float | None = 5.0) -> Any:
    """An asyncio Redis client for ``url`` with bounded waits and one quick retry.

    The retry reconnects a pooled connection that a Redis restart broke; more
    would only delay the 503 a webhook sender should get while Redis is down.
    Options in the URL's query string (``?socket_timeout=...``) win.
    """
    aioredis = import_redis(setting)
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff

    check_url(url, setting)
    return aioredis.Redis.from_url(
        url.strip(),
        socket_connect_timeout=connect_timeout,
        socket_timeout=timeout,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=1),
    )


def check_url(url: str, setting: str) -> None:
    """``ValueError`` (without the password) unless redis-py can connect to ``url``."""
    import_redis(setting)
    from redis.asyncio.connection import parse_url

    try:
        parse_url(url.strip())
    except ValueError:
        raise ValueError(
            f"{redact_url(url.strip())!r} is not a valid Redis URL: use redis://[:password@]host:port/db"
        ) from None


async def close_client(client: Any) -> None:
    """Close a client and its pool (``aclose`` from redis 5.0.1 on, ``close`` before)."""
    closer = getattr(client, "aclose", None) or client.close
    try:
        await closer()
    except Exception as exc:  # closing a broken connection must not fail a shutdown
        logger.debug("closing a Redis client failed: %s", type(exc).__name__)


class RedisTokenCache:
    """A ``TokenCache`` in Redis, shared by every replica that points at the same database.

    Each operation opens and closes its own short-lived connection: tokens are
    read and written about once per token lifetime, so nothing needs to stay
    open (or be closed at shutdown). ``lock_timeout`` is how long a lock
    outlives a replica that died holding it; ``lock_wait`` how long another
    replica waits for it before fetching a token itself.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "ao-mcp:token:",
        lock_timeout: float = 30.0,
        lock_wait: float = 15.0,
        connect_timeout: float = 2.0,
        timeout: float = 5.0,
    ) -> None:
        self._url = url.strip()
        self._prefix = prefix
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait
        self._connect_timeout = connect_timeout
        self._timeout = timeout
        check_url(self._url, "AO_MCP_TOKEN_CACHE")

    def __repr__(self) -> str:
        return f"RedisTokenCache({redact_url(self._url)!r})"

    def _client(self) -> Any:
        return redis_client(
            self._url, "AO_MCP_TOKEN_CACHE", connect_timeout=self._connect_timeout, timeout=self._timeout
        )

    async def load(self, key: str) -> Token | None:
        from redis.exceptions import RedisError

        client = self._client()
        try:
            raw = await client.get(self._prefix + key)
        except (RedisError, OSError) as exc:
            logger.warning("Could not read the shared token cache (%s); fetching a token without it", type(exc).__name__)
            return None
        finally:
            await close_client(client)
        if raw is None:
            return None
        try:
            entry = json.loads(raw)
            value, expires_at = entry["access_token"], float(entry["expires_at"])
            token_type = entry.get("token_type", "Bearer")
        except (ValueError, TypeError, KeyError, AttributeError):
            logger.warning("Ignoring an unreadable entry in the shared token cache")
            return None
        if not isinstance(value, str) or not isinstance(token_type, str):
            return None
        return Token(value, expires_at, token_type)

    async def save(self, key: str, token: Token) -> None:
        from redis.exceptions import RedisError

        ttl_ms = int((token.expires_at - time.time()) * 1000)
        if ttl_ms <= 0:
            return
        entry = json.dumps({"access_token": token.value, "expires_at": token.expires_at, "token_type": token.token_type})
        client = self._client()
        try:
            await client.set(self._prefix + key, entry, px=ttl_ms)
        except (RedisError, OSError) as exc:
            logger.warning("Could not write the shared token cache (%s); continuing without it", type(exc).__name__)
        finally:
            await close_client(client)

    @asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[bool]:
        """Hold the replicas' token lock for ``key``; yields whether it was really taken.

        After ``lock_wait`` seconds, or with Redis unreachable, the block runs
        without the lock: one extra token request is better than none.
        """
        from redis.exceptions import LockError, RedisError

        client = self._client()
        lock = client.lock(
            f"{self._prefix}{key}:lock", timeout=self.lock_timeout, sleep=0.02, blocking_timeout=self.lock_wait
        )
        held = False
        try:
            try:
                held = bool(await lock.acquire())
            except (RedisError, OSError) as exc:
                logger.warning("Could not take the shared token lock (%s); fetching without it", type(exc).__name__)
            else:
                if not held:
                    logger.warning(
                        "Another replica held the token lock for over %gs; fetching a token without it", self.lock_wait
                    )
            yield held
        finally:
            if held:
                try:
                    await lock.release()  # a Lua script deletes the key only if it still holds our random token
                except LockError:
                    logger.warning("The shared token lock expired before the token request finished")
                except (RedisError, OSError) as exc:
                    logger.warning("Could not release the shared token lock (%s); it expires by itself", type(exc).__name__)
            await close_client(client)
