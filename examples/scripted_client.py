"""A script that uses ao-mcp through the official MCP Python client (no assistant involved).

It lists the tools, calls a few, reads the webhook event resource, then subscribes
to it and waits for the next event. By default it starts ``ao-mcp`` itself over
stdio in sandbox mode, where simulated learners produce an event every few
seconds; ``--url`` connects to a running HTTP server instead.

    python examples/scripted_client.py                      # stdio, sandbox
    python examples/scripted_client.py --legacy             # the 2025-11-25 protocol (resources/subscribe)
    python examples/scripted_client.py --url http://127.0.0.1:8000/mcp --token "$AO_MCP_HTTP_TOKEN"

Needs the ao-mcp package installed (``pip install -e .`` in this repository),
which brings the ``mcp`` client. Exits 1 if no event arrives within ``--timeout``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_types import ResourceUpdatedNotification

EVENTS = "academyocean://webhooks/events"


def data(result: Any) -> Any:
    """A tool result's JSON (``structuredContent``), or stop with the tool's error text."""
    if result.is_error:
        raise SystemExit(f"tool error: {result.content[0].text}")
    return result.structured_content


@asynccontextmanager
async def connect(args: argparse.Namespace, on_message: Any) -> AsyncIterator[Client]:
    mode = "legacy" if args.legacy else "auto"
    if args.url:
        import httpx2  # the MCP SDK's HTTP client
        from mcp.client.streamable_http import streamable_http_client

        headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
        async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300)) as http:
            async with Client(streamable_http_client(args.url, http_client=http), mode=mode,
                              message_handler=on_message) as client:
                yield client
        return
    # Launch the server as a desktop client would: a command and its environment.
    env = {"AO_MCP_SANDBOX": "1", "AO_MCP_SANDBOX_ACTIVITY": str(args.activity)}
    server = StdioServerParameters(command=sys.executable, args=["-m", "ao_mcp"], env=env)
    with open(os.devnull, "w") if args.quiet_server else open(os.dup(2), "w") as errlog:
        async with Client(stdio_client(server, errlog=errlog), mode=mode, message_handler=on_message) as client:
            yield client


async def main(args: argparse.Namespace) -> int:
    updated = anyio.Event()

    async def on_message(message: Any) -> None:  # legacy era: change notifications arrive here
        if isinstance(message, ResourceUpdatedNotification) and str(message.params.uri) == EVENTS:
            updated.set()

    async with connect(args, on_message) as client:
        info = client.server_info
        print(f"connected to {info.name if info else '?'} (protocol {client.protocol_version})")

        tools = (await client.list_tools()).tools
        print(f"{len(tools)} tools, e.g. {', '.join(tool.name for tool in tools[:5])}")

        academies = data(await client.call_tool("academies", {}))["academies"]
        print("academies:", ", ".join(academy["name"] for academy in academies))
        courses = data(await client.call_tool("courses", {"max_items": 3}))
        print(f"courses: {courses['total']}, first: {', '.join(course['name'] for course in courses['courses'])}")
        top = data(await client.call_tool("learners_with_score", {"score": 80, "operator": ">=", "max_items": 3}))
        print(f"learners scoring 80 or more: {top['total']}, e.g. "
              + ", ".join(f"{one['name']} ({one['score']})" for one in top["learners"]))

        resources = (await client.list_resources()).resources
        print("resources:", ", ".join(str(resource.uri) for resource in resources))
        before = json.loads((await client.read_resource(EVENTS)).contents[0].text)
        print(f"events kept: {before['kept']}, newest seq: {before['newest_seq']}")

        waiting = f"subscribed; waiting up to {args.timeout:g}s for the next webhook event ..."
        if args.legacy:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # resources/subscribe is the legacy era's way
                await client.subscribe_resource(EVENTS)
            print(waiting, flush=True)
            with anyio.move_on_after(args.timeout):
                await updated.wait()
        else:
            async with client.listen(resource_subscriptions=[EVENTS]) as subscription:
                print(waiting, flush=True)
                with anyio.move_on_after(args.timeout):
                    await subscription.__anext__()
        after = json.loads((await client.read_resource(EVENTS)).contents[0].text)
        new = [event for event in after["events"] if event["seq"] > (before["newest_seq"] or 0)]
        if not new:
            print("no event arrived", file=sys.stderr)
            return 1
        newest = new[0]
        one = json.loads((await client.read_resource(f"{EVENTS}/{newest['id']}")).contents[0].text)
        learner = (one["payload"].get("learner") or {}).get("email", "-")
        print(f"event seq {one['seq']}: {one['event']} (learner {learner})")
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an ao-mcp HTTP endpoint, e.g. http://127.0.0.1:8000/mcp (default: stdio)")
    parser.add_argument("--token", default=os.environ.get("AO_MCP_HTTP_TOKEN"), help="bearer token for --url")
    parser.add_argument("--legacy", action="store_true", help="speak the 2025-11-25 protocol")
    parser.add_argument("--activity", type=float, default=1.0, help="sandbox: seconds between simulated events")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for an event")
    parser.add_argument("--quiet-server", action="store_true", help="stdio: discard the server's log")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(anyio.run(main, parse()))
