"""The MCP Inspector's command-line mode (``@modelcontextprotocol/inspector --cli``) against the stdio server.

The Inspector is pinned in ``package.json`` (``npm ci`` in this directory
installs it); it is the TypeScript SDK's client, so this is a client this
project did not write. Skipped when it is not installed, except in CI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from .support import AO_MCP, EVENTS_URI, TOOL_COUNT, clean_env, in_ci

HERE = Path(__file__).parent
INSPECTOR = HERE / "node_modules" / ".bin" / "mcp-inspector"
PINNED = json.loads((HERE / "package.json").read_text())["dependencies"]["@modelcontextprotocol/inspector"]


@pytest.fixture(scope="module")
def inspector() -> Path:
    if not INSPECTOR.exists() or shutil.which("node") is None:
        message = f"the MCP Inspector is not installed: run `npm ci` in {HERE}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return INSPECTOR


def run(inspector: Path, tmp_path: Path, *request: str, era: str = "legacy") -> subprocess.CompletedProcess[str]:
    """One ``--cli`` invocation; the server is the venv's ``ao-mcp`` in sandbox mode, started by the Inspector."""
    # The Inspector keeps a catalog and client config under $HOME, behind a file lock: give each run its own.
    home = Path(tempfile.mkdtemp(prefix="home-", dir=tmp_path))
    env = clean_env(HOME=str(home), MCP_CATALOG_PATH=str(home / "mcp.json"),
                    MCP_CLIENT_CONFIG_PATH=str(home / "client.json"))
    argv = [str(inspector), "--cli", "--format", "json", "--quiet", "--protocol-era", era,
            "-e", "AO_MCP_SANDBOX=1", "-e", "AO_MCP_SANDBOX_ACTIVITY=0", "--cwd", str(tmp_path),
            str(AO_MCP), *request]  # the target first: --tool-arg takes every word after it
    return subprocess.run(argv, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=90)


def result(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["result"]


def test_the_installed_inspector_is_the_pinned_one_with_the_flags_used_here(inspector: Path) -> None:
    version = subprocess.run([str(inspector), "--cli", "--version"], capture_output=True, text=True, timeout=60)
    assert version.stdout.strip() == PINNED
    usage = subprocess.run([str(inspector), "--cli", "--help"], capture_output=True, text=True, timeout=60).stdout
    for flag in ("--method", "--tool-name", "--tool-arg", "--uri", "-e <env>", "--cwd", "--format",
                 "--quiet", "--protocol-era"):
        assert flag in usage, f"the Inspector's CLI no longer has {flag}"


def test_list_call_and_read_through_the_inspector(inspector: Path, tmp_path: Path) -> None:
    requests: dict[str, tuple[tuple[str, ...], str]] = {
        "tools": (("--method", "tools/list"), "legacy"),
        "call": (("--method", "tools/call", "--tool-name", "learners", "--tool-arg", "max_items=2",
                  "with_teams=true"), "legacy"),
        # The current protocol era too, with an input the server refuses.
        "bad_input": (("--method", "tools/call", "--tool-name", "learners", "--tool-arg",
                       "email=not-an-email"), "modern"),
        "resources": (("--method", "resources/list"), "legacy"),
        "read": (("--method", "resources/read", "--uri", f"{EVENTS_URI}/type/course.finished"), "legacy"),
    }
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        futures = {name: pool.submit(run, inspector, tmp_path, *args, era=era)
                   for name, (args, era) in requests.items()}
        done = {name: future.result() for name, future in futures.items()}

    tools = result(done["tools"])["tools"]
    assert len(tools) == TOOL_COUNT
    learners = next(tool for tool in tools if tool["name"] == "learners")
    assert learners["annotations"]["readOnlyHint"] is True and "max_items" in learners["inputSchema"]["properties"]

    called = result(done["call"])
    assert called["isError"] is False
    page = called["structuredContent"]
    assert page["count"] == 2 and page["truncated"] is True and all("teams" in one for one in page["learners"])
    assert json.loads(called["content"][0]["text"])["learners"] == page["learners"]

    refused = done["bad_input"]
    assert refused.returncode != 0  # the Inspector's exit code for a tool error
    assert json.loads(refused.stderr.strip().splitlines()[-1])["error"]["code"] == "tool_is_error"
    answer = json.loads(refused.stdout)["result"]
    assert answer["isError"] is True and "email: 'not-an-email' is not an email address" in answer["content"][0]["text"]

    assert EVENTS_URI in {resource["uri"] for resource in result(done["resources"])["resources"]}
    contents = result(done["read"])["contents"]
    body = json.loads(contents[0]["text"])
    assert contents[0]["mimeType"] == "application/json"
    assert body["event_type"] == "course.finished" and body["events"] == [] and body["order"] == "newest first"
