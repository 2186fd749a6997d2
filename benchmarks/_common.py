"""What the benchmarks share: processes on loopback, statistics, memory readings, result rows.

Every benchmark talks to real processes over loopback: the sandbox served by
``ao-mcp sandbox --port`` and ``ao-mcp`` itself, started the way a desktop
assistant starts it (the console script, a clean environment, an empty working
directory so no ``.env`` is read). Memory figures come from ``/proc`` (Linux).
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import anyio
import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SANDBOX_ID, SANDBOX_SECRET = "sandbox", "sandbox-secret"


def ao_mcp_command() -> list[str]:
    """The installed console script (what an assistant launches), else ``python -m ao_mcp``."""
    script = BIN / "ao-mcp"
    if script.exists():
        return [str(script)]
    found = shutil.which("ao-mcp")
    return [found] if found else [sys.executable, "-m", "ao_mcp"]


def minimal_server_command() -> list[str]:
    return [sys.executable, str(BENCH_DIR / "minimal_server.py")]


def clean_env(**extra: str) -> dict[str, str]:
    """The inherited environment without any ACADEMYOCEAN_/AO_MCP_ setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACADEMYOCEAN_", "AO_MCP_"))}
    env.update(extra)
    return env


def server_env(sandbox_url: str, **extra: str) -> dict[str, str]:
    """Settings of an ``ao-mcp`` that talks to the loopback sandbox as if it were AcademyOcean."""
    return {
        "ACADEMYOCEAN_CLIENT_ID": SANDBOX_ID,
        "ACADEMYOCEAN_CLIENT_SECRET": SANDBOX_SECRET,
        "ACADEMYOCEAN_BASE_URL": sandbox_url,
        **extra,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until(ready: Callable[[], bool], what: str, timeout: float, proc: subprocess.Popen[bytes] | None) -> None:
    """Poll ``ready`` until it holds or ``timeout`` passes; fail early if ``proc`` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode} before {what}")
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"not {what} within {timeout:g}s")


def wait_for_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``url`` (any HTTP answer counts) until ``timeout``; fail early if ``proc`` died."""

    def answers() -> bool:
        try:
            httpx.get(url, timeout=1.0)
        except httpx.TransportError:
            return False
        return True

    _wait_until(answers, f"serving {url}", timeout, proc)


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30.0) -> None:
    """Wait until something accepts connections on loopback ``port``; fail early if ``proc`` died."""

    def listens() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    _wait_until(listens, f"listening on port {port}", timeout, proc)


async def post_signed(bases: Sequence[str], path: str, bodies: Sequence[tuple[bytes, str]], senders: int) -> float:
    """POST every (body, signature) to ``path``: ``senders`` keep-alive connections, spread over ``bases``.

    The connections are opened before the clock starts; any answer but 200 fails the
    round. Returns the elapsed seconds (bounded at 600).
    """
    queue = iter(bodies)
    failures: list[str] = []

    async def sender(client: httpx.AsyncClient) -> None:
        for body, signature in queue:
            response = await client.post(path, content=body, headers={"Signature": signature})
            if response.status_code != 200:
                failures.append(f"{response.status_code} {response.text}")

    clients = [httpx.AsyncClient(base_url=bases[index % len(bases)], limits=httpx.Limits(max_connections=1),
                                 timeout=30) for index in range(senders)]
    try:
        for client in clients:
            await client.get(path)  # opens the connection; whatever the route answers to a GET
        started = time.perf_counter()
        with anyio.fail_after(600):
            async with anyio.create_task_group() as group:
                for client in clients:
                    group.start_soon(sender, client)
        elapsed = time.perf_counter() - started
    finally:
        for client in clients:
            await client.aclose()
    if failures:
        raise RuntimeError(f"{len(failures)} posts failed, e.g. {failures[0]}")
    return elapsed


@contextmanager
def empty_dir() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="ao-mcp-bench-") as path:
        yield path


@dataclass
class SandboxProcess:
    url: str
    pid: int


@contextmanager
def sandbox_process(learners: int = 200, *, log: IO[bytes] | None = None) -> Iterator[SandboxProcess]:
    """``ao-mcp sandbox --port N`` in a subprocess (no simulated activity), until the block ends."""
    port = free_port()
    env = clean_env(AO_MCP_SANDBOX_ACTIVITY="0", AO_MCP_LOG_LEVEL="warning")
    with empty_dir() as cwd:
        proc = subprocess.Popen(
            [*ao_mcp_command(), "sandbox", "--port", str(port), "--learners", str(learners)],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log if log is not None else subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for_http(f"{url}/_sandbox/stats", timeout=180, proc=proc)
            yield SandboxProcess(url, proc.pid)
        finally:
            stop(proc)


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Terminate ``proc`` (one we started), killing it if it does not exit in time."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)


async def sandbox_token(http: httpx.AsyncClient) -> str:
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": SANDBOX_ID, "client_secret": SANDBOX_SECRET, "scope": ""},
    )
    response.raise_for_status()
    return response.json()["access_token"]


