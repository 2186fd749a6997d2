"""Cold start: from process start to an answered ``tools/list`` over stdio.

``ao-mcp`` (configured with credentials for the loopback sandbox, so it does no
data generation) against ``minimal_server.py``, a one-tool ``MCPServer`` on the
same SDK. The two are started alternately, each run in a fresh process with an
empty working directory, and medians are compared: the difference is the
project's own start-up work. Sandbox mode (no credentials: the simulated
academy is generated at start) is reported on its own.

Where the time goes (``--profile``, also part of ``run_all``):

- phases, timed inside a fresh process: importing the SDK, ao-mcp's modules,
  declaring the tools, building the server, rendering the tool list, entering
  the lifespan;
- ``-X importtime`` of a real ``ao-mcp`` start against the minimal server's:
  the modules only ao-mcp imports, by self time.

Target: at most 1.15x the minimal server. Run: ``.venv/bin/python benchmarks/cold_start.py [--quick] [--profile]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Row,
    Section,
    ao_mcp_command,
    clean_env,
    median,
    minimal_server_command,
    ms,
    p95,
    print_section,
    ratio,
    sandbox_process,
    server_env,
    signed_ms,
    start_and_list_tools,
    verdict,
)

TARGET = 1.15
BENCH = "3. cold start"


def measure_starts(sandbox_url: str, pairs: int, sandbox_runs: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Alternate ao-mcp and the minimal server (rotating who goes first); then sandbox-mode runs."""
    ao_env = clean_env(**server_env(sandbox_url))
    minimal_env = clean_env()
    sandbox_env = clean_env(AO_MCP_LOG_LEVEL="warning", AO_MCP_SANDBOX_ACTIVITY="0")
    # One unmeasured start of each: the first start after install pays for bytecode compilation.
    start_and_list_tools(ao_mcp_command(), ao_env)
    start_and_list_tools(minimal_server_command(), minimal_env)
    times: dict[str, list[float]] = {"ao-mcp": [], "minimal": [], "ao-mcp sandbox mode": []}
    cpu: dict[str, list[float]] = {"ao-mcp": [], "minimal": [], "ao-mcp sandbox mode": []}
    sides = [("ao-mcp", ao_mcp_command(), ao_env), ("minimal", minimal_server_command(), minimal_env)]
    for index in range(pairs):
        for name, command, env in sides if index % 2 == 0 else sides[::-1]:
            start = start_and_list_tools(command, env)
            times[name].append(start.seconds)
            cpu[name].append(start.cpu_seconds)
    for _ in range(sandbox_runs):
        start = start_and_list_tools(ao_mcp_command(), sandbox_env)
        times["ao-mcp sandbox mode"].append(start.seconds)
        cpu["ao-mcp sandbox mode"].append(start.cpu_seconds)
    return times, cpu


# --- where the time goes ----------------------------------------------------------------------------------

_PHASES = r'''
import sys, time, json
t = [("start", time.perf_counter())]
def mark(name): t.append((name, time.perf_counter()))
import mcp.server
mark("import mcp.server (the SDK; the baseline pays it too)")
from ao_mcp.config import load_settings
import ao_mcp.cli
ao_mcp.cli._parser().parse_args([])
settings = load_settings()
mark("import ao_mcp.cli, parse the command line, load_settings()")
import ao_mcp.server as srv
mark("import ao_mcp.server (and what it imports)")
server = srv.build_server(settings)
mark("build_server() (catalog, server object)")
import anyio
async def serve_once():
    low = server._lowlevel_server
    async with low.lifespan(low):
        mark("lifespan entered")
        await server.list_tools()
        mark("first list_tools()")
anyio.run(serve_once)
start_done = len(t)
server.catalog.spec("courses")
mark("(deferred to the first tool call) tool models: catalog.spec()")
import ao_mcp.client
mark("(deferred to the first tool call) import ao_mcp.client (httpx)")
print(json.dumps([(name, round((b - a) * 1000, 2), i < start_done)
                  for i, ((_, a), (name, b)) in enumerate(zip(t, t[1:]), start=1)]))
'''

