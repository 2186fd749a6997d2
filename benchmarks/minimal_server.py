"""The baseline: a minimal ``MCPServer`` with one tool, on the same SDK, over stdio.

What any Python MCP server on this SDK pays before it can answer ``tools/list``
(interpreter start, importing the SDK, the stdio loop), and what one tool call
costs on it. ``ao-mcp`` is compared with it, so the difference is the project's
own work. With ``--ao-stdio`` it is served by ao-mcp's stdio transport instead of
the SDK's, which separates what the transport costs from the SDK's dispatch.
"""

import sys

from mcp.server import MCPServer

server = MCPServer("minimal")


@server.tool()
async def ping() -> str:  # async, like ao-mcp's handler: a sync tool would add a worker-thread hop
    """Answer pong."""
    return "pong"


if __name__ == "__main__":
    if "--ao-stdio" in sys.argv:
        import anyio

        from ao_mcp.stdio import serve_stdio

        anyio.run(serve_stdio, server)
    else:
        server.run("stdio")
