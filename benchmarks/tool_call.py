"""Tool calls through MCP against the same requests made directly, and the token single flight.

Both sides hit the sandbox served on loopback by ``ao-mcp sandbox --port``:

1. overhead: one ``courses`` call through the official ``mcp.Client`` talking to
   an ``ao-mcp`` subprocess over stdio, against the same API request
   (``action=courses``, token obtained once) made with httpx and its JSON
   decoded. Calls alternate one by one; medians and p95 are compared.
   Target: at most 1.5x, and the added milliseconds. Two floors run in the
   same alternation: the SDK's own round trip (a no-op tool of a one-tool
   ``MCPServer``) and the official client's cost for the very same answer
   (``canned_server.py`` replays what ``ao-mcp`` answered, with no work).
2. concurrency: 50 concurrent tool calls against the same 50 requests made
   concurrently with httpx; rounds alternate; median throughput.
4. token single flight: after a warm-up call, the sandbox expires every token
   (``/_sandbox/expire-tokens``); 500 concurrent tool calls then all meet a 401.
   The sandbox's ``/_sandbox/stats`` must count exactly one token request, and
   no call may fail.

Run: ``.venv/bin/python benchmarks/tool_call.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    BENCH_DIR,
    Row,
    Section,
    ao_mcp_command,
    median,
    minimal_server_command,
    ms,
    p95,
    print_section,
    ratio,
    sandbox_process,
    sandbox_token,
    server_env,
    signed_ms,
    verdict,
)

TOOL, ACTION = "courses", "courses"
CHEAPEST = "academies"  # tool and action share the name
OVERHEAD_TARGET = 1.5
CONCURRENCY = 50
FLIGHT_CALLS = 500
LATENCY = 0.1  # seconds the sandbox waits in the "realistic API latency" variant


def stdio_server(sandbox_url: str, errlog: Any, **extra: str) -> Any:
    """The transport of an ``ao-mcp`` subprocess over stdio (its stderr to ``errlog``)."""
    command = ao_mcp_command()
    params = StdioServerParameters(command=command[0], args=command[1:], env=server_env(sandbox_url, **extra))
    return stdio_client(params, errlog=errlog)


class Direct:
    """The same API request as the tool sends, with httpx, and the JSON decoded."""

    def __init__(self, http: httpx.AsyncClient, token: str, action: str) -> None:
        from ao_mcp.encoding import encode_form

        self.http = http
        self.body = encode_form({"action": action, "options": {}}).encode()
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-www-form-urlencoded",
                        "Accept": "application/json"}

    async def __call__(self) -> None:
        response = await self.http.post("/api/v1/", content=self.body, headers=self.headers)
        response.raise_for_status()
        response.json()


class Tool:
    """One tool call through an MCP client; an error result is a benchmark failure."""

    def __init__(self, client: Client, name: str) -> None:
        self.client, self.name = client, name
        self.last: Any = None

    async def __call__(self) -> None:
        result = await self.client.call_tool(self.name, {})
        if result.is_error:
            raise RuntimeError(f"{self.name} failed: {result.content[0].text}")
        self.last = result


async def timed(fn: Callable[[], Awaitable[None]]) -> float:
    started = time.perf_counter()
    await fn()
    return time.perf_counter() - started


async def concurrently(fn: Callable[[], Awaitable[Any]], n: int) -> float:
    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for _ in range(n):
            group.start_soon(fn)
    return time.perf_counter() - started


async def alternate(sides: dict[str, Callable[[], Awaitable[None]]], calls: int) -> dict[str, list[float]]:
    """``calls`` timed calls of every side, one of each in turn, rotating who goes first."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for index in range(calls):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(await timed(sides[name]))
    return times


