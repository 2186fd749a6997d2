"""Webhook ingest throughput: verified-and-stored events per second over real loopback HTTP.

A uvicorn server in a subprocess serves one Starlette app with four routes:
a bare route that reads the body and answers 200 (the cost of the HTTP stack
alone), the webhook receiver on the memory store (default retention, 1000
events), the receiver on the SQLite store, and the memory store again without
a subscription bus. The first two hubs publish change notifications on a bus,
as in the server; the last route isolates what that publishing costs.
Concurrent httpx senders (8 by default, one keep-alive connection each) post
pre-signed, distinct quiz.finished events; the rounds alternate between the
targets (rotating the order) and medians are reported.

Two measures: wall-clock requests per second (what a sender sees; on a small
machine the senders compete with the server for CPU) and the server process's
CPU time per request (read from /proc, Linux only), whose inverse is the
capacity of one server core. Target: the memory store at >= 70% of the bare
route. Run: ``.venv/bin/python benchmarks/webhook_ingest.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import post_signed, run_seconds, wait_for_port  # noqa: E402

SECRET = "benchmark-secret"
TARGETS = {
    "bare": "/bare",
    "memory": "/webhooks/memory",
    "sqlite": "/webhooks/sqlite",
    "memory-nobus": "/webhooks/memory-nobus",
}
SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "webhooks" / "samples" / "quiz.finished.json"


# --- server side (runs in the subprocess) --------------------------------------------------------------


def serve(port: int, db_path: str, synchronous: str) -> None:
    """The server process: one app, three routes, one uvicorn worker."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Route

    from ao_mcp.webhooks import EventHub, MemoryEventStore, WebhookReceiver
    from ao_mcp.webhooks.sqlite import SQLiteEventStore

    async def bare(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False) and message["type"] == "http.request"
        body = b'{"status":"ok"}'
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    class Bare:  # a class instance, so Starlette passes it raw ASGI like the receiver
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await bare(scope, receive, send)

    from mcp.server.subscriptions import InMemorySubscriptionBus

    # As in the server: each hub publishes change notifications on a subscription bus.
    memory = WebhookReceiver(EventHub(MemoryEventStore(), InMemorySubscriptionBus()), secrets=[SECRET])
    nobus = WebhookReceiver(EventHub(MemoryEventStore()), secrets=[SECRET])
    durable = WebhookReceiver(
        EventHub(SQLiteEventStore(db_path, max_events=100_000, synchronous=synchronous), InMemorySubscriptionBus()),
        secrets=[SECRET],
    )
    app = Starlette(
        routes=[
            Route(TARGETS["bare"], Bare()),
            Route(TARGETS["memory"], memory),
            Route(TARGETS["sqlite"], durable),
            Route(TARGETS["memory-nobus"], nobus),
        ]
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- client side ------------------------------------------------------------------------------------------


def make_bodies(count: int, start: int) -> list[tuple[bytes, str]]:
    """Distinct signed events, prepared before timing so signing is not measured."""
    from ao_mcp.webhooks import sign

    template = json.loads(SAMPLE.read_text())
    bodies = []
    for n in range(start, start + count):
        body = json.dumps({**template, "id": f"bench-{n}"}).encode()
        bodies.append((body, sign(body, SECRET)))
    return bodies


async def bench(port: int, pid: int, rounds: int, per_round: int, senders: int) -> dict[str, dict[str, list[float]]]:
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, list[float]]] = {name: {"rps": [], "cpu_us": []} for name in TARGETS}
    names = list(TARGETS)
    counter = 0
    # Warm-up: one short round per target.
    for name in names:
        await post_signed([base], TARGETS[name], make_bodies(200, counter), senders)
        counter += 200
    for index in range(rounds):
        order = names[index % len(names) :] + names[: index % len(names)]
        for name in order:
            bodies = make_bodies(per_round, counter)
            counter += per_round
            cpu_before = run_seconds(pid)
            elapsed = await post_signed([base], TARGETS[name], bodies, senders)
            cpu = run_seconds(pid) - cpu_before
            results[name]["rps"].append(per_round / elapsed)
            results[name]["cpu_us"].append(cpu / per_round * 1e6)
    return results


def measure(rounds: int, per_round: int, senders: int, synchronous: str = "FULL") -> dict[str, dict[str, list[float]]]:
    """Serve the four targets in a subprocess and run the rounds; per target, req/s and server CPU us per request."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), db, synchronous], stdout=subprocess.DEVNULL
        )
        try:
            wait_for_port(port, server)
            return anyio.run(bench, port, server.pid, rounds, per_round, senders)
        finally:
            server.terminate()
            server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--synchronous", default="FULL", help="SQLite synchronous pragma (FULL or NORMAL)")
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "DB", "SYNC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.serve[2])
        return

    results = measure(args.rounds, args.per_round, args.senders, args.synchronous)
    print(
        f"webhook ingest, {args.senders} concurrent senders, {args.rounds} rounds x {args.per_round} events, "
        f"uvicorn (h11) on loopback, {os.cpu_count()} CPUs, SQLite synchronous={args.synchronous}"
    )
    print(f"{'target':12} {'median req/s':>13} {'min':>8} {'max':>8} {'server CPU us/req':>18} {'capacity/core':>14}")
    medians: dict[str, tuple[float, float]] = {}
    for name, data in results.items():
        rps, cpu = statistics.median(data["rps"]), statistics.median(data["cpu_us"])
        medians[name] = (rps, cpu)
        capacity = 1e6 / cpu if cpu else float("nan")
        print(f"{name:12} {rps:13.0f} {min(data['rps']):8.0f} {max(data['rps']):8.0f} {cpu:18.0f} {capacity:14.0f}")
    bare_rps, bare_cpu = medians["bare"]
    for name in ("memory", "sqlite", "memory-nobus"):
        rps, cpu = medians[name]
        capacity_ratio = bare_cpu / cpu if cpu else float("nan")
        print(
            f"{name:>12} / bare: {rps / bare_rps:.0%} of wall-clock throughput, {capacity_ratio:.0%} of server capacity"
        )
    print("target: memory >= 70% of bare")


if __name__ == "__main__":
    main()
