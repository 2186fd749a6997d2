"""Run every benchmark in one go; print one table and write it to ``benchmarks/results/latest.md`` (+ ``.json``).

Each comparison runs both sides in this one run, alternating, and reports medians
(p95 where asked) and ratios (ours / baseline, in time: higher is slower):

1. tool-call overhead and 2. concurrency and 4. token single flight (``tool_call.py``),
3. cold start (``cold_start.py``, with where the time goes),
5. webhook ingest against a bare route (``webhook_ingest.py``),
6. a 100,000-learner academy (``large_academy.py``),
7. memory (``memory.py``),
8. the size of ``tools/list`` (``tools_list_size.py``).

Everything runs on loopback against the sandbox. A full run takes about 4-5
minutes on a 2-core machine, ``--quick`` (fewer rounds, noisier) under 2. Run:
``.venv/bin/python benchmarks/run_all.py [--quick] [--only 1,3,8]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cold_start  # noqa: E402
import large_academy  # noqa: E402
import memory  # noqa: E402
import tool_call  # noqa: E402
import tools_list_size  # noqa: E402
import webhook_ingest  # noqa: E402
from _common import Row, Section, machine, sandbox_process, table, verdict  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
INGEST_TARGET = 0.70  # webhook_ingest.py: the memory store at >= 70% of the bare route (wall-clock req/s)


def ingest(quick: bool) -> Section:
    """Benchmark 5 through ``webhook_ingest.measure``: req/s and server CPU per request, against the bare route."""
    rounds, per_round, senders = (3, 500, 8) if quick else (5, 2000, 8)
    results = webhook_ingest.measure(rounds, per_round, senders)
    bench = "5. webhook ingest"
    med = {name: (statistics.median(data["rps"]), statistics.median(data["cpu_us"])) for name, data in results.items()}
    bare_rps, bare_cpu = med["bare"]
    rows = [Row(bench, f"bare route (HTTP stack only), {senders} senders, median of {rounds} x {per_round}",
                f"{bare_rps:.0f} req/s, {bare_cpu:.0f} us CPU/req")]
    for name, label in (("memory", "memory store"), ("sqlite", "SQLite store (synchronous=FULL)"),
                        ("memory-nobus", "memory store, no subscription bus")):
        rps, cpu = med[name]
        share = rps / bare_rps
        target, ok = ("reported", "")
        if name == "memory":
            target, ok = f">= {INGEST_TARGET:.0%} of bare", verdict(share >= INGEST_TARGET)
        rows.append(Row(bench, f"{label}: throughput (server CPU per request)", f"{rps:.0f} req/s ({cpu:.0f} us)",
                        f"{bare_rps:.0f} req/s ({bare_cpu:.0f} us) bare",
                        f"{bare_rps / rps:.2f}x ({share:.0%} of bare); CPU {cpu / bare_cpu:.2f}x "
                        f"({bare_cpu / cpu:.0%} of bare capacity)", target, ok, {"rps": rps, "cpu_us": cpu}))
    return Section(bench, rows, raw=results)


def rounded(value: object) -> object:
    """Raw figures for the JSON file, floats to 6 significant digits (the noise is far larger)."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item) for item in value]
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run; figures are noisier)")
    parser.add_argument("--only", default="", help="comma-separated benchmark numbers, e.g. 1,3,8 (default: all)")
    parser.add_argument("--out", default=str(RESULTS), help="directory for latest.md and latest.json")
    args = parser.parse_args()
    only = {int(part) for part in args.only.split(",") if part.strip()}
    wanted = lambda *numbers: not only or bool(only & set(numbers))  # noqa: E731

    started = time.perf_counter()
    sections: list[Section] = []
    timings: dict[str, float] = {}
    errlog = tempfile.NamedTemporaryFile("w+", prefix="ao-mcp-bench-", suffix=".log", delete=False)  # noqa: SIM115

    def step(name: str, fn: Callable[[], Section | list[Section]]) -> None:
        print(f"-- {name} ...", file=sys.stderr, flush=True)
        begun = time.perf_counter()
        produced = fn()
        sections.extend(produced if isinstance(produced, list) else [produced])
        timings[name] = time.perf_counter() - begun
        print(f"   {name}: {timings[name]:.0f} s", file=sys.stderr, flush=True)

    with sandbox_process() as sandbox:
        if wanted(8):
            step("8 tools/list size", tools_list_size.run)
        if wanted(3):
            step("3 cold start", lambda: cold_start.run(sandbox.url, quick=args.quick))
        if wanted(1, 2, 4):
            step("1, 2, 4 tool calls", lambda: tool_call.run(sandbox.url, quick=args.quick, errlog=errlog))
        if wanted(7):
            step("7 memory", lambda: memory.run(sandbox.url, quick=args.quick, errlog=errlog))
    if wanted(5):
        step("5 webhook ingest", lambda: ingest(args.quick))
    if wanted(6):
        step("6 large academy", lambda: large_academy.run(quick=args.quick, errlog=errlog))
    elapsed = time.perf_counter() - started

    sections.sort(key=lambda section: int(section.name.split(".")[0]))
    rows = [row for section in sections for row in section.rows]
    info = machine()
    header = (f"Machine: {info['cpu']}, {info['cpus']} CPUs, {info['memory']} RAM, {info['os']}; Python {info['python']}, "
              f"mcp {info['mcp']}, ao-mcp {info['ao-mcp']} at {info['commit']}; {info['date']}. "
              f"Run: `benchmarks/run_all.py{' --quick' if args.quick else ''}` in {elapsed:.0f} s.")
    verdicts = [row for row in rows if row.verdict]
    summary = (f"Targets: {sum(row.verdict == 'met' for row in verdicts)} met, "
               f"{sum(row.verdict == 'MISSED' for row in verdicts)} missed"
               + "".join(f"; MISSED: {row.bench} - {row.metric}" for row in verdicts if row.verdict == "MISSED") + ".")
    markdown = "\n\n".join(
        ["# ao-mcp benchmarks", header, "Ratios are ours / baseline in time (higher is slower).", table(rows), summary,
         *[section.detail for section in sections if section.detail]]
    ) + "\n"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.md").write_text(markdown)
    (out / "latest.json").write_text(json.dumps(rounded(
        {"machine": info, "quick": args.quick, "elapsed_s": elapsed, "step_s": timings,
         "sections": [section.as_dict() for section in sections]}), indent=1, default=str) + "\n")
    print(f"Written to {out / 'latest.md'} and latest.json; server logs in {errlog.name}", file=sys.stderr)
    print(markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
