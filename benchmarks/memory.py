"""Memory: the resident size of an idle server, and after 10,000 buffered webhook events.

- idle, stdio: ``ao-mcp`` (credentials for the loopback sandbox) and the
  one-tool ``MCPServer`` baseline, each read from /proc right after answering
  ``tools/list``; alternating starts, medians;
- idle, HTTP transport: ``ao-mcp --transport http`` after one ``tools/list``
  and one tool call over streamable HTTP;
- the same process after 10,000 distinct signed events were posted to its
  webhook route with ``AO_MCP_EVENT_BUFFER_SIZE=10000`` (memory store), all
  acknowledged with 200, and the buffer checked through the ``webhook_events`` tool.

Run: ``.venv/bin/python benchmarks/memory.py [--quick]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import anyio
import httpx
from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Row,
    Section,
    ao_mcp_command,
    clean_env,
    empty_dir,
    free_port,
    median,
    minimal_server_command,
    print_section,
    proc_status_mb,
    ratio,
    sandbox_process,
    server_env,
    start_and_list_tools,
    stop,
    wait_for_http,
)
from webhook_ingest import make_bodies  # noqa: E402

BENCH = "7. memory"
EVENTS = 10_000
SECRET = "benchmark-secret"  # webhook_ingest.make_bodies signs with it
SENDERS = 8


def idle_stdio(sandbox_url: str, runs: int) -> dict[str, list[float]]:
    ao_env = clean_env(**server_env(sandbox_url))
    rss: dict[str, list[float]] = {"ao-mcp": [], "minimal": []}
    for index in range(runs):
        sides = [("ao-mcp", ao_mcp_command(), ao_env), ("minimal", minimal_server_command(), clean_env())]
        for name, command, env in sides if index % 2 == 0 else sides[::-1]:
            rss[name].append(start_and_list_tools(command, env).memory["VmRSS"])
    return rss


async def post_events(base: str, count: int) -> tuple[int, float]:
    """Post ``count`` distinct signed events with SENDERS keep-alive clients: how many got 200, mean body size."""
    prepared = make_bodies(count, 0)
    bodies = iter(prepared)
    accepted = 0

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal accepted
        for body, signature in bodies:
            response = await client.post("/webhooks/academyocean", content=body,
                                         headers={"Signature": signature, "Content-Type": "application/json"})
            if response.status_code != 200:
                raise RuntimeError(f"webhook answered {response.status_code}: {response.text[:200]}")
            accepted += 1

    clients = [httpx.AsyncClient(base_url=base, timeout=30) for _ in range(SENDERS)]
    try:
        async with anyio.create_task_group() as group:
            for client in clients:
                group.start_soon(sender, client)
    finally:
        for client in clients:
            await client.aclose()
    return accepted, sum(len(body) for body, _ in prepared) / count


async def http_server_memory(base: str, pid: int) -> dict[str, Any]:
    async with Client(f"{base}/mcp") as client:
        await client.list_tools()
        if (await client.call_tool("academies", {})).is_error:
            raise RuntimeError("academies failed over HTTP")
        idle = proc_status_mb(pid)
        started = time.perf_counter()
        accepted, body_bytes = await post_events(base, EVENTS)
        elapsed = time.perf_counter() - started
        listed = await client.call_tool("webhook_events", {"max_items": 1})
        if listed.is_error:
            raise RuntimeError(listed.content[0].text)
        after = proc_status_mb(pid)
    return {"idle": idle, "after": after, "accepted": accepted, "newest_seq": listed.structured_content["next_seq"],
            "post_s": elapsed, "body_bytes": body_bytes}


def run(sandbox_url: str, *, quick: bool = False, errlog: IO[bytes] | None = None) -> Section:
    stdio = idle_stdio(sandbox_url, 3 if quick else 5)
    port = free_port()
    env = clean_env(**server_env(sandbox_url), ACADEMYOCEAN_WEBHOOK_SECRET=SECRET, AO_MCP_EVENT_BUFFER_SIZE=str(EVENTS),
                    AO_MCP_EVENT_STORE="memory")
    with empty_dir() as cwd:
        proc = subprocess.Popen([*ao_mcp_command(), "--transport", "http", "--port", str(port)], env=env, cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=errlog if errlog is not None else subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_http(f"{base}/mcp", timeout=60, proc=proc)
            http = anyio.run(http_server_memory, base, proc.pid)
        finally:
            stop(proc)
    ours, base_rss = median(stdio["ao-mcp"]), median(stdio["minimal"])
    idle, after = http["idle"]["VmRSS"], http["after"]["VmRSS"]
    per_event = (after - idle) * 1024 * 1024 / EVENTS
    rows = [
        Row(BENCH, "idle RSS, stdio, after tools/list (median)", f"{ours:.1f} MB", f"{base_rss:.1f} MB (one-tool MCPServer)",
            f"{ratio(ours, base_rss):.2f}x", "reported", "", {"ours_mb": stdio["ao-mcp"], "baseline_mb": stdio["minimal"]}),
        Row(BENCH, "idle RSS, HTTP transport, after tools/list and one call", f"{idle:.1f} MB", "", "", "reported"),
        Row(BENCH, f"RSS after {EVENTS:,} buffered events (memory store, {http['accepted']:,} acknowledged, "
            f"newest seq {http['newest_seq']:,})", f"{after:.1f} MB (+{after - idle:.1f} MB)", "", "",
            "reported", "", {"peak_mb": http["after"].get("VmHWM")}),
        Row(BENCH, f"per buffered event (quiz.finished, {http['body_bytes']:,.0f}-byte body)", f"{per_event / 1024:.1f} KB",
            "", "", "reported"),
    ]
    detail = (f"Memory: {EVENTS:,} signed events posted by {SENDERS} keep-alive senders in {http['post_s']:.1f} s "
              f"({EVENTS / http['post_s']:.0f}/s); peak RSS of the HTTP server {http['after'].get('VmHWM', 0):.1f} MB.")
    return Section(BENCH, rows, detail, {"stdio_idle_mb": stdio, "http": http, "per_event_bytes": per_event})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with sandbox_process() as sandbox:
        print_section(run(sandbox.url, quick=args.quick))


if __name__ == "__main__":
    main()
