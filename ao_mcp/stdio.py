"""The stdio transport: one JSON-RPC message per line on stdin and stdout, read and written on the event loop.

The SDK's ``stdio_server`` reads and writes through anyio's wrapped files, so every
line in and every answer out takes worker-thread hops; on a 2-core machine that is
about 0.6 ms and as much CPU per tool call (``benchmarks/``). When stdin and stdout
are pipes or sockets (how desktop clients start a server), ``serve_stdio`` uses
asyncio's pipe transports instead. Anything else (a terminal, a regular file,
Windows) is served by the SDK's transport.

Like the SDK's, it claims the standard descriptors while serving: the protocol uses
private duplicates, fd 0 then reads ``/dev/null`` and fd 1 writes to stderr, so a
stray ``print`` or a child process cannot corrupt the protocol stream. Both are
restored, blocking again, on exit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as types

# The streams the SDK's own transports hand to Server.run: they carry each message's contextvars to its handler.
from mcp.shared._context_streams import ContextReceiveStream, ContextSendStream, create_context_streams
from mcp.shared.message import SessionMessage

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

__all__ = ["MAX_MESSAGE_BYTES", "serve_stdio", "stdio_streams", "supports_pipes"]

logger = logging.getLogger("ao_mcp.stdio")

#: A longer line is skipped with a warning: no MCP request comes near it, and reading on would buffer without bound.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
#: How long buffered answers may take to reach a slow reader once the server has stopped.
FLUSH_TIMEOUT = 2.0


def supports_pipes(*fds: int) -> bool:
    """True when every fd is a pipe or a socket, which asyncio's pipe transports serve (POSIX only)."""
    if sys.platform == "win32":
        return False
    try:
        modes = [os.fstat(fd).st_mode for fd in fds]
    except OSError:
        return False
    return all(stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) for mode in modes)


async def serve_stdio(server: MCPServer[Any], *, stdin_fd: int = 0, stdout_fd: int = 1) -> None:
    """Serve ``server`` over stdin/stdout until stdin closes; the SDK's transport where pipes are not available."""
    if not supports_pipes(stdin_fd, stdout_fd):
        await server.run_stdio_async()  # the SDK's transport (always fds 0 and 1)
        return
    lowlevel = server._lowlevel_server  # pyright: ignore[reportPrivateUsage]
    async with stdio_streams(stdin_fd, stdout_fd) as (read_stream, write_stream):
        await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())


@asynccontextmanager
async def stdio_streams(
    stdin_fd: int = 0, stdout_fd: int = 1
) -> AsyncIterator[tuple[ContextReceiveStream[SessionMessage | Exception], ContextSendStream[SessionMessage]]]:
    """The (read, write) message streams ``Server.run`` takes, over two pipe or socket descriptors."""
    loop = asyncio.get_running_loop()
    with _claimed(stdin_fd, _divert_stdin) as wire_in, _claimed(stdout_fd, _divert_stdout) as wire_out:
        reader = asyncio.StreamReader(limit=MAX_MESSAGE_BYTES, loop=loop)
        read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader, loop=loop),
            os.fdopen(wire_in, "rb", buffering=0, closefd=False),
        )
        try:
            write_transport, write_protocol = await loop.connect_write_pipe(
                _Drainable, os.fdopen(wire_out, "wb", buffering=0, closefd=False)
            )
        except BaseException:
            read_transport.close()
            raise
        # Back-pressure from the first unwritten byte: once ``drain`` returns, the answer is in the pipe, so
        # nothing is left in a buffer when the descriptors are handed back on exit.
        write_transport.set_write_buffer_limits(high=0)
        incoming_writer, incoming = create_context_streams[SessionMessage | Exception](0)
        outgoing, outgoing_reader = create_context_streams[SessionMessage](0)

        async def read_lines() -> None:
            async with incoming_writer:
                async for item in _messages(reader):
                    await incoming_writer.send(item)

        writer_done = anyio.Event()

        async def write_lines() -> None:
            try:
                async with outgoing_reader:
                    async for message in outgoing_reader:
                        line = message.message.model_dump_json(by_alias=True, exclude_unset=True).encode() + b"\n"
                        if write_protocol.lost:
                            continue  # the client is gone; keep draining so the server is never blocked on us
                        write_transport.write(line)
                        await write_protocol.drain()
            finally:
                writer_done.set()

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(read_lines)
                group.start_soon(write_lines)
                try:
                    yield incoming, outgoing
                finally:
                    await outgoing.aclose()  # the writer ends once what is queued is written
                    with anyio.move_on_after(FLUSH_TIMEOUT, shield=True):
                        await writer_done.wait()
                    group.cancel_scope.cancel()
        finally:
            read_transport.close()
            write_transport.close()
            await asyncio.sleep(0)  # let the transports run their connection_lost callbacks


