"""Every file in ``examples/`` is run here against the sandbox, the way its comments say to run it."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from interop.support import (
    AO_MCP,
    EXAMPLES,
    REPO,
    SAMPLES,
    TOOL_COUNT,
    clean_env,
    free_port,
    http_client,
    http_server,
    in_ci,
    stop,
    wait_for_port,
)

PLACEHOLDER = "/absolute/path/to/ao-mcp"
DEPLOYMENT = EXAMPLES / "http_deployment"
PYTHON = sys.executable


def run_example(script: str, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, str(EXAMPLES / script), *args], env=clean_env(**env), cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


# --- Claude Desktop -------------------------------------------------------------------------------------


def desktop_server(name: str) -> tuple[str, dict[str, Any]]:
    """The one server of an example config, with the checkout's path put in for the placeholder."""
    config = json.loads((EXAMPLES / name).read_text())
    [(key, server)] = config["mcpServers"].items()
    assert server["command"].startswith(PLACEHOLDER + "/") and set(server) <= {"command", "args", "env"}
    command = server["command"].replace(PLACEHOLDER, str(REPO))
    if not Path(command).exists():  # tests run from a virtualenv outside the checkout
        assert server["command"].endswith("/.venv/bin/ao-mcp")
        command = str(AO_MCP)
    return key, {**server, "command": command}


async def launch_as_claude_desktop(server: dict[str, Any], tmp_path: Path, **extra_env: str) -> tuple[Any, str]:
    """Start the configured command with its args and env (plus ``extra_env``), list tools, call one."""
    params = StdioServerParameters(command=server["command"], args=server.get("args", []),
                                   env={**server.get("env", {}), **extra_env}, cwd=tmp_path)
    log = tmp_path / "stderr.log"
    with open(log, "w") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:  # Desktop's era
            assert len((await client.list_tools()).tools) == TOOL_COUNT
            result = await client.call_tool("academies", {})
    assert not result.is_error, result.content
    return result.structured_content, log.read_text()


@pytest.mark.anyio
async def test_claude_desktop_sandbox_config(tmp_path: Path) -> None:
    key, server = desktop_server("claude_desktop_config.sandbox.json")
    assert key == "academyocean-sandbox"
    academies, log = await launch_as_claude_desktop(server, tmp_path)
    assert academies["simulated"] is True and academies["count"] == 3
    assert "Sandbox mode (requested)" in log


@pytest.mark.anyio
async def test_claude_desktop_real_account_config(tmp_path: Path) -> None:
    key, server = desktop_server("claude_desktop_config.json")
    env = server["env"]
    assert key == "academyocean" and set(env) == {"ACADEMYOCEAN_CLIENT_ID", "ACADEMYOCEAN_CLIENT_SECRET"}
    # The account is the simulator served over HTTP (its client id and secret put in for the placeholders),
    # so the real OAuth and API path runs, on loopback only.
    port = free_port()
    simulator = subprocess.Popen([str(AO_MCP), "sandbox", "--port", str(port)], env=clean_env(), cwd=tmp_path,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, simulator)
        server["env"] = {"ACADEMYOCEAN_CLIENT_ID": "sandbox", "ACADEMYOCEAN_CLIENT_SECRET": "sandbox-secret"}
        academies, log = await launch_as_claude_desktop(server, tmp_path,
                                                        ACADEMYOCEAN_BASE_URL=f"http://127.0.0.1:{port}")
    finally:
        stop(simulator)
    assert academies["count"] == 3 and not academies.get("simulated")
    assert "SANDBOX" not in log.upper() and "sandbox-secret" not in log


# --- the scripted client --------------------------------------------------------------------------------


def test_scripted_client_over_stdio() -> None:
    done = run_example("scripted_client.py", "--activity", "0.3", "--timeout", "20", "--quiet-server")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("connected to ao-mcp (sandbox: simulated academy) (protocol 2026")
    assert lines[1].startswith(f"{TOOL_COUNT} tools")
    assert lines[2] == "academies: Ocean Academy, Partner Academy, Support Academy"
    assert lines[-2].startswith("subscribed; waiting")
    assert re.fullmatch(r"event seq \d+: [a-z_.]+ \(learner \S+@\S+\)", lines[-1])


# --- the agent framework --------------------------------------------------------------------------------


