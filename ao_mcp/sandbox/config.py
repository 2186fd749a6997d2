"""The sandbox's settings: one frozen value, so a sandbox can be rebuilt exactly from it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["SandboxConfig"]


@dataclass(frozen=True)
class SandboxConfig:
    """How to build and run a sandbox.

    ``seed`` fixes every generated record (same seed, same academy); ``clock`` is
    injectable so tests can move time forward to expire tokens without sleeping.
    ``activity_interval`` is the pause between simulated learner actions when the
    sandbox is running (0 turns the generator off).
    """

    seed: int = 7
    learners: int = 200
    academies: int = 3
    token_lifetime: float = 604800.0
    client_id: str = "sandbox"
    client_secret: str = "sandbox-secret"
    webhook_secret: str = "sandbox-webhook-secret"
    activity_interval: float = 0.0
    base_url: str = "https://app.academyocean.com"
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.learners < 0:
            raise ValueError("SandboxConfig.learners must be 0 or more")
        if self.academies < 1:
            raise ValueError("SandboxConfig.academies must be at least 1")
        if self.token_lifetime <= 0:
            raise ValueError("SandboxConfig.token_lifetime must be positive")
        if self.activity_interval < 0:
            raise ValueError("SandboxConfig.activity_interval must be 0 or more")
        if not self.client_id or not self.client_secret:
            raise ValueError("SandboxConfig.client_id and client_secret must not be empty")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
