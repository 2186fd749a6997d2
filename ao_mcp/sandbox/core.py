"""``Sandbox``: one simulated AcademyOcean account with its app, faults, stats and webhooks."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio

from ao_mcp.sandbox.actions.views import warm
from ao_mcp.sandbox.activity import ActivityGenerator
from ao_mcp.sandbox.app import build_app
from ao_mcp.sandbox.config import SandboxConfig
from ao_mcp.sandbox.data import generate
from ao_mcp.sandbox.faults import FaultInjector
from ao_mcp.sandbox.state import AcademyState
from ao_mcp.sandbox.stats import RecordedRequest, Stats
from ao_mcp.sandbox.tokens import TokenStore
from ao_mcp.sandbox.webhooks import WebhookEmitter

__all__ = ["Sandbox", "serve"]

logger = logging.getLogger("ao_mcp.sandbox")


class Sandbox:
    """A local stand-in for AcademyOcean.

    >>> sb = Sandbox(SandboxConfig(seed=7))
    >>> transport = httpx.ASGITransport(app=sb.app)          # doctest: +SKIP

    The account is generated from ``config.seed`` at construction. ``running()``
    starts the webhook delivery worker (and the activity generator when
    ``config.activity_interval > 0``); requests are served with or without it.
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.state: AcademyState = generate(self.config)
        warm(self.state)
        self.faults = FaultInjector()
        self.stats = Stats()
        self.requests: deque[RecordedRequest] = deque(maxlen=1000)
        self.tokens = TokenStore(self.config.clock, self.config.token_lifetime)
        self.webhooks = WebhookEmitter(self.config.webhook_secret)
        self.state.emit = self.webhooks.emit
        self.activity = ActivityGenerator(self.state, self.config.seed)
        self.app = build_app(self)
        self._running = False

    def expire_tokens(self) -> int:
        """Early expiry: every issued token stops working now. Returns how many were valid."""
        return self.tokens.expire_all()

    async def simulate_activity(self, n: int = 1) -> list[dict[str, Any]]:
        """Run ``n`` activity steps now; returns the webhook payloads they emitted, in order."""
        emitted: list[dict[str, Any]] = []
        for _ in range(n):
            emitted.extend(self.activity.step())
            await anyio.sleep(0)  # let the delivery worker and requests in between
        return emitted

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Sandbox]:
        """Run the background tasks for the duration of the block; nested use is a no-op."""
        if self._running:
            yield self
            return
        self._running = True
        failure: BaseException | None = None
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self.webhooks.run)
                if self.config.activity_interval > 0:
                    group.start_soon(self.activity.run, self.config.activity_interval)
                try:
                    yield self
                except BaseException as error:  # re-raised below, unwrapped by the task group
                    failure = error
                finally:
                    group.cancel_scope.cancel()
        finally:
            self._running = False
        if failure is not None:
            raise failure


async def serve(
    config: SandboxConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    sandbox: Sandbox | None = None,
) -> None:
    """Serve a sandbox over real HTTP with uvicorn until cancelled.

    Pass ``sandbox`` to serve one you hold (to inspect or drive it while it serves).
    """
    import uvicorn  # only needed when serving on a port

    sb = sandbox or Sandbox(config)
    server = uvicorn.Server(
        uvicorn.Config(sb.app, host=host, port=port, lifespan="off", log_level="warning", timeout_graceful_shutdown=2)
    )
    async with sb.running():
        logger.info("sandbox serving on http://%s:%d", host, port)
        try:
            await server.serve()
        except BaseException:
            # Cancelled mid-serve: uvicorn skips its shutdown, so close the sockets here.
            if server.started:
                with anyio.CancelScope(shield=True):
                    server.should_exit = True
                    await server.shutdown()
            raise
