"""Serving on a real port (loopback only), webhook delivery to a URL, and the public names."""

from __future__ import annotations

import hashlib
import hmac
import socket
from functools import partial

import anyio
import httpx
import pytest
from anyio.abc import SocketStream

import ao_mcp.sandbox as sandbox_package
from ao_mcp.sandbox import Sandbox, SandboxConfig, serve

from .helpers import GOOD_LOGIN

pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver:
    """A minimal HTTP endpoint: answers 500 to the first ``fail_first`` posts, then 204."""

    def __init__(self, fail_first: int) -> None:
        self.fail_first = fail_first
        self.posts: list[tuple[bytes, dict[str, str]]] = []
        self.calls = 0

    async def handle(self, stream: SocketStream) -> None:
        async with stream:
            data = b""
            while b"\r\n\r\n" not in data:
                data += await stream.receive()
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode().split("\r\n")[1:]
            headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
            while len(body) < int(headers.get("content-length", 0)):
                body += await stream.receive()
            self.calls += 1
            status = "500 Internal Server Error" if self.calls <= self.fail_first else "204 No Content"
            if self.calls > self.fail_first:
                self.posts.append((body, headers))
            await stream.send(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())


async def test_serve_over_http_with_webhooks_to_a_url() -> None:
    api_port, hook_port = free_port(), free_port()
    sandbox = Sandbox(SandboxConfig(learners=20))
    receiver = Receiver(fail_first=1)
    sandbox.webhooks.retry_delays = (0.01, 0.01, 0.01)
    sandbox.webhooks.set_target(f"http://127.0.0.1:{hook_port}/hooks")
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=hook_port)
    base = f"http://127.0.0.1:{api_port}"
    with anyio.fail_after(15):
        async with listener, anyio.create_task_group() as group:
            group.start_soon(listener.serve, receiver.handle)
            group.start_soon(partial(serve, host="127.0.0.1", port=api_port, sandbox=sandbox))
            async with httpx.AsyncClient(base_url=base, timeout=5) as client:
                while True:
                    try:
                        token = await client.post("/oauth/token", data=GOOD_LOGIN)
                        break
                    except httpx.TransportError:
                        await anyio.sleep(0.05)
                headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
                learners = await client.post("/api/v1/", data={"action": "learners"}, headers=headers)
                assert learners.status_code == 200 and len(learners.json()) == 20
                simulated = await client.post("/_sandbox/activity", json={"steps": 3})
                events = simulated.json()["events"]
                while len(receiver.posts) < events:
                    await anyio.sleep(0.02)
                stats = (await client.get("/_sandbox/stats")).json()
                assert stats["api_requests"] == 1 and stats["by_action"] == {"learners": 1}
            group.cancel_scope.cancel()
    assert receiver.calls == events + 1  # the first delivery failed and was retried
    for body, headers in receiver.posts:
        assert headers["content-type"] == "application/json"
        assert headers["signature"] == hmac.new(b"sandbox-webhook-secret", body, hashlib.sha256).hexdigest()
    with pytest.raises(httpx.ConnectError):  # the port is closed once serve() is cancelled
        async with httpx.AsyncClient() as client:
            await client.post(f"{base}/oauth/token", data=GOOD_LOGIN)


def test_public_names() -> None:
    assert sandbox_package.__all__ == sorted(sandbox_package.__all__)
    assert {"Fault", "Sandbox", "SandboxConfig", "serve"} <= set(sandbox_package.__all__)
    for name in sandbox_package.__all__:
        assert getattr(sandbox_package, name) is not None