# --- processes and memory -------------------------------------------------------------------------------


def proc_status_mb(pid: int) -> dict[str, float]:
    """VmRSS (resident now) and VmHWM (peak resident) of ``pid`` in MB, from /proc."""
    values: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return values


def child_pids(word: str) -> list[int]:
    """Our direct children whose command line contains ``word`` (how to find a stdio server's pid)."""
    me, found = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != me:
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if word in cmdline:
            found.append(int(entry.name))
    return found


def run_seconds(pid: int) -> float:
    """CPU time all threads of ``pid`` have run so far (ns resolution, from /proc/<pid>/task/*/schedstat).

    Unlike wall-clock time it leaves out waiting for a CPU, so it is steadier on a busy machine.
    """
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
    except OSError:
        return float("nan")
    return total / 1e9


# --- statistics -------------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values: Sequence[float]) -> float:
    """Nearest-rank 95th percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def signed_ms(seconds: float) -> str:
    """A difference in time with its sign: +3.1 ms, -0.4 ms."""
    return ("+" if seconds >= 0 else "-") + ms(abs(seconds))


def ratio(ours: float, baseline: float) -> float:
    return ours / baseline if baseline else float("nan")


# --- results ----------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the results table: our figure, the baseline's, their ratio, and the target."""

    bench: str
    metric: str
    ours: str
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""  # "met", "MISSED" or "" (reported only)
    data: dict[str, Any] = field(default_factory=dict)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


@dataclass
class Section:
    """What one benchmark returns: table rows, optional detail (markdown) and raw numbers."""

    name: str
    rows: list[Row]
    detail: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rows": [asdict(row) for row in self.rows], "raw": self.raw}


def table(rows: Sequence[Row]) -> str:
    """The rows as a markdown table."""
    head = ["benchmark", "metric", "ao-mcp", "baseline", "ratio", "target", "verdict"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for row in rows:
        cells = [row.bench, row.metric, row.ours, row.baseline, row.ratio, row.target, row.verdict]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def print_section(section: Section) -> None:
    print(table(section.rows))
    if section.detail:
        print()
        print(section.detail)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GB"
    except (OSError, ValueError, IndexError):
        pass
    from importlib.metadata import version

    commit = ""
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":!benchmarks/results"],  # the previous run's figures are not the code measured
                               capture_output=True, text=True, timeout=5).stdout.strip()
        commit += " (with uncommitted changes)" if dirty else ""
    except (OSError, subprocess.SubprocessError):
        pass
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "mcp": version("mcp"),
        "ao-mcp": version("ao-mcp"),
        "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


# --- a bare stdio exchange ------------------------------------------------------------------------------

#: What a desktop assistant sends first (the 2025-11-25 handshake era), pipelined, then tools/list.
LEGACY_OPENING = (
    {"jsonrpc": "2.0", "id": 1, "method": "initialize",
     "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
)
_MODERN_META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"},
                "io.modelcontextprotocol/clientCapabilities": {}}
#: The current era (2026-07-28) needs no handshake: tools/list is the first request.
MODERN_OPENING = ({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {"_meta": _MODERN_META}},)


@dataclass
class StdioStart:
    """One server start: seconds from spawn to the tools/list answer, that answer's raw line, readings.

    ``cpu_seconds`` is the CPU time the server had used when the answer arrived (all threads).
    """

    seconds: float
    tools_list_line: str
    memory: dict[str, float]
    cpu_seconds: float


def start_and_list_tools(
    command: Sequence[str], env: dict[str, str], *, modern: bool = False, timeout: float = 60.0,
    stderr: IO[bytes] | int = subprocess.DEVNULL,
) -> StdioStart:
    """Spawn ``command``, send the opening messages at once, time until the tools/list answer arrives.

    The messages are written right after spawning (the pipe buffers them), as a client
    does; the clock stops when the server's answer to tools/list (id 2) is read. Memory is
    read from /proc before stdin is closed, so it is that of the idle server.
    """
    opening = MODERN_OPENING if modern else LEGACY_OPENING
    payload = "".join(json.dumps(message) + "\n" for message in opening).encode()
    with empty_dir() as cwd:
        started = time.perf_counter()
        proc = subprocess.Popen(list(command), env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=stderr)
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(payload)
            proc.stdin.flush()
            deadline = started + timeout
            while True:
                line = proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"{command[0]} closed stdout before answering tools/list")
                message = json.loads(line)
                if message.get("id") == 2:
                    break
                if time.perf_counter() > deadline:
                    raise RuntimeError(f"{command[0]} did not answer tools/list within {timeout:g}s")
            elapsed = time.perf_counter() - started
            if "result" not in message:
                raise RuntimeError(f"tools/list failed: {line[:300]!r}")
            cpu = run_seconds(proc.pid)
            memory = proc_status_mb(proc.pid)
            proc.stdin.close()
            proc.wait(timeout=10)
        finally:
            stop(proc)
            if proc.stdout is not None:
                proc.stdout.close()
    return StdioStart(elapsed, line.decode().rstrip("\n"), memory, cpu)
