"""What the sandbox saw: counters and a bounded log of API requests, for tests and benchmarks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RecordedRequest", "Stats"]


@dataclass
class Stats:
    """Request counters; ``by_action`` counts API calls per action name as sent."""

    token_requests: int = 0
    api_requests: int = 0
    issued_tokens: int = 0
    by_action: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        self.token_requests = self.api_requests = self.issued_tokens = 0
        self.by_action.clear()

    def as_dict(self) -> dict[str, Any]:
        return {
            "token_requests": self.token_requests,
            "api_requests": self.api_requests,
            "issued_tokens": self.issued_tokens,
            "by_action": dict(self.by_action),
        }


@dataclass(frozen=True)
class RecordedRequest:
    """One received API call: the action and decoded options, and the raw body as sent.

    ``token`` is the presented bearer token, kept so tests can check which one was used;
    it is never logged.
    """

    action: str | None
    options: dict[str, Any]
    content_type: str
    body: bytes
    token: str | None = field(repr=False)
