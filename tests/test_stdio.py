"""The stdio transport: messages over pipes on the event loop, the claimed descriptors, bad and overlong lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.server import MCPServer

from ao_mcp import stdio
from ao_mcp.stdio import serve_stdio, supports_pipes

pytestmark = pytest.mark.anyio

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                         "clientInfo": {"name": "t", "version": "1"}}}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def call(request_id: int, text: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call",
            "params": {"name": "echo", "arguments": {"text": text}}}


def echo_server() -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer("echo")

    @server.tool()
    async def echo(text: str) -> str:
        """Answer the text."""
        return text

    return server


@dataclass
class Wire:
    """The client's ends of two pipes served by ``serve_stdio`` in this process."""

    send_fd: int
    answers: Any  # binary file over the answer pipe
    restored: bool = False  # after the server ended: its descriptors are the pipes again, in blocking mode

    async def send(self, *messages: dict[str, Any] | bytes) -> None:
        """Written from a worker thread: a write larger than the pipe's buffer blocks until the server reads."""
        data = b"".join(m if isinstance(m, bytes) else json.dumps(m).encode() + b"\n" for m in messages)
        with anyio.fail_after(10):
            await anyio.to_thread.run_sync(_write_all, self.send_fd, data)

    async def answer(self) -> dict[str, Any]:
        with anyio.fail_after(10):
            line = await read_answer(self.answers.readline)
        assert line, "the answer pipe closed"
        return json.loads(line)

    def close_input(self) -> None:
        os.close(self.send_fd)


async def read_answer(read: Any, *args: Any) -> bytes:
    """A blocking read in a worker thread that a timeout may abandon (the thread ends when the pipe closes)."""
    return await anyio.to_thread.run_sync(read, *args, abandon_on_cancel=True)


def _write_all(fd: int, data: bytes) -> None:
    with os.fdopen(os.dup(fd), "wb") as pipe:
        pipe.write(data)


@asynccontextmanager
async def served(server: MCPServer[Any]) -> AsyncIterator[Wire]:
    """``server`` on a pair of pipes; leaving waits (bounded) for it to end after stdin closed."""
    in_read, in_write = os.pipe()
    out_read, out_write = os.pipe()
    wire = Wire(in_write, os.fdopen(out_read, "rb"))
    ended = anyio.Event()

    async def serve() -> None:
        try:
            await serve_stdio(server, stdin_fd=in_read, stdout_fd=out_write)
        finally:
            ended.set()

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(serve)
            yield wire
            with anyio.fail_after(10):
                await ended.wait()
            wire.restored = supports_pipes(in_read, out_write) and all(map(os.get_blocking, (in_read, out_write)))
    finally:
        for fd in (in_read, out_write):  # first: a reader still blocked on the answer pipe then sees its end
            os.close(fd)
        wire.answers.close()


async def test_a_session_over_pipes_ends_when_stdin_closes_and_the_descriptors_are_restored():
    async with served(echo_server()) as wire:
        await wire.send(INITIALIZE)
        assert (await wire.answer())["result"]["serverInfo"]["name"] == "echo"
        await wire.send(INITIALIZED, call(2, "hello"))
        answer = await wire.answer()
        assert answer["id"] == 2 and answer["result"]["content"][0]["text"] == "hello"
        wire.close_input()
    assert wire.restored


async def test_a_line_that_is_not_json_rpc_is_skipped_with_a_warning_that_does_not_echo_it(caplog):
    async with served(echo_server()) as wire:
        await wire.send(INITIALIZE)
        await wire.answer()
        await wire.send(INITIALIZED, b'{"password": "hunter2", not json\n', b"\n", call(2, "still here"))
        assert (await wire.answer())["result"]["content"][0]["text"] == "still here"
        wire.close_input()
    assert "not a JSON-RPC message" in caplog.text
    assert "hunter2" not in caplog.text


async def test_an_overlong_line_is_skipped_whole_and_the_next_one_is_served(monkeypatch, caplog):
    monkeypatch.setattr(stdio, "MAX_MESSAGE_BYTES", 4096)
    async with served(echo_server()) as wire:
        await wire.send(INITIALIZE)
        await wire.answer()
        await wire.send(INITIALIZED, call(2, "x" * 20_000), call(3, "after"))
        answer = await wire.answer()
        assert answer["id"] == 3 and answer["result"]["content"][0]["text"] == "after"
        wire.close_input()
    assert "skipped a message longer than 4096 bytes" in caplog.text


