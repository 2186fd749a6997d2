"""The ``ao-mcp`` command: serve (default), tools, call, schemas, sandbox.

Flags override the environment and ``.env``. Every failure a user can cause ends
in one line on stderr and a non-zero exit, never a traceback; stdout carries only
the protocol (stdio) or the command's output.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from ao_mcp import __version__
from ao_mcp.config import OPTIONS, Settings, load_settings
from ao_mcp.errors import AOError, ConfigError

__all__ = ["main"]

logger = logging.getLogger("ao_mcp")

_BOOL_FLAGS = {"sandbox", "read_only"}


def _add_setting_flags(parser: argparse.ArgumentParser) -> None:
    for option in OPTIONS:
        if option.flag is None:
            continue
        if option.field in _BOOL_FLAGS:
            parser.add_argument(option.flag, dest=option.field, action="store_true", default=argparse.SUPPRESS,
                                help=f"{option.help} [{option.env}]")
        else:
            # SUPPRESS: a flag given before the command must survive the command's own parser.
            parser.add_argument(option.flag, dest=option.field, metavar=option.field.upper(),
                                default=argparse.SUPPRESS, help=f"{option.help} [{option.env}]")


def _overrides(namespace: argparse.Namespace) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for option in OPTIONS:
        raw = getattr(namespace, option.field, None)
        if raw is None or option.flag is None:
            continue
        values[option.field] = raw if option.field in _BOOL_FLAGS else option.parse(option.flag, str(raw))
    return values


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    _add_setting_flags(common)
    parser = argparse.ArgumentParser(
        prog="ao-mcp",
        description="MCP server for the AcademyOcean API and its webhooks. Without a command: serve.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"ao-mcp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("serve", parents=[common], help="Serve MCP over stdio (default) or HTTP.")
    commands.add_parser("tools", parents=[common], help="List the enabled tools.")
    call = commands.add_parser("call", parents=[common], help="Run one tool and print its result as JSON.")
    call.add_argument("tool", help="Tool name, e.g. learners.")
    call.add_argument("arguments", nargs="?", default="{}", help="Arguments as a JSON object (default {}).")
    schemas = commands.add_parser("schemas", help="Write or check the tool_schemas/ snapshots.")
    mode = schemas.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="Regenerate tool_schemas/ from the models.")
    mode.add_argument("--check", action="store_true", help="Fail when tool_schemas/ differs from the models.")
    schemas.add_argument("--dir", default=None, help="Snapshot directory (default: tool_schemas/ of the project).")
    sandbox = commands.add_parser("sandbox", help="Serve the AcademyOcean simulator over HTTP.")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--seed", type=int, default=None)
    sandbox.add_argument("--learners", type=int, default=None)
    return parser


def _configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request at INFO; ours says what matters (retries, refreshes).
    logging.getLogger("httpx").setLevel(logging.WARNING if level != "DEBUG" else logging.DEBUG)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and of ``python -m ao_mcp``."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(_overrides(args))
        command = args.command or "serve"
        quiet = command in ("call", "tools") and "log_level" not in args and settings.log_level != "DEBUG"
        _configure_logging("WARNING" if quiet else settings.log_level)
        if command == "serve":
            return _serve(settings)
        if command == "tools":
            return _tools(settings)
        if command == "call":
            return _call(settings, args.tool, args.arguments)
        if command == "schemas":
            from ao_mcp.schemas import check_or_write

            return check_or_write(write=args.write, directory=args.dir)
        if command == "sandbox":
            return _sandbox(settings, args)
        raise ConfigError(f"Unknown command {command!r}.")  # pragma: no cover
    except AOError as exc:
        print(f"ao-mcp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``ao-mcp call ... | head``): nothing left to say to anyone.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # the last line of defence: one line, never a traceback
        logger.debug("Unexpected error", exc_info=True)
        print(f"ao-mcp: unexpected error ({exc.__class__.__name__}); rerun with --log-level debug for details.",
              file=sys.stderr)
        return 1


def _serve(settings: Settings) -> int:
    from ao_mcp.server import build_server

    if settings.sandbox_reason == "no credentials":
        logger.warning(
            "No ACADEMYOCEAN_CLIENT_ID/ACADEMYOCEAN_CLIENT_SECRET configured: starting in SANDBOX mode with a "
            "simulated academy. Set both to use your own academy."
        )
    server = build_server(settings)
    if settings.transport == "http":
        import uvicorn

        from ao_mcp.http import build_http_app

        app = build_http_app(server, settings)
        # Logged before the bind: uvicorn's own "Uvicorn running on ..." line confirms it.
        host = f"[{settings.host}]" if ":" in settings.host and not settings.host.startswith("[") else settings.host
        base = f"http://{host}:{settings.port}"
        logger.info("Starting streamable HTTP at %s/mcp", base)
        if server.parts.receiver is not None:
            logger.info("Webhook receiver at %s/webhooks/academyocean", base)
        uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, log_level=settings.log_level.lower())
        return 0
    import anyio

    from ao_mcp.stdio import serve_stdio

    anyio.run(serve_stdio, server)
    return 0


def _tools(settings: Settings) -> int:
    from ao_mcp.tools import Catalog

    for info in Catalog.load(settings).enabled.values():
        hints = "read-only" if info.read_only else ("destructive" if info.destructive else "write")
        print(f"{info.name:<38} {info.toolset:<13} {hints:<12} {info.title}")
    return 0


def _call(settings: Settings, tool: str, raw_arguments: str) -> int:
    try:
        arguments = json.loads(raw_arguments)
    except ValueError as exc:
        raise ConfigError(f"The arguments must be a JSON object: {exc}.") from None
    if not isinstance(arguments, dict):
        raise ConfigError("The arguments must be a JSON object, e.g. '{\"email\": \"jane@example.com\"}'.")
    import anyio

    return anyio.run(_call_async, settings, tool, arguments)


async def _call_async(settings: Settings, tool: str, arguments: dict[str, Any]) -> int:
    from dataclasses import replace

    from mcp import Client

    from ao_mcp.server import build_server

    # A one-shot call has no use for simulated background activity.
    server = build_server(replace(settings, sandbox_activity=0.0))
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments)
    texts = [block.text for block in result.content if getattr(block, "type", "") == "text"]
    if result.is_error:
        print("\n".join(texts) or "The tool failed.", file=sys.stderr)
        return 1
    payload = result.structured_content if result.structured_content is not None else texts
    print(json.dumps(payload, indent=2, ensure_ascii=False))
    return 0


def _sandbox(settings: Settings, args: argparse.Namespace) -> int:
    import anyio

    from ao_mcp.sandbox import SandboxConfig, serve

    config = SandboxConfig(
        seed=args.seed if args.seed is not None else settings.sandbox_seed,
        learners=args.learners if args.learners is not None else settings.sandbox_learners,
        token_lifetime=settings.sandbox_token_lifetime,
        activity_interval=settings.sandbox_activity,
    )
    logger.info("Serving the AcademyOcean simulator on http://%s:%d (client id %r)", args.host, args.port, config.client_id)
    anyio.run(lambda: serve(config, host=args.host, port=args.port))
    return 0
