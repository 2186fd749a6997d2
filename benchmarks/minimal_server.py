"""The cold-start baseline: a minimal ``MCPServer`` with one tool, on the same SDK, over stdio.

What any Python MCP server on this SDK pays before it can answer ``tools/list``
(interpreter start, importing the SDK, the stdio loop). ``ao-mcp`` is compared
with it, so the difference is the project's own start-up work.
"""

from mcp.server import MCPServer

server = MCPServer("minimal")


@server.tool()
def ping() -> str:
    """Answer pong."""
    return "pong"


if __name__ == "__main__":
    server.run("stdio")