async def test_large_messages_pass_both_ways():
    text = "é" * 300_000  # 600 kB of UTF-8 each way: more than any pipe buffer
    async with served(echo_server()) as wire:
        await wire.send(INITIALIZE)
        await wire.answer()
        await wire.send(INITIALIZED, call(2, text))
        assert (await wire.answer())["result"]["content"][0]["text"] == text
        wire.close_input()


async def test_an_answer_being_written_when_stdin_closes_is_written_whole():
    text = "z" * 1_000_000  # far more than the pipe holds: most of it is still to be written at EOF
    async with served(echo_server()) as wire:
        await wire.send(INITIALIZE)
        await wire.answer()
        await wire.send(INITIALIZED, call(2, text))
        with anyio.fail_after(10):
            first = await read_answer(wire.answers.read, 1)  # the answer is on its way
        wire.close_input()
        await anyio.sleep(0.5)  # a slow reader: the server has seen EOF and is stopping meanwhile
        with anyio.fail_after(10):
            rest = await read_answer(wire.answers.readline)
    assert json.loads(first + rest)["result"]["content"][0]["text"] == text


async def test_a_client_that_stops_reading_does_not_stop_the_server_from_ending():
    async with served(echo_server()) as wire:
        await wire.send(INITIALIZE)
        await wire.answer()
        wire.answers.close()  # the client's read end is gone: answers now meet a broken pipe
        await wire.send(INITIALIZED, call(2, "into the void"), call(3, "and again"))
        await anyio.sleep(0.2)
        wire.close_input()


SCRIPT = textwrap.dedent(
    """
    import subprocess, sys
    import anyio
    from mcp.server import MCPServer
    from ao_mcp.stdio import serve_stdio

    server = MCPServer("noisy")

    @server.tool()
    async def noisy() -> str:
        '''Print to stdout and let a child process write to it too.'''
        print("stray print from a tool", flush=True)
        subprocess.run([sys.executable, "-c", "print('stray output from a child')"], check=True)
        return "quiet answer"

    anyio.run(serve_stdio, server)
    """
)


async def test_stray_output_of_the_server_and_its_children_goes_to_stderr(tmp_path: Path):
    script = tmp_path / "noisy.py"
    script.write_text(SCRIPT)
    params = StdioServerParameters(command=sys.executable, args=[str(script)])
    with (tmp_path / "stderr.txt").open("w+") as errlog, anyio.fail_after(60):
        async with Client(stdio_client(params, errlog=errlog)) as client:
            result = await client.call_tool("noisy", {})
            assert result.content[0].text == "quiet answer"
        errlog.seek(0)
        logged = errlog.read()
    assert "stray print from a tool" in logged and "stray output from a child" in logged


ECHO_SCRIPT = textwrap.dedent(
    """
    import anyio
    from mcp.server import MCPServer
    from ao_mcp.stdio import serve_stdio, supports_pipes

    server = MCPServer("echo")

    @server.tool()
    async def echo(text: str) -> str:
        '''Answer the text.'''
        return text

    assert not supports_pipes(0, 1)
    anyio.run(serve_stdio, server)
    """
)


def test_a_regular_file_as_stdout_is_served_by_the_sdk_transport(tmp_path: Path):
    script = tmp_path / "echo.py"
    script.write_text(ECHO_SCRIPT)
    output = tmp_path / "answers.jsonl"
    with output.open("wb") as stdout:
        server = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=stdout,
                                  stderr=subprocess.PIPE)
    assert server.stdin is not None and server.stderr is not None
    try:
        requests = (INITIALIZE, INITIALIZED, call(2, "filed"))
        server.stdin.write(b"".join(json.dumps(m).encode() + b"\n" for m in requests))
        server.stdin.flush()
        deadline = time.monotonic() + 30  # stdin stays open until the answer is there: EOF cancels what is in flight
        while b'"id":2' not in output.read_bytes() and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.05)
        server.stdin.close()
        assert server.wait(timeout=30) == 0, server.stderr.read()
    finally:
        if server.poll() is None:
            server.kill()
        server.stderr.close()
    answers = [json.loads(line) for line in output.read_bytes().splitlines()]
    assert answers[-1]["id"] == 2 and answers[-1]["result"]["content"][0]["text"] == "filed"
