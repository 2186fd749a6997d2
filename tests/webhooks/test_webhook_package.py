"""The package surface: light to import, sorted exports, and a real loopback serve."""

from __future__ import annotations

import socket
import subprocess
import sys

import anyio
import httpx
import pytest

import ao_mcp.webhooks as webhooks


def test_all_is_sorted_and_resolvable() -> None:
    assert webhooks.__all__ == sorted(webhooks.__all__)
    for name in webhooks.__all__:
        assert getattr(webhooks, name) is not None


def test_importing_the_package_stays_light() -> None:
    code = (
        "import sys, ao_mcp.webhooks; "
        "print(','.join(m for m in ('mcp', 'starlette', 'uvicorn', 'sqlite3', 'httpx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert out.stdout.strip() == ""


@pytest.mark.anyio
async def test_serve_receiver_over_loopback_and_stop_on_cancel() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = webhooks.MemoryEventStore()
    receiver = webhooks.WebhookReceiver(webhooks.EventHub(store), secrets=["k"])
    body = b'{"id": "loop-1", "event": "course.started"}'
    with anyio.fail_after(15):
        async with anyio.create_task_group() as group:
            group.start_soon(webhooks.serve_receiver, receiver, "127.0.0.1", port)
            async with httpx.AsyncClient() as client:
                for _ in range(200):
                    try:
                        response = await client.post(
                            f"http://127.0.0.1:{port}{webhooks.WEBHOOK_PATH}",
                            content=body,
                            headers={"Signature": webhooks.sign(body, "k")},
                        )
                        break
                    except httpx.ConnectError:
                        await anyio.sleep(0.05)
                assert response.status_code == 200 and response.json()["seq"] == 1
                assert (await client.get(f"http://127.0.0.1:{port}/elsewhere")).status_code == 404
            group.cancel_scope.cancel()
    assert await store.count() == 1
