"""The ao-mcp command as a script or cron job uses it: tools, call, schemas, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ao_mcp.cli import main
from ao_mcp.schemas import check_or_write
from ao_mcp.server import all_tool_specs


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials, no .env: the sandbox, quietly."""
    for name in list(os.environ):
        if name.startswith(("ACADEMYOCEAN_", "AO_MCP_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AO_MCP_SANDBOX_ACTIVITY", "0")
    monkeypatch.setenv("AO_MCP_LOG_LEVEL", "warning")


def test_tools_lists_what_is_enabled(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "--read-only"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = {line.split()[0] for line in lines}
    assert names == {spec.name for spec in all_tool_specs() if spec.read_only}
    assert all("read-only" in line for line in lines)


def test_call_prints_the_structured_result(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "courses", '{"max_items": 2}']) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["count"] == 2 and result["truncated"] is True and result["simulated"] is True


def test_call_with_bad_arguments_exits_non_zero_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", "certificates", "{}"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Invalid arguments for certificates; nothing was sent" in captured.err and "email: required" in captured.err


@pytest.mark.parametrize(("argv", "words"), [
    (["call", "courses", "not json"], "The arguments must be a JSON object"),
    (["call", "courses", "[1]"], "The arguments must be a JSON object"),
    (["tools", "--toolsets", "nonsense"], "AO_MCP_TOOLSETS names unknown toolset(s) nonsense"),
    (["serve", "--port", "eighty"], "--port must be an integer"),
])
def test_usage_errors_are_one_line(argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1


def test_configuration_errors_name_the_variable(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("ACADEMYOCEAN_CLIENT_ID", "only-the-id")
    assert main(["tools"]) == 2
    assert capsys.readouterr().err.startswith("ao-mcp: ACADEMYOCEAN_CLIENT_SECRET is not set.")


def test_python_dash_m_and_no_traceback_on_bad_config(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ACADEMYOCEAN_", "AO_MCP_"))}
    ok = subprocess.run([sys.executable, "-m", "ao_mcp", "--version"], capture_output=True, text=True, env=env,
                        cwd=tmp_path, timeout=60)
    assert ok.returncode == 0 and ok.stdout.startswith("ao-mcp ")
    bad = subprocess.run([sys.executable, "-m", "ao_mcp", "tools"], capture_output=True, text=True, cwd=tmp_path,
                         env={**env, "AO_MCP_READ_ONLY": "perhaps"}, timeout=60)
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.strip() == ("ao-mcp: AO_MCP_READ_ONLY must be a boolean (1/0, true/false, yes/no, on/off), "
                                  "not 'perhaps'.")


def test_committed_schemas_and_readme_table_match_the_models() -> None:
    assert check_or_write(write=False) == 0


def test_schema_check_catches_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "snapshots"
    assert check_or_write(write=True, directory=str(target)) == 0
    assert check_or_write(write=False, directory=str(target)) == 0
    learners = target / "learners.json"
    learners.write_text(learners.read_text().replace("Learners with profile", "Learners w/ profile"))
    (target / "retired_tool.json").write_text("{}")
    (target / "courses.json").unlink()
    assert check_or_write(write=False, directory=str(target)) == 1
    err = capsys.readouterr().err
    assert "differs from the models: learners.json" in err
    assert "stale (no such tool): retired_tool.json" in err
    assert "missing: courses.json" in err


@pytest.mark.parametrize("argv", [["--read-only", "tools"], ["tools", "--read-only"]])
def test_flags_work_before_or_after_the_command(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    assert len(capsys.readouterr().out.splitlines()) == len([s for s in all_tool_specs() if s.read_only])
