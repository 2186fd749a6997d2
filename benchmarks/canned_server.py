"""The limit of any stdio MCP server: a responder that replays recorded answers, with no SDK and no work.

``python canned_server.py answers.json`` answers ``initialize`` (echoing the
client's protocol version), ``tools/list`` with the recorded tools and
``tools/call`` with the recorded result for that tool, byte for byte the same
each time, from a blocking loop over stdin. What a tool call to it costs is
what the official client itself spends on that answer: the stdio round trip,
parsing the JSON-RPC message into its models, and checking ``structuredContent``
against the tool's output schema. No server, however fast, can answer below it.

``answers.json``: ``{"tools": [<Tool as listed>], "results": {"<tool>": <CallToolResult>}}``.
"""

from __future__ import annotations

import json
import sys


def main(path: str) -> None:
    answers = json.loads(open(path, encoding="utf-8").read())
    # Serialised once: answering a call is a lookup and a write.
    results = {name: json.dumps(result).encode() for name, result in answers["results"].items()}
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    for line in stdin:
        message = json.loads(line)
        if "id" not in message:
            continue  # a notification
        method, params = message.get("method"), message.get("params") or {}
        if method == "tools/call" and params.get("name") in results:
            result = results[params["name"]]
        elif method == "initialize":
            result = json.dumps({"protocolVersion": params["protocolVersion"], "capabilities": {"tools": {}},
                                 "serverInfo": {"name": "canned", "version": "1"}}).encode()
        elif method == "tools/list":
            result = json.dumps({"tools": answers["tools"]}).encode()
        elif method == "ping":
            result = b"{}"
        else:
            error = {"code": -32601, "message": f"not recorded: {method}"}
            stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "error": error}).encode() + b"\n")
            stdout.flush()
            continue
        stdout.write(b'{"jsonrpc":"2.0","id":' + json.dumps(message["id"]).encode() + b',"result":' + result + b"}\n")
        stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1])
