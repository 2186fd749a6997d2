"""An agent framework calling the stdio server: Pydantic AI's ``MCPToolset`` with a scripted model.

Pydantic AI (``pydantic-ai-slim[mcp]``) reaches MCP servers through the
FastMCP client, which requires ``mcp>=2.3,<3``: it installs next to this
project. ``FunctionModel`` stands in for the LLM, so the test decides which
tool calls the "model" makes and checks what the framework hands back. Skipped
when Pydantic AI is not installed, except in CI.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from .support import AO_MCP, TOOL_COUNT, in_ci

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def pai() -> SimpleNamespace:
    """Pydantic AI's names, imported here rather than at collection (they take a second and a half)."""
    try:
        from fastmcp.client import Client as FastMCPClient
        from fastmcp.client.transports import StdioTransport
        from pydantic_ai import Agent
        from pydantic_ai.mcp import MCPToolset
        from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart, ToolReturnPart
        from pydantic_ai.models.function import FunctionModel
    except ImportError as missing:
        if in_ci():
            pytest.fail(f"{missing}: the test extra must include pydantic-ai-slim[mcp]")
        pytest.skip(f"Pydantic AI is not installed ({missing})")
    return SimpleNamespace(**{name: value for name, value in locals().items() if name[0].isupper()})


class Script:
    """The "model": look a learner up with a bad email, correct it, then answer with what the tool returned."""

    def __init__(self, pai: SimpleNamespace) -> None:
        self.pai = pai
        self.tools_offered: list[str] = []
        self.errors_seen: list[str] = []
        self.results_seen: list[Any] = []

    def __call__(self, messages: list[Any], info: Any) -> Any:
        pai = self.pai
        self.tools_offered = [tool.name for tool in info.function_tools]
        returns = [part for message in messages for part in getattr(message, "parts", [])
                   if isinstance(part, pai.ToolReturnPart)]
        if not returns:
            return pai.ModelResponse(parts=[pai.ToolCallPart("learners", {"email": "not-an-email"})])
        last = returns[-1]
        if last.outcome != "success":  # the framework hands a tool error back for the model to correct
            self.errors_seen.append(str(last.content))
            return pai.ModelResponse(parts=[pai.ToolCallPart(
                "learners_from_country", {"country_iso_code": "ES", "max_items": 2})])
        self.results_seen.append(last.content)
        found = last.content
        return pai.ModelResponse(parts=[pai.TextPart(f"{found['count']} of {found['total']} learners are in Spain.")])


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_pydantic_ai_agent_calls_tools_over_stdio(pai: SimpleNamespace, tmp_path: Path, mode: str) -> None:
    transport = pai.StdioTransport(str(AO_MCP), [], env={"AO_MCP_SANDBOX": "1", "AO_MCP_SANDBOX_ACTIVITY": "0"},
                                   cwd=str(tmp_path), log_file=tmp_path / "stderr.log", keep_alive=False)
    script = Script(pai)
    client = pai.FastMCPClient(transport, mode=mode)
    agent = pai.Agent(pai.FunctionModel(script), toolsets=[pai.MCPToolset(client)])
    async with agent:
        run = await agent.run("How many learners are in Spain?")
        era = client.protocol_version
    assert (era == "2025-11-25") if mode == "legacy" else (era is not None and era > "2026")
    assert len(script.tools_offered) == TOOL_COUNT and "learners_from_country" in script.tools_offered
    # The server's validation message reached the model, which could then correct its call.
    assert any("email: 'not-an-email' is not an email address" in error for error in script.errors_seen)
    found = script.results_seen[-1]
    assert found["count"] == 2 and found["total"] > 2
    assert all(one["country_iso_code"] == "ES" for one in found["learners"])
    assert run.output == f"2 of {found['total']} learners are in Spain."
    assert "Sandbox mode" in (tmp_path / "stderr.log").read_text()
