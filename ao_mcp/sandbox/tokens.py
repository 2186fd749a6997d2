"""OAuth access tokens: issued opaque, valid until the (injectable) clock passes their expiry."""

from __future__ import annotations

import secrets
from collections.abc import Callable

__all__ = ["TokenStore"]


class TokenStore:
    """Issued bearer tokens and their expiry times (epoch seconds of ``clock``)."""

    def __init__(self, clock: Callable[[], float], lifetime: float) -> None:
        self._clock = clock
        self.lifetime = lifetime
        self._expiry: dict[str, float] = {}

    def issue(self) -> str:
        now = self._clock()
        if len(self._expiry) > 10_000:  # keep memory bounded on long benchmark runs
            self._expiry = {token: at for token, at in self._expiry.items() if at > now}
        token = secrets.token_urlsafe(48)
        self._expiry[token] = now + self.lifetime
        return token

    def valid(self, token: str | None) -> bool:
        if not token:
            return False
        expiry = self._expiry.get(token)
        return expiry is not None and self._clock() < expiry

    def expire(self, token: str) -> None:
        """Make one token invalid now (the ``expire_token`` fault)."""
        self._expiry.pop(token, None)

    def expire_all(self) -> int:
        """Early expiry of every issued token; returns how many were still valid."""
        now = self._clock()
        alive = sum(1 for at in self._expiry.values() if at > now)
        self._expiry.clear()
        return alive