_MINIMAL_PHASES = r'''
import sys, time, json
t = [("start", time.perf_counter())]
def mark(name): t.append((name, time.perf_counter()))
import mcp.server
mark("import mcp.server")
from mcp.server import MCPServer
server = MCPServer("minimal")
@server.tool()
async def ping() -> str:
    """Answer pong."""
    return "pong"
mark("MCPServer + one tool")
import anyio
async def serve_once():
    low = server._lowlevel_server
    async with low.lifespan(low):
        await server.list_tools()
        mark("lifespan + first list_tools()")
anyio.run(serve_once)
print(json.dumps([(name, round((b - a) * 1000, 2), True) for (_, a), (name, b) in zip(t, t[1:])]))
'''


def phases(scripts: list[tuple[str, dict[str, str]]], runs: int) -> list[list[tuple[str, float, bool]]]:
    """For each (script, env): median milliseconds per phase over ``runs`` fresh processes, and whether the
    phase is on the start path. The scripts run in turn, so that both sides meet the same machine."""
    collected: list[dict[str, list[float]]] = [defaultdict(list) for _ in scripts]
    on_start: dict[str, bool] = {}
    order: list[list[str]] = [[] for _ in scripts]
    with tempfile.TemporaryDirectory() as cwd:
        for _ in range(runs):
            for index, (script, env) in enumerate(scripts):
                out = subprocess.run([sys.executable, "-c", script], env=env, cwd=cwd, capture_output=True, text=True,
                                     timeout=120, check=True).stdout
                for name, value, starting in json.loads(out.strip().splitlines()[-1]):
                    if name not in collected[index]:
                        order[index].append(name)
                    collected[index][name].append(value)
                    on_start[name] = starting
    return [[(name, median(collected[index][name]), on_start[name]) for name in order[index]]
            for index in range(len(scripts))]


