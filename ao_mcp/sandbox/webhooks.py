"""Webhook emission: encode, sign, queue, deliver with retries.

``emit`` never blocks and never raises: it records the payload in ``sent`` and, when
a target is set, puts the signed body on a bounded queue (dropping it with a log line
when full). A background worker (run by ``Sandbox.running``) delivers the queue in
order, retrying a failed delivery with backoff before dropping it.

Bodies are encoded as PHP's ``json_encode`` does by default (compact, ``\\/`` for
slashes, ASCII only), so a receiver that re-serialises the JSON before checking the
signature fails here just as it would against the service.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio
import httpx

__all__ = ["DeliverFn", "WebhookEmitter", "php_json", "sign"]

logger = logging.getLogger("ao_mcp.sandbox")

DeliverFn = Callable[[bytes, dict[str, str]], Awaitable[int | None]]  # an int is an HTTP status
Target = str | DeliverFn | None


def php_json(data: Any) -> bytes:
    """JSON as PHP's ``json_encode`` writes it without flags."""
    return json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def sign(body: bytes, secret: str) -> str:
    """The ``Signature`` header: HMAC-SHA256 of the exact body bytes, lowercase hex."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookEmitter:
    """Signs and delivers webhook events to one target.

    ``target`` is a URL (POSTed with httpx) or an async ``deliver(body, headers)``; a
    delivery fails when the callable raises or the URL answers other than 2xx.
    ``retry_delays`` are the pauses before each retry (their count is the retry count).
    """

    def __init__(
        self,
        secret: str,
        *,
        queue_size: int = 1000,
        sent_size: int = 1000,
        retry_delays: Sequence[float] = (0.5, 1.0, 2.0),
        timeout: float = 10.0,
    ) -> None:
        self._secret = secret
        self.sent: deque[dict[str, Any]] = deque(maxlen=sent_size)
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.delivered = 0
        self.dropped = 0
        self._queue: deque[tuple[str, str, bytes]] = deque()
        self._queue_size = queue_size
        self._target: Target = None
        self._wakeup: anyio.Event | None = None
        self._busy = False

    @property
    def target(self) -> Target:
        return self._target

    @property
    def pending(self) -> int:
        """Events queued or being delivered."""
        return len(self._queue) + self._busy

    def set_target(self, target: Target) -> None:
        """Deliver future events to ``target``; ``None`` keeps them in ``sent`` only."""
        if target is not None and not isinstance(target, str) and not callable(target):
            raise TypeError("a webhook target is a URL string, an async callable or None")
        self._target = target

    def headers(self, body: bytes) -> dict[str, str]:
        return {"Content-Type": "application/json", "Signature": sign(body, self._secret)}

    def emit(self, payload: dict[str, Any]) -> None:
        """Record ``payload`` and queue it for delivery; never blocks, never raises."""
        try:
            self.sent.append(payload)
            if self._target is None:
                return
            if len(self._queue) >= self._queue_size:
                self.dropped += 1
                logger.warning("webhook queue full: dropped %s event %s", payload.get("event"), payload.get("id"))
                return
            self._queue.append((str(payload.get("event")), str(payload.get("id")), php_json(payload)))
            if self._wakeup is not None:
                self._wakeup.set()
        except Exception:  # an event must never fail the request that caused it
            logger.exception("could not queue a webhook event")

    async def wait_idle(self, poll: float = 0.005) -> None:
        """Return once everything queued has been delivered or dropped (needs a running worker)."""
        while self.pending:
            await anyio.sleep(poll)

    async def run(self) -> None:
        """The delivery worker: runs until cancelled."""
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            while True:
                if not self._queue:
                    self._wakeup = anyio.Event()
                    if not self._queue:
                        await self._wakeup.wait()
                    self._wakeup = None
                    continue
                event, event_id, body = self._queue[0]
                self._busy = True
                try:
                    self._queue.popleft()
                    await self._deliver(client, event, event_id, body)
                finally:
                    self._busy = False

    async def _deliver(self, client: httpx.AsyncClient, event: str, event_id: str, body: bytes) -> None:
        headers = self.headers(body)
        attempts = len(self.retry_delays) + 1
        for attempt in range(attempts):
            target = self._target
            if target is None:
                return  # the target was removed while this event waited
            try:
                if isinstance(target, str):
                    status: Any = (await client.post(target, content=body, headers=headers)).status_code
                else:
                    # An in-process receiver answers with its status code, as a URL would.
                    status = await target(body, dict(headers))
                if isinstance(status, int) and not 200 <= status < 300:
                    raise RuntimeError(f"HTTP {status}")
            except anyio.get_cancelled_exc_class():
                raise
            except Exception as error:
                # Reasons only: a URL may carry credentials, so it is never logged.
                reason = type(error).__name__ if not isinstance(error, RuntimeError) else str(error)
                if attempt + 1 < attempts:
                    logger.info("webhook %s %s: attempt %d failed (%s), retrying", event, event_id, attempt + 1, reason)
                    await anyio.sleep(self.retry_delays[attempt])
                    continue
                self.dropped += 1
                logger.warning("webhook %s %s dropped after %d attempts (%s)", event, event_id, attempts, reason)
                return
            self.delivered += 1
            return