async def _messages(reader: asyncio.StreamReader) -> AsyncIterator[SessionMessage | Exception]:
    """Parsed messages, one per line; a line that is not one becomes an exception item, as in the SDK."""
    while True:
        try:
            line = await reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as end:
            if not end.partial.strip():
                return
            line = end.partial  # the last line, without its newline
        except OSError as exc:  # the pipe failed rather than closed: end the session as at EOF
            logger.warning("stdin: reading failed (%s); ending the session", exc.strerror or exc.__class__.__name__)
            return
        except asyncio.LimitOverrunError as overrun:
            await _skip_line(reader, overrun.consumed)
            logger.warning("stdin: skipped a message longer than %d bytes", MAX_MESSAGE_BYTES)
            yield ValueError(f"a message longer than {MAX_MESSAGE_BYTES} bytes was skipped")
            continue
        if not line.strip():
            continue
        try:
            message = types.jsonrpc_message_adapter.validate_json(line.decode("utf-8", "replace"), by_name=False)
        except ValueError as exc:  # pydantic's ValidationError; the line is never logged (it may hold data)
            logger.warning("stdin: ignored a line of %d bytes that is not a JSON-RPC message", len(line))
            yield exc
            continue
        yield SessionMessage(message)
        if not line.endswith(b"\n"):
            return


async def _skip_line(reader: asyncio.StreamReader, consumed: int) -> None:
    """Drop the rest of an overlong line, up to and including its newline (or the end of input)."""
    while True:
        await reader.readexactly(consumed)
        try:
            await reader.readuntil(b"\n")
            return
        except asyncio.LimitOverrunError as overrun:
            consumed = overrun.consumed
        except asyncio.IncompleteReadError:
            return


class _Drainable(asyncio.Protocol):
    """A write-pipe protocol with back-pressure: ``drain`` waits while the pipe's buffer is full."""

    def __init__(self) -> None:
        self.lost = False
        self._resumed = asyncio.Event()
        self._resumed.set()

    def pause_writing(self) -> None:
        self._resumed.clear()

    def resume_writing(self) -> None:
        self._resumed.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._resumed.set()

    async def drain(self) -> None:
        await self._resumed.wait()


@contextmanager
def _claimed(fd: int, divert: Any) -> Iterator[int]:
    """A private duplicate of ``fd`` for the protocol, while ``fd`` itself points elsewhere (``divert``)."""
    import fcntl

    wire = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    blocking = os.get_blocking(wire)
    diversion = divert()
    try:
        os.dup2(diversion, fd)
    finally:
        os.close(diversion)
    try:
        yield wire
    finally:
        try:
            os.set_blocking(wire, blocking)  # asyncio made it non-blocking; others sharing the pipe expect their mode
            os.dup2(wire, fd)
        finally:
            os.close(wire)


def _divert_stdin() -> int:
    return os.open(os.devnull, os.O_RDONLY)


def _divert_stdout() -> int:
    try:
        return os.dup(2)
    except OSError:  # no stderr (some launchers close it): stray output is dropped rather than sent
        return os.open(os.devnull, os.O_WRONLY)