def import_times(command: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    """Median self time (ms) per module imported during a real start, from ``-X importtime``."""
    collected: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        with tempfile.TemporaryFile() as err:
            start_and_list_tools(command, {**env, "PYTHONPROFILEIMPORTTIME": "1"}, stderr=err)
            err.seek(0)
            for raw in err.read().decode(errors="replace").splitlines():
                if not raw.startswith("import time:") or "self [us]" in raw:
                    continue
                self_us, _cumulative, name = raw.split(":", 1)[1].split("|", 2)
                collected[name.strip()].append(int(self_us) / 1000)
    return {name: median(values) for name, values in collected.items()}


def profile(sandbox_url: str, runs: int) -> tuple[str, dict[str, Any]]:
    """Markdown and raw figures saying where ao-mcp's start-up time goes."""
    ao_env = clean_env(**server_env(sandbox_url))
    ours, base = phases([(_PHASES, ao_env), (_MINIMAL_PHASES, clean_env())], runs)
    ao_imports = import_times(ao_mcp_command(), ao_env, max(1, runs // 2))
    minimal_imports = import_times(minimal_server_command(), clean_env(), max(1, runs // 2))
    only_ours = {name: value for name, value in ao_imports.items() if name not in minimal_imports}
    by_package: dict[str, float] = defaultdict(float)
    for name, value in only_ours.items():
        by_package[name.split(".")[0]] += value
    top = sorted(only_ours.items(), key=lambda item: -item[1])[:15]

    lines = [f"**Where ao-mcp's start-up time goes** (median of {runs} fresh processes per phase)", "",
             "| phase (ao-mcp) | ms |", "|---|---:|"]
    starting = [(name, value) for name, value, start in ours if start]
    lines += [f"| {name} | {value:.1f} |" for name, value in starting]
    sdk = starting[0][1] if starting else 0.0
    own = sum(value for _, value in starting[1:])
    lines += [f"| **ao-mcp's own start-up work (all but the SDK import)** | **{own:.1f}** |"]
    lines += [f"| {name} | {value:.1f} |" for name, value, start in ours if not start]
    lines += ["", "| phase (minimal server) | ms |", "|---|---:|"]
    lines += [f"| {name} | {value:.1f} |" for name, value, _ in base]
    theirs = sum(value for _, value, _ in base[1:])
    lines += [f"| **its work after the SDK import** | **{theirs:.1f}** |", "",
              f"In-process difference after the SDK import: **{own - theirs:+.1f} ms** (ao-mcp {own:.1f} ms, "
              f"minimal {theirs:.1f} ms)."]
    lines += ["", f"**Modules only ao-mcp imports** (`-X importtime` of a real start, self time; the profiler "
              f"inflates absolute figures): {len(only_ours)} modules, {sum(only_ours.values()):.0f} ms in total", "",
              "| package | ms |", "|---|---:|"]
    lines += [f"| {name} | {value:.1f} |" for name, value in sorted(by_package.items(), key=lambda i: -i[1])[:10]]
    lines += ["", "| module (top 15 by self time) | ms |", "|---|---:|"]
    lines += [f"| {name} | {value:.1f} |" for name, value in top]
    raw = {"own_start_work_ms": own, "minimal_start_work_ms": theirs, "phases_ms": ours, "minimal_phases_ms": base,
           "sdk_import_ms": sdk,
           "imports_only_ao_mcp_ms": dict(sorted(only_ours.items(), key=lambda i: -i[1])),
           "imports_only_ao_mcp_by_package_ms": dict(by_package)}
    return "\n".join(lines), raw


def run(sandbox_url: str, *, quick: bool = False, with_profile: bool = True) -> Section:
    pairs, sandbox_runs = (5, 3) if quick else (25, 7)
    times, cpu = measure_starts(sandbox_url, pairs, sandbox_runs)
    ours, base, sand = (median(times[k]) for k in ("ao-mcp", "minimal", "ao-mcp sandbox mode"))
    ours_cpu, base_cpu = median(cpu["ao-mcp"]), median(cpu["minimal"])
    r = ratio(ours, base)
    rows = [
        Row(BENCH, "start -> tools/list answered, median (stdio; credentials, no sandbox)", ms(ours),
            f"{ms(base)} (one-tool MCPServer)", f"{r:.2f}x", f"<= {TARGET}x", verdict(r <= TARGET),
            {"ours_s": times["ao-mcp"], "baseline_s": times["minimal"]}),
        Row(BENCH, "p95 of the same runs", ms(p95(times["ao-mcp"])), ms(p95(times["minimal"])),
            f"{ratio(p95(times['ao-mcp']), p95(times['minimal'])):.2f}x"),
        Row(BENCH, "added by ao-mcp (median difference)", signed_ms(ours - base), "", "", f"<= +{ms(base * (TARGET - 1))}"),
        Row(BENCH, "CPU time the server used until it answered (all threads; steadier on a busy machine), median",
            ms(ours_cpu), ms(base_cpu), f"{ratio(ours_cpu, base_cpu):.2f}x", "reported", "",
            {"ours_s": cpu["ao-mcp"], "baseline_s": cpu["minimal"]}),
        Row(BENCH, "sandbox mode (no credentials: 200-learner academy generated), median", ms(sand),
            ms(base), f"{ratio(sand, base):.2f}x", "reported", "", {"sandbox_s": times["ao-mcp sandbox mode"]}),
    ]
    detail, raw = ("", {})
    if with_profile:
        detail, raw = profile(sandbox_url, 3 if quick else 5)
    return Section(BENCH, rows, detail, {"runs": pairs, "times_s": times, "cpu_s": cpu, "profile": raw})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    with sandbox_process() as sandbox:
        started = time.perf_counter()
        section = run(sandbox.url, quick=args.quick, with_profile=not args.no_profile)
    print_section(section)
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
