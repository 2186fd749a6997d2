"""Fault injection: make the next matching requests fail the ways real services fail.

Faults are consumed in the order they were added: each request takes the first
fault that matches it (endpoint and, for the API, action) and uses up one of its
``count``; ``count=None`` keeps it until ``clear()``.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["ENDPOINTS", "FAULT_KINDS", "Fault", "FaultInjector"]

FaultKind = Literal["status", "latency", "hang", "error_in_200", "html", "garbage", "empty", "expire_token"]
Endpoint = Literal["api", "token", "any"]

FAULT_KINDS: frozenset[str] = frozenset(
    {"status", "latency", "hang", "error_in_200", "html", "garbage", "empty", "expire_token"}
)
ENDPOINTS: frozenset[str] = frozenset({"api", "token", "any"})
_NONE = type(None)
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "kind": (str,),
    "count": (int, _NONE),
    "endpoint": (str,),
    "action": (str, _NONE),
    "status": (int, _NONE),
    "retry_after": (int, float, _NONE),
    "delay": (int, float),
    "message": (str, _NONE),
}


@dataclass(frozen=True)
class Fault:
    """One kind of failure for the next ``count`` matching requests.

    ``status``: answer ``status`` (default 500) with the error body, and ``Retry-After``
    when ``retry_after`` is set. ``latency``/``hang``: sleep ``delay`` seconds, then answer
    normally (a hang is a delay meant to outlast the client's timeout). ``error_in_200``:
    200 with ``{"error": {"message": message}}``. ``html``: an HTML error page (status
    default 502). ``garbage``: 200 with bytes that are not JSON. ``empty``: 200 with no
    body. ``expire_token``: 401 as if the presented token had expired (it is revoked).
    """

    kind: FaultKind
    count: int | None = 1
    endpoint: Endpoint = "api"
    action: str | None = None
    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    message: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {sorted(FAULT_KINDS)}")
        if self.endpoint not in ENDPOINTS:
            raise ValueError(f"unknown fault endpoint {self.endpoint!r}; one of {sorted(ENDPOINTS)}")
        if self.count is not None and (isinstance(self.count, bool) or self.count < 1):
            raise ValueError("Fault.count must be at least 1, or None for until cleared")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError("Fault.status must be an HTTP status (100-599)")
        if self.delay < 0 or (self.retry_after is not None and self.retry_after < 0):
            raise ValueError("Fault.delay and Fault.retry_after must not be negative")

    @classmethod
    def from_dict(cls, data: Any) -> Fault:
        """Build from JSON (the admin route); raises ``ValueError`` with a readable reason."""
        if not isinstance(data, dict):
            raise ValueError("a fault is a JSON object")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        if "kind" not in data:
            raise ValueError("a fault needs a kind")
        for name, value in data.items():
            if isinstance(value, bool) or not isinstance(value, _FIELD_TYPES[name]):
                raise ValueError(f"fault field {name} has the wrong type")
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def matches(self, endpoint: str, action: str | None) -> bool:
        if self.endpoint not in ("any", endpoint):
            return False
        return self.action is None or (endpoint == "api" and self.action == action)


@dataclass
class _Armed:
    fault: Fault
    remaining: int | None


@dataclass
class FaultInjector:
    """The queue of armed faults (thread-safe: a served sandbox may be driven from tests)."""

    _armed: list[_Armed] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    applied: int = 0

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._armed.append(_Armed(fault, fault.count))

    def clear(self) -> int:
        """Disarm everything; returns how many faults were still armed."""
        with self._lock:
            count = len(self._armed)
            self._armed.clear()
            return count

    @property
    def pending(self) -> list[Fault]:
        with self._lock:
            return [armed.fault for armed in self._armed]

    def take(self, endpoint: str, action: str | None = None) -> Fault | None:
        """The fault for this request, if any, using up one of its count."""
        with self._lock:
            for armed in self._armed:
                if armed.fault.matches(endpoint, action):
                    if armed.remaining is not None:
                        armed.remaining -= 1
                        if armed.remaining <= 0:
                            self._armed.remove(armed)
                    self.applied += 1
                    return armed.fault
        return None
