"""The redis package is an optional extra: without it everything else works, and a Redis URL says what to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_the_redis_package_the_server_runs_and_redis_urls_say_what_to_install() -> None:
    out = run(
        """
        import sys
        sys.modules["redis"] = None  # as if it were not installed
        from pathlib import Path
        from ao_mcp.config import load_settings
        from ao_mcp.errors import ConfigError
        from ao_mcp.server import _token_cache, build_server

        def settings(**env):
            environ = {"AO_MCP_TRANSPORT": "http", "ACADEMYOCEAN_WEBHOOK_SECRET": "s", **env}
            return load_settings(environ=environ, dotenv=Path("/nonexistent"))

        build_server(settings())
        print("memory store: ok")
        for name, attempt in (
            ("event store", lambda: build_server(settings(AO_MCP_EVENT_STORE="redis://127.0.0.1:6379/0"))),
            ("token cache", lambda: _token_cache(settings(AO_MCP_TOKEN_CACHE="redis://:pw@127.0.0.1:6379/0"))),
        ):
            try:
                attempt()
            except ConfigError as error:
                print(f"{name}: {error}")
        """
    )
    lines = out.splitlines()
    assert lines[0] == "memory store: ok"
    assert lines[1].startswith("event store: AO_MCP_EVENT_STORE ") and "pip install 'ao-mcp[redis]'" in lines[1]
    assert lines[2].startswith("token cache: AO_MCP_TOKEN_CACHE ") and "pip install 'ao-mcp[redis]'" in lines[2]
    assert "pw" not in out


def test_the_server_does_not_import_redis_unless_a_redis_url_is_configured() -> None:
    out = run(
        """
        import sys
        from pathlib import Path
        from ao_mcp.config import load_settings
        from ao_mcp.server import _token_cache, build_server

        environ = {"AO_MCP_TRANSPORT": "http", "ACADEMYOCEAN_WEBHOOK_SECRET": "s", "AO_MCP_TOKEN_CACHE": "/tmp/t.json"}
        settings = load_settings(environ=environ, dotenv=Path("/nonexistent"))
        build_server(settings)
        _token_cache(settings)
        print(any(name == "redis" or name.startswith("redis.") for name in sys.modules))
        """
    )
    assert out == "False"


def test_a_malformed_redis_url_is_a_config_error_without_the_password() -> None:
    pytest.importorskip("redis")
    out = run(
        """
        from pathlib import Path
        from ao_mcp.config import load_settings
        from ao_mcp.errors import ConfigError
        from ao_mcp.server import _token_cache, build_server

        for env in ({"AO_MCP_EVENT_STORE": "redis://:pw@host:notaport/0"}, {"AO_MCP_TOKEN_CACHE": "redis://:pw@h:x/0"}):
            environ = {"AO_MCP_TRANSPORT": "http", "ACADEMYOCEAN_WEBHOOK_SECRET": "s", **env}
            settings = load_settings(environ=environ, dotenv=Path("/nonexistent"))
            try:
                build_server(settings)
                _token_cache(settings)
            except ConfigError as error:
                print(error)
        """
    )
    lines = out.splitlines()
    assert len(lines) == 2 and all("not a valid Redis URL" in line for line in lines), out
    assert lines[0].startswith("AO_MCP_EVENT_STORE") and lines[1].startswith("AO_MCP_TOKEN_CACHE")
    assert "pw" not in out
