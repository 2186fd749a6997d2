"""Two replicas sharing Redis against one replica with the memory store: ingest rate and notification latency.

Everything runs on loopback as separate processes, started the way a
deployment starts them (the ``ao-mcp`` console script, HTTP transport,
sandbox API, no simulated activity, log level warning): a ``redis-server``
(append-only file, ``appendfsync everysec``), replicas A and B with
``AO_MCP_EVENT_STORE=redis://...``, and replica M with the default memory store.

Ingest: concurrent senders (8 by default, one keep-alive connection each) post
pre-signed, distinct quiz.finished events; for the pair, half the senders post
to A and half to B. Rounds alternate between the pair and M (rotating which
goes first) and the medians are compared. Also reported: CPU seconds per event
summed over the processes involved (A + B + redis-server, or M), read from /proc.

Notification latency: a client subscribed on B (current era,
``subscriptions/listen``; and legacy era, ``resources/subscribe``) while events
are POSTed one at a time to A: time from just before the POST to the
notification's arrival. The same on M alone (POST to M, client on M) is the
single-process reference. Median and p95.

Needs ``redis-server`` on PATH and ``pip install -e '.[redis]'``.
Run: ``.venv/bin/python benchmarks/redis_replicas.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
from _common import ao_mcp_command, free_port, post_signed, run_seconds, stop, wait_for_port  # noqa: E402
from webhook_ingest import SECRET, make_bodies  # noqa: E402  (one way to sign)

EVENTS_URI = "academyocean://webhooks/events"
SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "webhooks" / "samples" / "quiz.finished.json"
WEBHOOK = "/webhooks/academyocean"


# --- processes ------------------------------------------------------------------------------------------



@contextmanager
def deployment(workdir: Path) -> Iterator[dict[str, tuple[int, subprocess.Popen[bytes]]]]:
    """redis-server, replicas A and B on it, and replica M on memory: name -> (port, process)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    procs: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
    with ExitStack() as stack:
        redis_port = free_port()
        redis = subprocess.Popen(
            [binary, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir),
             "--appendonly", "yes", "--appendfsync", "everysec"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        stack.callback(stop, redis)
        wait_for_port(redis_port, redis)
        procs["redis"] = (redis_port, redis)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("ACADEMYOCEAN_", "AO_MCP_"))}
        base.update(
            AO_MCP_TRANSPORT="http",
            AO_MCP_SANDBOX="1",
            AO_MCP_SANDBOX_ACTIVITY="0",
            ACADEMYOCEAN_WEBHOOK_SECRET=SECRET,
            AO_MCP_LOG_LEVEL="warning",
        )
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        for name, store in (("A", redis_url), ("B", redis_url), ("M", "memory")):
            port = free_port()
            log = open(workdir / f"replica-{name}.log", "wb")  # noqa: SIM115 - closed by the stack
            stack.callback(log.close)
            proc = subprocess.Popen(
                ao_mcp_command(),
                env={**base, "AO_MCP_PORT": str(port), "AO_MCP_EVENT_STORE": store},
                cwd=workdir,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            stack.callback(stop, proc)
            wait_for_port(port, proc)
            procs[name] = (port, proc)
        yield procs




# --- ingest ------------------------------------------------------------------------------------------------


def replicas(procs: dict[str, tuple[int, subprocess.Popen[bytes]]], names: list[str]) -> list[str]:
    return [f"http://127.0.0.1:{procs[name][0]}" for name in names if name != "redis"]


async def bench_ingest(
    procs: dict[str, tuple[int, subprocess.Popen[bytes]]], rounds: int, per_round: int, senders: int
) -> dict[str, dict[str, list[float]]]:
    targets = {"redis pair (A+B)": ["A", "B", "redis"], "memory (M)": ["M"]}
    results: dict[str, dict[str, list[float]]] = {name: {"rate": [], "cpu_us": []} for name in targets}
    counter = 0
    for names in targets.values():  # warm-up
        await post_signed(replicas(procs, names), WEBHOOK, make_bodies(300, counter), senders)
        counter += 300
    order = list(targets)
    for index in range(rounds):
        for name in order[index % 2 :] + order[: index % 2]:
            names = targets[name]
            bodies = make_bodies(per_round, counter)
            counter += per_round
            before = {n: run_seconds(procs[n][1].pid) for n in names}
            elapsed = await post_signed(replicas(procs, names), WEBHOOK, bodies, senders)
            cpu = {n: run_seconds(procs[n][1].pid) - before[n] for n in names}
            results[name]["rate"].append(per_round / elapsed)
            results[name]["cpu_us"].append(sum(cpu.values()) / per_round * 1e6)
            for n, seconds in cpu.items():
                results[name].setdefault(f"cpu_us {n}", []).append(seconds / per_round * 1e6)
    return results


# --- notification latency ---------------------------------------------------------------------------------


async def latency(post_port: int, client_port: int, samples: int, mode: str, tag: str) -> list[float]:
    """Seconds from just before each POST to ``post_port`` until a client of ``client_port`` is notified."""
    from mcp import Client
    from mcp_types import ResourceUpdatedNotification

    from ao_mcp.webhooks import sign

    send, receive = anyio.create_memory_object_stream[float](samples + 10)

    async def on_message(message: Any) -> None:
        if mode == "legacy" and isinstance(message, ResourceUpdatedNotification) and message.params.uri == EVENTS_URI:
            send.send_nowait(time.perf_counter())

    template = json.loads(SAMPLE.read_text())
    found: list[float] = []
    url = f"http://127.0.0.1:{client_port}/mcp"
    with anyio.fail_after(300):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{post_port}", timeout=10) as http:
            await http.get(WEBHOOK)  # connect before timing
            async with Client(url, mode=mode, message_handler=on_message) as client, anyio.create_task_group() as group:
                if mode == "legacy":
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        await client.subscribe_resource(EVENTS_URI)
                else:

                    async def listen(task_status: Any = anyio.TASK_STATUS_IGNORED) -> None:
                        async with client.listen(resource_subscriptions=[EVENTS_URI]) as subscription:
                            task_status.started()
                            async for _ in subscription:
                                send.send_nowait(time.perf_counter())

                    await group.start(listen)
                for n in range(samples):
                    body = json.dumps({**template, "id": f"latency-{tag}-{mode}-{n}"}).encode()
                    headers = {"Signature": sign(body, SECRET)}
                    started = time.perf_counter()
                    response = await http.post(WEBHOOK, content=body, headers=headers)
                    if response.status_code != 200:
                        raise RuntimeError(f"POST answered {response.status_code}")
                    with anyio.fail_after(10):
                        arrived = await receive.receive()
                    found.append(arrived - started)
                group.cancel_scope.cancel()
    return found


# --- report -------------------------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ao-mcp-redis-bench-") as tmp, deployment(Path(tmp)) as procs:
        ingest = await bench_ingest(procs, args.rounds, args.per_round, args.senders)
        lat = {
            "A -> client of B, current era": await latency(procs["A"][0], procs["B"][0], args.samples, "auto", "ab"),
            "A -> client of B, legacy era": await latency(procs["A"][0], procs["B"][0], args.samples, "legacy", "ab"),
            "M -> client of M, current era (one process)": await latency(
                procs["M"][0], procs["M"][0], args.samples, "auto", "mm"
            ),
        }
    return {"ingest": ingest, "latency": lat}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="ingest rounds per target (alternating)")
    parser.add_argument("--per-round", type=int, default=2000, help="events per ingest round")
    parser.add_argument("--senders", type=int, default=8, help="concurrent sender connections")
    parser.add_argument("--samples", type=int, default=200, help="notifications timed per latency case")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 50 or not 1 <= args.per_round <= 100_000 or not 1 <= args.samples <= 10_000:
        raise SystemExit("rounds 1-50, per-round 1-100000, samples 1-10000")
    results = anyio.run(run, args)
    print(f"ingest: {args.rounds} alternating rounds of {args.per_round} signed events, {args.senders} senders, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    medians = {}
    for name, figures in results["ingest"].items():
        rate, cpu = statistics.median(figures["rate"]), statistics.median(figures["cpu_us"])
        medians[name] = rate
        rounds = ", ".join(f"{value:.0f}" for value in figures["rate"])
        parts = ", ".join(
            f"{key.split()[1]} {statistics.median(values):.0f}" for key, values in figures.items() if key.startswith("cpu_us ")
        )
        print(f"  {name:<18} {rate:8.0f} events/s  (rounds: {rounds})")
        print(f"  {'':<18} CPU {cpu:.0f} us/event over its processes ({parts})")
    pair, memory = medians["redis pair (A+B)"], medians["memory (M)"]
    print(f"  ratio redis pair / memory: {pair / memory:.2f}")
    print(f"notification latency, {args.samples} events each, POST sent -> notification received:")
    for name, values in results["latency"].items():
        print(f"  {name:<44} median {statistics.median(values) * 1000:6.2f} ms   p95 {p95(values) * 1000:6.2f} ms")
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
