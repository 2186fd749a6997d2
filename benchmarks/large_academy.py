"""A large academy: the ``learners`` tool on a 100,000-learner sandbox.

The sandbox (``ao-mcp sandbox --learners 100000``) answers ``action=learners``
with every learner (about 45 MB of JSON); the tool must decode it, cap it to
``max_items`` and to the context budget ``AO_MCP_MAX_RESULT_CHARS`` (default
40,000 characters), and answer. Alternating with the same request made directly
with httpx (JSON decoded), medians are compared; the server process's peak
resident size (VmHWM) is read from /proc; the answer's size is checked against
the budget, for the default call and for ``max_items=1000`` (where the budget,
not the item cap, must cut). Run: ``.venv/bin/python benchmarks/large_academy.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Row,
    Section,
    child_pids,
    median,
    ms,
    print_section,
    proc_status_mb,
    ratio,
    sandbox_process,
    sandbox_token,
    verdict,
)
from tool_call import Direct, Tool, stdio_server  # noqa: E402

BENCH = "6. large academy"
LEARNERS = 100_000
BUDGET = 40_000  # the default AO_MCP_MAX_RESULT_CHARS


def structured_chars(result: Any) -> int:
    return len(json.dumps(result.structured_content, ensure_ascii=False, separators=(",", ":")))


async def measure(sandbox_url: str, sandbox_pid: int, calls: int, errlog: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=300) as http:
        direct = Direct(http, await sandbox_token(http), "learners")
        async with Client(stdio_server(sandbox_url, errlog)) as client:
            pids = [pid for pid in child_pids("ao-mcp") if pid != sandbox_pid]
            server_pid = pids[0] if len(pids) == 1 else None
            idle = proc_status_mb(server_pid) if server_pid else {}
            await Tool(client, "academies")()  # token and lazy imports, before the big answers
            after_small_call = proc_status_mb(server_pid) if server_pid else {}
            tool = Tool(client, "learners")
            started = time.perf_counter()
            await direct()  # the sandbox builds and caches its 45 MB answer once; not measured
            first_direct = time.perf_counter() - started
            mcp_times: list[float] = []
            direct_times: list[float] = []
            for index in range(calls):
                pair = [(tool, mcp_times), (direct, direct_times)]
                for fn, bucket in pair if index % 2 else pair[::-1]:
                    started = time.perf_counter()
                    await fn()
                    bucket.append(time.perf_counter() - started)
            default = tool.last
            big = await client.call_tool("learners", {"max_items": 1000})
            if big.is_error:
                raise RuntimeError(big.content[0].text)
            peak = proc_status_mb(server_pid) if server_pid else {}
    return {
        "mcp_s": mcp_times, "direct_s": direct_times, "sandbox_first_answer_s": first_direct,
        "server_rss_idle_mb": idle.get("VmRSS"), "server_rss_after_small_call_mb": after_small_call.get("VmRSS"),
        "server_rss_after_mb": peak.get("VmRSS"), "server_peak_rss_mb": peak.get("VmHWM"),
        "default": {"chars": structured_chars(default), "count": default.structured_content["count"],
                    "total": default.structured_content["total"],
                    "wire_chars": len(default.model_dump_json(by_alias=True, exclude_none=True))},
        "max_items_1000": {"chars": structured_chars(big), "count": big.structured_content["count"],
                           "text_chars": len(big.content[0].text),
                           "wire_chars": len(big.model_dump_json(by_alias=True, exclude_none=True))},
    }


def run(*, quick: bool = False, errlog: Any = None) -> Section:
    calls = 3 if quick else 7
    started = time.perf_counter()
    with sandbox_process(LEARNERS) as sandbox:
        ready = time.perf_counter() - started
        data = anyio.run(measure, sandbox.url, sandbox.pid, calls, errlog or sys.stderr)
    data["sandbox_ready_s"] = ready
    m, d = median(data["mcp_s"]), median(data["direct_s"])
    default, big = data["default"], data["max_items_1000"]
    peak = data["server_peak_rss_mb"]
    rows = [
        Row(BENCH, f"`learners` on {LEARNERS:,} learners (45 MB answer), median of {calls}", ms(m),
            f"{ms(d)} (httpx direct + JSON decode)", f"{ratio(m, d):.2f}x", "reported", "",
            {"mcp_s": m, "direct_s": d}),
        Row(BENCH, "server peak RSS (VmHWM) / idle RSS", f"{peak:.0f} MB / {data['server_rss_idle_mb']:.0f} MB"
            if peak else "n/a", "", "", "reported"),
        Row(BENCH, f"answer size, default call ({default['count']} of {default['total']:,} learners)",
            f"{default['chars']:,} chars", "", "", f"<= {BUDGET:,}", verdict(default["chars"] <= BUDGET)),
        Row(BENCH, f"answer size, max_items=1000 (budget cuts to {big['count']} learners)",
            f"{big['chars']:,} chars", "", "", f"<= {BUDGET:,}", verdict(big["chars"] <= BUDGET)),
    ]
    detail = (f"Large academy: sandbox with {LEARNERS:,} learners ready in {ready:.1f} s; its first (uncached) answer "
              f"took {data['sandbox_first_answer_s']:.1f} s. The tool result on the wire (text content + "
              f"structuredContent) is {default['wire_chars']:,} chars for the default call and "
              f"{big['wire_chars']:,} for max_items=1000 (the budget applies to one JSON copy; the result carries it "
              f"twice, as text and as structured content).")
    return Section(BENCH, rows, detail, data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print_section(run(quick=args.quick))


if __name__ == "__main__":
    main()
