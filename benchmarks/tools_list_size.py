"""The size of the ``tools/list`` answer with all tools enabled (issue 3).

The answer is taken as the server sends it: ``ao-mcp`` is started over stdio
(credentials for a loopback address; nothing is contacted) and the raw JSON-RPC
line answering ``tools/list`` is read, in the handshake era (2025-11-25, what
most desktop clients speak) and in the current one (2026-07-28).

Two measures, in JSON characters and characters/4 as a token estimate, per tool
and in total:

- what a model sees: ``name``, ``description`` and ``inputSchema`` of each tool
  (compact JSON, as on the wire);
- the whole answer: the JSON-RPC message as sent (titles, annotations, output
  schemas, ``_meta``).

Targets: <= 6,000 estimated tokens model-facing for the 30 API tools (GitHub's
server spends about 300 per tool, Sentry's about 590), <= 15,000 for the whole
answer. Run: ``.venv/bin/python benchmarks/tools_list_size.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Row,
    Section,
    ao_mcp_command,
    clean_env,
    print_section,
    server_env,
    start_and_list_tools,
    verdict,
)

BENCH = "8. tools/list size"
MODEL_TARGET, WHOLE_TARGET = 6_000, 15_000
WEBHOOK_TOOLS = {"webhook_events", "wait_for_webhook_event"}


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def tokens(chars: int) -> int:
    return round(chars / 4)


def answers() -> dict[str, str]:
    """The raw tools/list answer line in each protocol era."""
    env = clean_env(**server_env("http://127.0.0.1:9"), AO_MCP_TOOLSETS="all")
    return {
        "2025-11-25": start_and_list_tools(ao_mcp_command(), env).tools_list_line,
        "2026-07-28": start_and_list_tools(ao_mcp_command(), env, modern=True).tools_list_line,
    }


def run() -> Section:
    lines = answers()
    legacy = json.loads(lines["2025-11-25"])
    tools = legacy["result"]["tools"]
    per_tool = []
    for tool in tools:
        model = compact({key: tool[key] for key in ("name", "description", "inputSchema") if key in tool})
        per_tool.append({"name": tool["name"], "model_chars": len(model), "whole_chars": len(compact(tool)),
                         "description_chars": len(tool.get("description", "")),
                         "input_schema_chars": len(compact(tool.get("inputSchema", {}))),
                         "output_schema_chars": len(compact(tool.get("outputSchema", {})))})
    api = [t for t in per_tool if t["name"] not in WEBHOOK_TOOLS]
    model_api = sum(t["model_chars"] for t in api)
    model_all = sum(t["model_chars"] for t in per_tool)
    whole = {era: len(line) for era, line in lines.items()}
    rows = [
        Row(BENCH, f"model-facing (name, description, inputSchema), the {len(api)} API tools",
            f"{tokens(model_api):,} tokens ({model_api:,} chars)", "GitHub ~300/tool, Sentry ~590/tool",
            f"{tokens(model_api) / len(api):.0f}/tool", f"<= {MODEL_TARGET:,}", verdict(tokens(model_api) <= MODEL_TARGET),
            {"chars": model_api, "tools": len(api)}),
        Row(BENCH, f"model-facing, all {len(per_tool)} tools (with the 2 webhook tools)",
            f"{tokens(model_all):,} tokens ({model_all:,} chars)", "", f"{tokens(model_all) / len(per_tool):.0f}/tool",
            "reported", "", {"chars": model_all, "tools": len(per_tool)}),
    ]
    for era, size in whole.items():
        rows.append(Row(BENCH, f"whole answer as sent (JSON-RPC message, {era} era), all {len(per_tool)} tools",
                        f"{tokens(size):,} tokens ({size:,} chars)", "", f"{tokens(size) / len(per_tool):.0f}/tool",
                        f"<= {WHOLE_TARGET:,}", verdict(tokens(size) <= WHOLE_TARGET), {"chars": size}))
    detail = ["**tools/list per tool** (JSON characters; tokens = characters/4)", "",
              "| tool | model-facing chars | ~tokens | description | inputSchema | outputSchema | whole entry chars | ~tokens |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for t in sorted(per_tool, key=lambda t: -t["whole_chars"]):
        detail.append(f"| {t['name']} | {t['model_chars']:,} | {tokens(t['model_chars']):,} | {t['description_chars']:,} "
                      f"| {t['input_schema_chars']:,} | {t['output_schema_chars']:,} | {t['whole_chars']:,} "
                      f"| {tokens(t['whole_chars']):,} |")
    totals = {key: sum(t[key] for t in per_tool) for key in ("model_chars", "description_chars", "input_schema_chars",
                                                               "output_schema_chars", "whole_chars")}
    detail.append(f"| **total** | {totals['model_chars']:,} | {tokens(totals['model_chars']):,} "
                  f"| {totals['description_chars']:,} | {totals['input_schema_chars']:,} "
                  f"| {totals['output_schema_chars']:,} | {totals['whole_chars']:,} | {tokens(totals['whole_chars']):,} |")
    return Section(BENCH, rows, "\n".join(detail), {"per_tool": per_tool, "whole_chars": whole, "totals": totals})


if __name__ == "__main__":
    print_section(run())