def test_agent_example() -> None:
    if importlib.util.find_spec("pydantic_ai") is None or importlib.util.find_spec("fastmcp") is None:
        if in_ci():
            pytest.fail("Pydantic AI is not installed: the test extra must include pydantic-ai-slim[mcp]")
        pytest.skip("Pydantic AI is not installed")
    done = run_example("agent_pydantic_ai.py", timeout=120)
    assert done.returncode == 0, done.stderr
    assert "operator: 'at least' is not a comparison operator" in done.stdout
    assert ('tool calls: learners_with_score({"score":80,"operator":"at least"}), '
            'learners_with_score({"score":80,"operator":">=","max_items":5})') in done.stdout
    assert re.search(r"^answer: \d+ learners scored 80 or more; the first 5: .+; from .+\.$", done.stdout, re.M)


# --- webhook replay -------------------------------------------------------------------------------------


def test_webhook_replay_against_a_running_receiver(tmp_path: Path) -> None:
    secret = "replay-secret"
    env = clean_env(AO_MCP_SANDBOX="1", AO_MCP_SANDBOX_ACTIVITY="0", ACADEMYOCEAN_WEBHOOK_SECRET=secret)
    samples = sorted(path.name for path in SAMPLES.glob("*.json"))
    with http_server(tmp_path, env) as (base, _):
        url = f"{base}/webhooks/academyocean"
        first = run_example("webhook_replay.py", "--url", url, "--secret", secret)
        again = run_example("webhook_replay.py", "--url", url, "--event", "quiz.finished",
                            ACADEMYOCEAN_WEBHOOK_SECRET=secret)  # the secret from the environment
        forged = run_example("webhook_replay.py", "--url", url, "--secret", "wrong", "--event", "quiz.started")
        unsigned = run_example("webhook_replay.py", "--url", url, "--unsigned", "--samples", str(SAMPLES),
                               "--event", "quiz.started")
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == samples and len(samples) == 13
    assert all(re.search(r" 200  accepted seq=\d+$", line) for line in lines[:-1])
    assert lines[-1] == f"13 of 13 accepted by {url}"
    assert again.returncode == 0 and re.search(r"quiz\.finished\.json +200  duplicate seq=\d+", again.stdout)
    assert forged.returncode == 1 and "401  invalid signature" in forged.stdout
    assert unsigned.returncode == 1 and "401  missing Signature header" in unsigned.stdout


def test_webhook_replay_reports_an_unreachable_receiver() -> None:
    url = f"http://127.0.0.1:{free_port()}/webhooks/academyocean"
    done = run_example("webhook_replay.py", "--url", url, "--secret", "x", "--event", "lesson.started")
    assert done.returncode == 1 and "lesson.started.json" in done.stdout and "0 of 1 accepted" in done.stdout
    usage = run_example("webhook_replay.py", "--url", url)
    assert usage.returncode == 2 and "--secret" in usage.stderr


# --- the HTTP deployment ----------------------------------------------------------------------------------


def deployment_env(tmp_path: Path, port: int, token: str) -> dict[str, str]:
    """``ao-mcp.env`` copied to ``.env`` as the README says, plus what a test must change (env wins over .env).

    Sandbox instead of the placeholder account; port, token and state files of this test.
    """
    shutil.copy(DEPLOYMENT / "ao-mcp.env", tmp_path / ".env")
    return clean_env(AO_MCP_SANDBOX="1", AO_MCP_SANDBOX_ACTIVITY="0", AO_MCP_PORT=str(port), AO_MCP_HTTP_TOKEN=token,
                     AO_MCP_EVENT_STORE=f"sqlite:///{tmp_path}/events.db",
                     AO_MCP_TOKEN_CACHE=str(tmp_path / "token.json"))


def env_file_value(name: str) -> str:
    [value] = re.findall(rf"^{name}=(.*)$", (DEPLOYMENT / "ao-mcp.env").read_text(), re.M)
    return value


