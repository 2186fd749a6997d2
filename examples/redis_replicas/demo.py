"""Check a two-replica deployment: a webhook posted to replica A reaches a client of replica B.

    python examples/redis_replicas/demo.py --a http://127.0.0.1:8001 --b http://127.0.0.1:8002

It subscribes to the event list on B (``subscriptions/listen``), posts one
signed event to A's webhook route, waits for B's notification, reads the event
back from B, calls an API tool on both replicas, and, when the sandbox serves
as the API, prints how many token requests the replicas made (1 with the
shared token cache). The webhook secret is ``ACADEMYOCEAN_WEBHOOK_SECRET`` from
the environment, as the replicas have it. Exits 1 if anything does not arrive
within ``--timeout`` seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid

import anyio
import httpx
from mcp import Client

from ao_mcp.webhooks import sign

EVENTS_URI = "academyocean://webhooks/events"


async def main(args: argparse.Namespace) -> int:
    secret = os.environ.get("ACADEMYOCEAN_WEBHOOK_SECRET")
    if not secret:
        print("Set ACADEMYOCEAN_WEBHOOK_SECRET (e.g. set -a; . examples/redis_replicas/replica.env; set +a)")
        return 1
    event = {
        "id": f"demo-{uuid.uuid4().hex[:12]}",
        "event": "quiz.finished",
        "learner": {"email": "jane@example.com", "full_name": "Jane Doe"},
        "quiz": {"id": "final-quiz", "score": 92},
    }
    body = json.dumps(event).encode()
    with anyio.fail_after(args.timeout):
        async with Client(f"{args.b}/mcp") as on_b, Client(f"{args.a}/mcp") as on_a, httpx.AsyncClient() as http:
            async with on_b.listen(resource_subscriptions=[EVENTS_URI]) as subscription:
                started = time.perf_counter()
                response = await http.post(
                    f"{args.a}/webhooks/academyocean", content=body, headers={"Signature": sign(body, secret)}
                )
                print(f"POST to A: {response.status_code} {response.text}")
                if response.status_code != 200:
                    return 1
                async for update in subscription:
                    print(f"B's client was notified after {1000 * (time.perf_counter() - started):.1f} ms: {update.uri}")
                    break
            read = await on_b.read_resource(f"{EVENTS_URI}/{event['id']}")
            stored = json.loads(read.contents[0].text)  # type: ignore[union-attr]
            print(f"read from B: seq {stored['seq']}, {stored['event']}, score {stored['payload']['quiz']['score']}")
            for name, client in (("A", on_a), ("B", on_b)):
                result = await client.call_tool("academies", {})
                print(f"academies via {name}: {'error' if result.is_error else 'ok'}")
            if args.sandbox:
                try:
                    stats = (await http.get(f"{args.sandbox}/_sandbox/stats")).json()
                    print(f"token requests the sandbox saw: {stats['token_requests']}")
                except (httpx.HTTPError, ValueError, KeyError):
                    print(f"(no sandbox stats at {args.sandbox})")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", default="http://127.0.0.1:8001", help="replica A's base URL")
    parser.add_argument("--b", default="http://127.0.0.1:8002", help="replica B's base URL")
    parser.add_argument("--sandbox", default="http://127.0.0.1:8765", help="the sandbox API's base URL ('' for none)")
    parser.add_argument("--timeout", type=float, default=20.0)
    try:
        sys.exit(anyio.run(main, parser.parse_args()))
    except TimeoutError:
        print("timed out")
        sys.exit(1)
