"""Replay AcademyOcean's documented webhook samples against a running ao-mcp receiver.

Each sample (one JSON file per event type) is encoded as AcademyOcean sends it,
signed as AcademyOcean signs it, posted, and the receiver's answer reported:

    Signature: hex(HMAC-SHA256(secret, raw request body))

Use it to try the receiver and an assistant's reaction to events without an
academy on a paid plan. Standard library only.

    # the HTTP transport (receiver on the same port as /mcp) ...
    ACADEMYOCEAN_WEBHOOK_SECRET=s3cret ao-mcp --transport http --port 8000
    python examples/webhook_replay.py --url http://127.0.0.1:8000/webhooks/academyocean --secret s3cret

    # ... or a stdio server with its own receiver port: AO_MCP_WEBHOOK_PORT=8080

Exit status: 0 when every post was answered 2xx, 1 otherwise, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

DEFAULT_SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "webhooks" / "samples"
DEFAULT_URL = "http://127.0.0.1:8080/webhooks/academyocean"


def encode(payload: dict[str, Any]) -> bytes:
    """The body as AcademyOcean's PHP ``json_encode`` writes it: compact, ASCII, ``\\/`` for slashes."""
    return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def post(url: str, body: bytes, signature: str | None, timeout: float) -> tuple[int, str]:
    """POST ``body``; the HTTP status and the answer's text (also for 4xx/5xx answers)."""
    headers = {"Content-Type": "application/json", "User-Agent": "ao-mcp-webhook-replay"}
    if signature is not None:
        headers["Signature"] = signature
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def describe(status: int, text: str) -> str:
    try:
        answer = json.loads(text)
    except ValueError:
        return text.strip()[:80]
    if not isinstance(answer, dict):
        return text.strip()[:80]
    if "status" in answer:
        return f"{answer['status']} seq={answer.get('seq')}"
    return str(answer.get("error", answer))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the receiver (default {DEFAULT_URL})")
    parser.add_argument("--secret", default=os.environ.get("ACADEMYOCEAN_WEBHOOK_SECRET"),
                        help="the webhook secret (default: $ACADEMYOCEAN_WEBHOOK_SECRET)")
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES,
                        help="directory of <event>.json samples (default: the documentation's, "
                             "in tests/webhooks/samples)")
    parser.add_argument("--event", action="append", default=[], help="only this event type (repeatable)")
    parser.add_argument("--fresh-ids", action="store_true",
                        help="give each payload a new id, so a receiver that saw them before stores them again")
    parser.add_argument("--unsigned", action="store_true", help="send no Signature header (expect 401)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    args = parser.parse_args(argv)

    if not args.unsigned and not args.secret:
        parser.error("--secret (or ACADEMYOCEAN_WEBHOOK_SECRET) is required, unless --unsigned")
    files = sorted(args.samples.glob("*.json"))
    if args.event:
        files = [path for path in files if path.stem in args.event]
    if not files:
        parser.error(f"no samples{' for ' + ', '.join(args.event) if args.event else ''} in {args.samples}")

    failed = 0
    for path in files:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if args.fresh_ids:
            payload["id"] = str(uuid.uuid4())
        body = encode(payload)
        try:
            status, text = post(args.url, body, None if args.unsigned else sign(body, args.secret), args.timeout)
        except OSError as error:  # refused, unreachable, timed out
            print(f"{path.name:<40} ---  {getattr(error, 'reason', error)}")
            failed += 1
            continue
        failed += not 200 <= status < 300
        print(f"{path.name:<40} {status}  {describe(status, text)}")
    print(f"{len(files) - failed} of {len(files)} accepted by {args.url}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
