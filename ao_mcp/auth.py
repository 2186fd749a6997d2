"""The access token's life: reuse, refresh ahead of expiry, single flight, optional cache.

This module does no I/O with AcademyOcean; the client hands ``TokenManager`` a
``fetch`` coroutine that asks the token endpoint. Any number of concurrent
callers that find no valid token share one fetch (and its failure).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio

__all__ = ["FileTokenCache", "Token", "TokenCache", "TokenManager", "cache_key"]

logger = logging.getLogger("ao_mcp.auth")

#: Refresh this long before expiry, but never more than a tenth of the lifetime.
REFRESH_MARGIN = 300.0


@dataclass(frozen=True)
class Token:
    """A bearer token and the wall-clock time it stops working."""

    value: str
    expires_at: float
    token_type: str = "Bearer"

    def __repr__(self) -> str:
        return f"Token(value='***', expires_at={self.expires_at:.0f})"

    def fresh(self, now: float, lifetime_hint: float | None = None) -> bool:
        """True while the token is usable and not yet due for refresh."""
        margin = REFRESH_MARGIN if lifetime_hint is None else min(REFRESH_MARGIN, lifetime_hint / 10)
        return now < self.expires_at - margin

    def usable(self, now: float) -> bool:
        return now < self.expires_at


class TokenCache(Protocol):
    """Somewhere a token outlives the process (a file; Redis for several replicas).

    ``lock`` serialises fetches across processes sharing the cache, so that N
    replicas make one token request between them; a local cache may no-op it.
    """

    async def load(self, key: str) -> Token | None: ...

    async def save(self, key: str, token: Token) -> None: ...

    def lock(self, key: str) -> AbstractAsyncContextManager[object]: ...


def cache_key(base_url: str, client_id: str) -> str:
    """Two client ids (or two services) never share a cached token."""
    return hashlib.sha256(f"{base_url}\0{client_id}".encode()).hexdigest()[:32]


class FileTokenCache:
    """Tokens in one JSON file, mode 0600, keyed by ``cache_key``; unreadable means empty."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()

    def _read(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    async def load(self, key: str) -> Token | None:
        entry = self._read().get(key)
        if not isinstance(entry, dict):
            return None
        value, expires_at = entry.get("access_token"), entry.get("expires_at")
        if not isinstance(value, str) or not isinstance(expires_at, int | float):
            return None
        token_type = entry.get("token_type")
        return Token(value, float(expires_at), token_type if isinstance(token_type, str) else "Bearer")

    @asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        yield  # one process per file in practice; the in-process single flight is enough

    async def save(self, key: str, token: Token) -> None:
        data = {k: v for k, v in self._read().items() if _unexpired(v)}
        data[key] = {"access_token": token.value, "expires_at": token.expires_at, "token_type": token.token_type}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except OSError as exc:
            logger.warning("Could not write the token cache %s (%s); continuing without it", self.path, exc.strerror)


def _unexpired(entry: object) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("expires_at"), int | float) and entry["expires_at"] > time.time()


class _Flight:
    def __init__(self) -> None:
        self.done = anyio.Event()
        self.token: Token | None = None
        self.error: BaseException | None = None


class TokenManager:
    """Hands out a valid token; at most one fetch runs at a time, and waiters share its outcome."""

    def __init__(
        self,
        fetch: Callable[[], Awaitable[tuple[Token, float]]],
        *,
        clock: Callable[[], float] = time.time,
        cache: TokenCache | None = None,
        key: str = "",
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._cache = cache
        self._key = key
        self._token: Token | None = None
        self._lifetime: float | None = None
        self._flight: _Flight | None = None
        self._rejected: list[str] = []
        self.fetches = 0

    def __repr__(self) -> str:
        return f"TokenManager(token={'set' if self._token else 'none'}, fetches={self.fetches})"

    async def get(self) -> Token:
        """A token that is valid now; fetched only when there is none or it is due for refresh."""
        while True:
            token = self._token
            if token is not None and token.fresh(self._clock(), self._lifetime):
                return token
            if self._flight is None:
                return await self._lead()
            flight = self._flight
            await flight.done.wait()
            if flight.token is not None:
                return flight.token
            if flight.error is not None:
                raise flight.error
            # The leader was cancelled before it finished: someone else leads now.

    def invalidate(self, token: Token) -> None:
        """Forget ``token`` (the API refused it); a newer token fetched meanwhile is kept."""
        if self._token is not None and self._token.value == token.value:
            self._token = None
        self._rejected = [*self._rejected[-7:], token.value]

    async def _lead(self) -> Token:
        flight = self._flight = _Flight()
        try:
            token = await self._obtain()
        except anyio.get_cancelled_exc_class():
            raise
        except BaseException as exc:
            flight.error = exc
            stale = self._token
            if stale is not None and stale.usable(self._clock()):
                logger.warning("Token refresh failed (%s); using the current token until it expires", exc)
                flight.error = None
                flight.token = stale
                return stale
            raise
        else:
            flight.token = token
            return token
        finally:
            self._flight = None
            flight.done.set()

    async def _obtain(self) -> Token:
        if self._cache is None:
            return await self._fetch_new()
        if (cached := await self._from_cache()) is not None:
            return cached
        async with self._cache.lock(self._key):
            # Another process may have fetched while we waited for the lock.
            if (cached := await self._from_cache()) is not None:
                return cached
            token = await self._fetch_new()
            await self._cache.save(self._key, token)
            return token

    async def _from_cache(self) -> Token | None:
        assert self._cache is not None
        cached = await self._cache.load(self._key)
        if cached is None or not cached.fresh(self._clock()) or cached.value in self._rejected:
            return None
        logger.info("Using the cached access token")
        self._token = cached
        return cached

    async def _fetch_new(self) -> Token:
        self.fetches += 1
        token, lifetime = await self._fetch()
        self._token, self._lifetime = token, lifetime
        return token
