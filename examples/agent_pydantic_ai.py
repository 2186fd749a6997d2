"""An agent that uses ao-mcp's tools through Pydantic AI (https://ai.pydantic.dev).

Pydantic AI connects to MCP servers with ``MCPToolset``; here it launches
``ao-mcp`` over stdio, as a desktop client would. Install it next to ao-mcp:

    pip install 'pydantic-ai-slim[mcp]'                  # requires mcp>=2.3,<3, as ao-mcp does

Without ``--model`` the "model" is a small script (Pydantic AI's ``FunctionModel``)
that makes the tool calls itself, so this runs offline and free; the output shows
what a real model would be given. With a real model (and its API key and
provider package, e.g. ``pip install 'pydantic-ai-slim[anthropic]'``):

    python examples/agent_pydantic_ai.py                                   # scripted, sandbox
    python examples/agent_pydantic_ai.py --model anthropic:claude-sonnet-4-5 \\
        "Which learners scored 80 or more, and in which countries are they?"

The server runs in sandbox mode unless ``--real`` is given, in which case it
uses ACADEMYOCEAN_CLIENT_ID / ACADEMYOCEAN_CLIENT_SECRET from the environment.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import anyio
from fastmcp.client import Client as FastMCPClient
from fastmcp.client.transports import StdioTransport
from pydantic_ai import Agent
from pydantic_ai.mcp import MCPToolset
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

QUESTION = "Which learners scored 80 or more, and in which countries are they?"


def scripted(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """A stand-in model: call ``learners_with_score`` (fixing a bad first attempt), then summarise."""
    returns = [part for message in messages for part in getattr(message, "parts", [])
               if isinstance(part, ToolReturnPart)]
    if not returns:
        print(f"model: {len(info.function_tools)} tools offered; calling learners_with_score with a typo")
        return ModelResponse(parts=[ToolCallPart("learners_with_score", {"score": 80, "operator": "at least"})])
    last = returns[-1]
    if last.outcome != "success":
        print(f"model: the tool answered with an error:\n  {last.content}\nmodel: retrying with operator '>='")
        fixed = {"score": 80, "operator": ">=", "max_items": 5}
        return ModelResponse(parts=[ToolCallPart("learners_with_score", fixed)])
    found: dict[str, Any] = last.content
    countries = sorted({one["country"] for one in found["learners"] if one.get("country")})
    names = ", ".join(f"{one['name']} ({one['score']})" for one in found["learners"])
    return ModelResponse(parts=[TextPart(
        f"{found['total']} learners scored 80 or more; the first {found['count']}: {names}; "
        f"from {', '.join(countries)}."
    )])


async def main(args: argparse.Namespace) -> int:
    env = {"AO_MCP_LOG_LEVEL": "warning"}
    if args.real:
        env.update({key: os.environ[key] for key in os.environ if key.startswith(("ACADEMYOCEAN_", "AO_MCP_"))})
    else:
        env.update({"AO_MCP_SANDBOX": "1", "AO_MCP_SANDBOX_ACTIVITY": "0"})
    server = StdioTransport(sys.executable, ["-m", "ao_mcp"], env=env, keep_alive=False)
    # A read-only pipeline could also start the server with AO_MCP_READ_ONLY=1 or AO_MCP_TOOLSETS=learners.
    toolset = MCPToolset(FastMCPClient(server, mode="legacy" if args.legacy else "auto"))
    model: Any = args.model or FunctionModel(scripted)
    agent = Agent(model, toolsets=[toolset],
                  instructions="Answer questions about the AcademyOcean academy with the tools provided.")
    async with agent:
        result = await agent.run(args.question)
    calls = [part for message in result.all_messages() for part in getattr(message, "parts", [])
             if isinstance(part, ToolCallPart)]
    print("tool calls:", ", ".join(f"{call.tool_name}({call.args_as_json_str()})" for call in calls))
    print("answer:", result.output)
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("question", nargs="?", default=QUESTION)
    parser.add_argument("--model",
                        help="a Pydantic AI model name, e.g. anthropic:claude-sonnet-4-5 (default: scripted)")
    parser.add_argument("--real", action="store_true", help="use your academy (credentials from the environment)")
    parser.add_argument("--legacy", action="store_true", help="speak the 2025-11-25 protocol")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(anyio.run(main, parse()))
