"""What the fault and load tests share: distinctive secrets, a log watch, a served sandbox, a flaky TCP server.

Every secret is a distinctive string, so that a leak anywhere (a log record of
this process, the stderr of a subprocess) is found by a plain substring search.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ao_mcp.config import Secret, Settings
from ao_mcp.sandbox import Sandbox

CLIENT_ID = "sandbox"
CLIENT_SECRET = "fault-suite-client-secret-Qx7Vd2Lp"
WRONG_SECRET = "fault-suite-wrong-secret-Mn4Jh8Ws"
WEBHOOK_SECRET = "fault-suite-webhook-secret-Hk3Lm9Zc"
SANDBOX_WEBHOOK_SECRET = "fault-suite-sandbox-hook-secret-Rf2"
HTTP_TOKEN = "fault-suite-http-token-Zp8Rw4Ny"
CANNED_TOKEN = "fault-suite-canned-access-token-Tt5Gb6"
STATIC_SECRETS = (CLIENT_SECRET, WRONG_SECRET, WEBHOOK_SECRET, SANDBOX_WEBHOOK_SECRET, HTTP_TOKEN, CANNED_TOKEN)

#: Small bounds so that every failing call ends quickly: 0.5 s per attempt, 2 retries, 5 s per call
#: (room for all three attempts and their backoff, so that attempt counts are exact).
TIMEOUT, RETRIES, DEADLINE = 0.5, 2, 5.0
#: What a call may take beyond its deadline (the MCP round trip, a slow CI machine).
SLACK = 2.0


def settings_for(base_url: str, **changes: Any) -> Settings:
    """A server configured for ``base_url`` with the suite's credentials and small time bounds."""
    values: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "client_secret": Secret(CLIENT_SECRET),
        "base_url": base_url,
        "timeout": TIMEOUT,
        "connect_timeout": TIMEOUT,
        "retries": RETRIES,
        "retry_deadline": DEADLINE,
        "log_level": "DEBUG",
    }
    values.update(changes)
    return Settings(**values)


def server_environment(base_url: str, **extra: str) -> dict[str, str]:
    """The same configuration for an ``ao-mcp`` subprocess."""
    return {
        "ACADEMYOCEAN_CLIENT_ID": CLIENT_ID,
        "ACADEMYOCEAN_CLIENT_SECRET": CLIENT_SECRET,
        "ACADEMYOCEAN_BASE_URL": base_url,
        "AO_MCP_TIMEOUT": str(TIMEOUT),
        "AO_MCP_CONNECT_TIMEOUT": str(TIMEOUT),
        "AO_MCP_RETRIES": str(RETRIES),
        "AO_MCP_RETRY_DEADLINE": str(DEADLINE),
        "AO_MCP_LOG_LEVEL": "debug",
        **extra,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


# --- secrets in logs -------------------------------------------------------------------------------------


class SecretWatch(logging.Handler):
    """Keeps every log record of this process (formatted, with tracebacks) and the stderr files of subprocesses."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []
        self.files: list[Path] = []
        self.secrets: set[str] = set(STATIC_SECRETS)
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a record that cannot be formatted is still searched as far as it goes
            text = f"{record.msg!r} {record.args!r}"
        with self._lock:
            self.lines.append(text)

    def add_secret(self, value: str) -> None:
        with self._lock:
            self.secrets.add(value)

    def add_file(self, path: Path) -> Path:
        self.files.append(path)
        return path

    def leaks(self, since: int = 0, files: Iterable[Path] | None = None) -> list[str]:
        """Log lines (from index ``since``) and file lines that contain a secret, secret masked."""
        with self._lock:
            lines, secrets = self.lines[since:], sorted(self.secrets)
        found = []
        sources = [("log", line) for line in lines]
        for path in self.files if files is None else files:
            if path.exists():
                sources += [(path.name, line) for line in path.read_text(errors="replace").splitlines()]
        for where, line in sources:
            for secret in secrets:
                if secret in line:
                    found.append(f"{where}: {line.replace(secret, '<SECRET>')[:300]}")
        return found

    def assert_clean(self, text: str) -> None:
        """``text`` (an error shown to a user or a model) contains no secret."""
        for secret in sorted(self.secrets):
            assert secret not in text, "a secret appears in a tool result"


# --- the sandbox, served on loopback from a thread ----------------------------------------------------------


@dataclass
class ServedSandbox:
    """A sandbox served on a loopback port by a background event loop; tests drive it directly."""

    sandbox: Sandbox
    url: str

    @property
    def stats(self) -> Any:
        return self.sandbox.stats

    def requests_for(self, action: str) -> int:
        return self.sandbox.stats.by_action.get(action, 0)

    def learner_email(self) -> str:
        return self.sandbox.state.learner_list()[0].email


# --- a TCP server that misbehaves below HTTP ----------------------------------------------------------------


@dataclass
class FlakyAPI:
    """A tiny HTTP/1.1 server on loopback that can reset or drop connections, per endpoint.

    ``api_mode`` / ``token_mode``: ``"ok"`` answers (a canned token, ``[]`` for any
    action), ``"reset"`` aborts the connection with a TCP RST after reading the
    request, ``"close"`` closes it without an answer. The sandbox cannot do either.
    """

    api_mode: str = "ok"
    token_mode: str = "ok"
    api_requests: int = 0
    token_requests: int = 0
    url: str = ""
    _server: asyncio.base_events.Server | None = field(default=None, repr=False)

    async def start(self, port: int = 0) -> FlakyAPI:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", port)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive: one request after another on this connection
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                await reader.readexactly(length)
                if path.startswith("/oauth/token"):
                    self.token_requests += 1
                    mode = self.token_mode
                    body = json.dumps({"token_type": "Bearer", "expires_in": 3600, "access_token": CANNED_TOKEN})
                else:
                    self.api_requests += 1
                    mode = self.api_mode
                    body = "[]"
                if mode == "reset":
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                if mode == "close":
                    writer.close()
                    return
                writer.write(
                    f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode()
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            if not writer.is_closing():
                writer.close()