async def validation_cost(client: Client, tool: Tool, runs: int = 200) -> float:
    """Median seconds ``mcp.Client`` spends checking one result against the tool's output schema."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await client.session.validate_tool_result(tool.name, tool.last)
        samples.append(time.perf_counter() - started)
    return median(samples)


@asynccontextmanager
async def canned_client(client: Client, recorded: list[Tool], errlog: Any) -> AsyncIterator[Client]:
    """A client of ``canned_server.py`` replaying ``client``'s tool list and the last results of ``recorded``."""
    listed = await client.list_tools()
    answers = {"tools": [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in listed.tools],
               "results": {tool.name: tool.last.model_dump(mode="json", by_alias=True, exclude_none=True)
                           for tool in recorded}}
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "answers.json"
        path.write_text(json.dumps(answers))
        params = StdioServerParameters(command=sys.executable, args=[str(BENCH_DIR / "canned_server.py"), str(path)])
        async with Client(stdio_client(params, errlog=errlog)) as canned:
            yield canned


async def measure(sandbox_url: str, calls: int, rounds: int, errlog: Any) -> dict[str, Any]:
    minimal = minimal_server_command()
    minimal_params = StdioServerParameters(command=minimal[0], args=minimal[1:])
    minimal_ours = StdioServerParameters(command=minimal[0], args=[*minimal[1:], "--ao-stdio"])
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=60,
                                 limits=httpx.Limits(max_connections=100, max_keepalive_connections=100)) as http:
        token = await sandbox_token(http)
        async with Client(stdio_server(sandbox_url, errlog)) as client, \
                Client(stdio_client(minimal_params, errlog=errlog)) as baseline, \
                Client(stdio_client(minimal_ours, errlog=errlog)) as baseline_ours:
            sides: dict[str, Callable[[], Awaitable[None]]] = {
                f"mcp {TOOL}": Tool(client, TOOL),
                f"direct {TOOL}": Direct(http, token, ACTION),
                f"mcp {CHEAPEST}": Tool(client, CHEAPEST),
                f"direct {CHEAPEST}": Direct(http, token, CHEAPEST),
                "mcp ping (minimal server)": Tool(baseline, "ping"),
                "mcp ping (minimal server, ao-mcp's transport)": Tool(baseline_ours, "ping"),
            }
            await alternate(sides, 20)  # warm-up: token, connections, the first call's lazy imports
            ping = sides["mcp ping (minimal server)"]
            async with canned_client(client, [sides[f"mcp {name}"] for name in (TOOL, CHEAPEST)], errlog) as canned, \
                    canned_client(baseline, [ping], errlog) as canned_ping:
                for name in (TOOL, CHEAPEST):
                    sides[f"canned {name}"] = Tool(canned, name)
                sides["canned ping"] = Tool(canned_ping, "ping")
                await alternate({name: fn for name, fn in sides.items() if name.startswith("canned")}, 20)
                times = await alternate(sides, calls)
            validation = {name: await validation_cost(client, sides[f"mcp {name}"]) for name in (TOOL, CHEAPEST)}
            # The same comparison when the API is as slow as a real one across the internet.
            fault = {"kind": "latency", "delay": LATENCY, "count": None, "endpoint": "api"}
            (await http.post("/_sandbox/faults", json=fault)).raise_for_status()
            try:
                slow = await alternate({f"mcp {TOOL}": sides[f"mcp {TOOL}"], f"direct {TOOL}": sides[f"direct {TOOL}"]},
                                       max(10, calls // 4))
            finally:
                (await http.delete("/_sandbox/faults")).raise_for_status()
            sizes = {name: len(sides[f"mcp {name}"].last.model_dump_json(by_alias=True, exclude_none=True))
                     for name in (TOOL, CHEAPEST)}

            mcp_call, direct = sides[f"mcp {TOOL}"], sides[f"direct {TOOL}"]
            mcp_rounds: list[float] = []
            direct_rounds: list[float] = []
            await concurrently(mcp_call, CONCURRENCY)
            await concurrently(direct, CONCURRENCY)
            for index in range(rounds):
                pair = [(mcp_call, mcp_rounds), (direct, direct_rounds)]
                for fn, bucket in pair if index % 2 else pair[::-1]:
                    bucket.append(await concurrently(fn, CONCURRENCY))

            flight = await token_flight(client, http)
    return {"overhead": {"times_s": times, "client_validation_s": validation, "result_chars": sizes,
                         "with_latency_s": slow},
            "concurrency": {"mcp_round_s": mcp_rounds, "direct_round_s": direct_rounds},
            "flight": flight}


async def token_flight(client: Client, http: httpx.AsyncClient) -> dict[str, Any]:
    """500 concurrent calls that all start with an expired token."""
    await Tool(client, TOOL)()  # the server holds a valid token now
    expired = (await http.post("/_sandbox/expire-tokens")).json()["expired"]
    (await http.post("/_sandbox/reset-stats")).raise_for_status()
    failures: list[str] = []

    async def call() -> None:
        try:
            result = await client.call_tool(TOOL, {})
        except Exception as exc:  # a protocol failure counts as a failed call too
            failures.append(repr(exc))
            return
        if result.is_error:
            failures.append(result.content[0].text)

    elapsed = await concurrently(call, FLIGHT_CALLS)
    stats = (await http.get("/_sandbox/stats")).json()
    return {"calls": FLIGHT_CALLS, "expired_tokens": expired, "token_requests": stats["token_requests"],
            "api_requests": stats["api_requests"], "failed": len(failures), "failures": failures[:5],
            "elapsed_s": elapsed}


def run(sandbox_url: str, *, quick: bool = False, errlog: Any = None) -> list[Section]:
    calls, rounds = (100, 5) if quick else (400, 11)
    if errlog is None:
        errlog = sys.stderr
    data = anyio.run(measure, sandbox_url, calls, rounds, errlog)
    over, conc, flight = data["overhead"], data["concurrency"], data["flight"]
    times = over["times_s"]
    bench1 = "1. tool-call overhead"
    rows: list[Row] = []
    for tool in (TOOL, CHEAPEST):
        mine, theirs = times[f"mcp {tool}"], times[f"direct {tool}"]
        m, d, mp, dp = median(mine), median(theirs), p95(mine), p95(theirs)
        r = ratio(m, d)
        rows += [
            Row(bench1, f"one `{tool}` call, median ({calls} calls per side, alternating)", ms(m),
                f"{ms(d)} (httpx direct)", f"{r:.2f}x", f"<= {OVERHEAD_TARGET}x", verdict(r <= OVERHEAD_TARGET),
                {"mcp_s": m, "direct_s": d}),
            Row(bench1, f"one `{tool}` call, p95", ms(mp), ms(dp), f"{ratio(mp, dp):.2f}x", "reported", "",
                {"mcp_s": mp, "direct_s": dp}),
            Row(bench1, f"`{tool}`: added per call (median / p95)", f"{signed_ms(m - d)} / {signed_ms(mp - dp)}",
                "", "", "reported"),
        ]
    ping = median(times["mcp ping (minimal server)"])
    ping_ours = median(times["mcp ping (minimal server, ao-mcp's transport)"])
    canned = {tool: median(times[f"canned {tool}"]) for tool in (TOOL, CHEAPEST)}
    sdk_server = ping_ours - median(times["canned ping"])
    rows.append(Row(bench1, "SDK floor: `ping` of the one-tool MCPServer over stdio, median (the SDK's transport / "
                    "ao-mcp's)", f"{ms(ping)} / {ms(ping_ours)}", "", "", "reported"))
    for tool in (TOOL, CHEAPEST):
        m, d = median(times[f"mcp {tool}"]), median(times[f"direct {tool}"])
        rows.append(Row(bench1, f"`{tool}`: the official client's own cost for this answer (canned responder), median",
                        ms(canned[tool]), "", f"{ratio(d + canned[tool], d):.2f}x of direct, before any server work",
                        "reported"))
        rows.append(Row(bench1, f"`{tool}` against the limit of any stdio server (direct + that client cost)", ms(m),
                        ms(d + canned[tool]), f"{ratio(m, d + canned[tool]):.2f}x", "reported"))
    slow = over["with_latency_s"]
    m, d = median(slow[f"mcp {TOOL}"]), median(slow[f"direct {TOOL}"])
    rows.append(Row(bench1, f"`{TOOL}` with {LATENCY * 1000:.0f} ms of API latency (sandbox latency fault), median",
                    ms(m), f"{ms(d)} (httpx direct)", f"{ratio(m, d):.2f}x", f"<= {OVERHEAD_TARGET}x",
                    verdict(ratio(m, d) <= OVERHEAD_TARGET), {"mcp_s": m, "direct_s": d}))
    lines = ["**Where the added time of one call goes** (medians)", "",
             "| | " + " | ".join(f"`{tool}`" for tool in (TOOL, CHEAPEST)) + " |", "|---|---:|---:|"]
    added = {tool: median(times[f"mcp {tool}"]) - median(times[f"direct {tool}"]) for tool in (TOOL, CHEAPEST)}
    validation = over["client_validation_s"]
    lines.append("| added by the MCP path (tool call minus direct request) | "
                 + " | ".join(ms(added[t]) for t in (TOOL, CHEAPEST)) + " |")
    lines.append("| of which: the official client, for this answer (a canned responder replaying it: stdio round "
                 "trip, parsing, output-schema check) | " + " | ".join(ms(canned[t]) for t in (TOOL, CHEAPEST)) + " |")
    lines.append("| ... of that: `mcp.Client` checking the result against the output schema | "
                 + " | ".join(ms(validation[t]) for t in (TOOL, CHEAPEST)) + " |")
    lines.append("| of which: the SDK's server dispatch (one-tool MCPServer's `ping` on ao-mcp's transport minus its "
                 "canned replay) | " + " | ".join(ms(sdk_server) for _ in (TOOL, CHEAPEST)) + " |")
    remainder = {t: added[t] - canned[t] - sdk_server for t in (TOOL, CHEAPEST)}
    lines.append("| remainder: ao-mcp's own work (validate, shape, cap, serialise; the in-process API client) | "
                 + " | ".join(ms(remainder[t]) + (" (within noise)" if remainder[t] < 0 else "")
                              for t in (TOOL, CHEAPEST)) + " |")
    lines.append("| tool result as sent (JSON characters, content + structuredContent) | "
                 + " | ".join(f"{over['result_chars'][t]:,}" for t in (TOOL, CHEAPEST)) + " |")
    lines.append("| not paid: the SDK's own stdio transport would add (worker-thread reads and writes) | "
                 + " | ".join(ms(ping - ping_ours) for _ in (TOOL, CHEAPEST)) + " |")
    lines += ["", f"Target 1.5x means at most {ms(0.5 * median(times[f'direct {TOOL}']))} added to a `{TOOL}` call; "
              f"the official client alone spends {ms(canned[TOOL])} on that answer."]
    overhead = Section(bench1, rows, "\n".join(lines), raw=over)
    mt, dt = CONCURRENCY / median(conc["mcp_round_s"]), CONCURRENCY / median(conc["direct_round_s"])
    bench2 = "2. concurrency"
    concurrency = Section(bench2, [
        Row(bench2, f"{CONCURRENCY} concurrent `{TOOL}` calls, median of {rounds} rounds", f"{mt:.0f} calls/s",
            f"{dt:.0f} req/s (httpx direct)", f"{ratio(dt, mt):.2f}x (time)", "reported", "",
            {"mcp_per_s": mt, "direct_per_s": dt}),
        Row(bench2, f"one round of {CONCURRENCY}, median", ms(median(conc["mcp_round_s"])),
            ms(median(conc["direct_round_s"]))),
    ], raw=conc)
    bench4 = "4. token single flight"
    ok = flight["token_requests"] == 1 and flight["failed"] == 0
    single = Section(bench4, [
        Row(bench4, f"{FLIGHT_CALLS} concurrent calls after /_sandbox/expire-tokens: token requests",
            str(flight["token_requests"]), "", "", "== 1", verdict(flight["token_requests"] == 1), flight),
        Row(bench4, "failed calls", str(flight["failed"]), "", "", "== 0", verdict(flight["failed"] == 0)),
        Row(bench4, f"time for the {FLIGHT_CALLS} calls (API requests counted: {flight['api_requests']})",
            ms(flight["elapsed_s"]), "", "", "reported", ""),
    ], raw=flight)
    if not ok and flight["failures"]:
        single.detail = "Token single flight failures (first 5): " + "; ".join(flight["failures"])
    return [overhead, concurrency, single]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with sandbox_process() as sandbox:
        for section in run(sandbox.url, quick=args.quick):
            print_section(section)
            print()


if __name__ == "__main__":
    main()