@pytest.mark.anyio
async def test_http_deployment_starts_as_its_readme_says(tmp_path: Path) -> None:
    port, token = free_port(), secrets.token_hex(16)
    assert env_file_value("AO_MCP_TRANSPORT") == "http" and env_file_value("AO_MCP_HOST") == "127.0.0.1"
    # `.venv/bin/ao-mcp` with no arguments, in the directory holding .env.
    with http_server(tmp_path, deployment_env(tmp_path, port, token), port=port, command=(str(AO_MCP),)) as (base, log):
        refused = httpx.post(f"{base}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, timeout=10)
        assert refused.status_code == 401
        public_name = {"Host": env_file_value("AO_MCP_ALLOWED_HOSTS")}
        async with http_client(f"{base}/mcp", token=token, headers=public_name) as client:
            result = await client.call_tool("learners", {"max_items": 2})
        assert not result.is_error and result.structured_content["count"] == 2
    text = log.read_text()
    assert f"Uvicorn running on http://127.0.0.1:{port}" in text and token not in text


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if found is None:
        if in_ci():
            pytest.fail("nginx is not installed (apt-get install nginx-light)")
        pytest.skip("nginx is not installed")
    return found


def test_nginx_site_file_is_valid(tmp_path: Path) -> None:
    nginx = nginx_binary()
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=mcp.example.com", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    site = (DEPLOYMENT / "nginx" / "ao-mcp.conf").read_text()
    site = (site.replace("/etc/letsencrypt/live/mcp.example.com/fullchain.pem", str(cert))
                .replace("/etc/letsencrypt/live/mcp.example.com/privkey.pem", str(key))
                .replace("/etc/nginx/snippets/ao-mcp-locations.conf",
                         str(DEPLOYMENT / "nginx" / "ao-mcp-locations.conf")))
    (tmp_path / "site.conf").write_text(site)
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
                    f"http {{ include {tmp_path}/site.conf; }}\n")
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", "stderr"],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr


def test_http_deployment_behind_nginx(tmp_path: Path) -> None:
    nginx = nginx_binary()
    port, proxy_port, token = free_port(), free_port(), secrets.token_hex(16)
    name = env_file_value("AO_MCP_ALLOWED_HOSTS")
    for scratch in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / scratch).mkdir()
    conf = tmp_path / "nginx.conf"
    # The test's frame (plain HTTP on loopback, single process); the location blocks are the example's.
    conf.write_text(f"""
daemon off;
master_process off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    upstream ao_mcp {{ server 127.0.0.1:{port}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{proxy_port};
        server_name {name};
        include {DEPLOYMENT}/nginx/ao-mcp-locations.conf;
    }}
}}
""")
    env = deployment_env(tmp_path, port, token)
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    with http_server(tmp_path, env, port=port, command=(str(AO_MCP),)):
        proxy = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "nginx-error.log")],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(proxy_port, proxy)
            base = f"http://127.0.0.1:{proxy_port}"
            # The public name passes the proxy and the server's Host check; another name does not.
            public = httpx.post(f"{base}/mcp", json=initialize, headers={**headers, "Host": name}, timeout=10)
            evil = httpx.post(f"{base}/mcp", json=initialize, headers={**headers, "Host": "evil.example"}, timeout=10)
            anonymous = httpx.post(f"{base}/mcp", json=initialize, headers={"Host": name}, timeout=10)
            # The scripted client (legacy era: a GET stream carries the notification) through the proxy ...
            client = subprocess.Popen(
                [PYTHON, str(EXAMPLES / "scripted_client.py"), "--url", f"{base}/mcp", "--legacy", "--timeout", "20"],
                env=clean_env(AO_MCP_HTTP_TOKEN=token), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True,
            )
            try:
                lines = wait_for_line(client, "subscribed; waiting")
                # ... and a signed webhook through the proxy, as AcademyOcean would post it.
                replay = run_example("webhook_replay.py", "--url", f"{base}/webhooks/academyocean", "--secret",
                                     env_file_value("ACADEMYOCEAN_WEBHOOK_SECRET"), "--event", "course.finished")
                out, err = client.communicate(timeout=30)
            finally:
                if client.poll() is None:
                    client.kill()
                    client.wait()
        finally:
            stop(proxy)
    assert public.status_code == 200 and public.headers["content-type"].startswith("text/event-stream")
    assert evil.status_code == 421 and anonymous.status_code == 401
    assert replay.returncode == 0, replay.stdout
    assert client.returncode == 0, err
    assert "(protocol 2025-11-25)" in lines[0]
    assert out.strip().splitlines()[-1] == "event seq 1: course.finished (learner john@example.com)"


def wait_for_line(process: subprocess.Popen[str], marker: str, timeout: float = 30) -> list[str]:
    """The process's stdout lines up to and including the first containing ``marker``."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"the process ended before printing {marker!r}: {lines}")
        lines.append(line.rstrip("\n"))
        if marker in line:
            return lines
    raise AssertionError(f"no {marker!r} within {timeout}s: {lines}")
