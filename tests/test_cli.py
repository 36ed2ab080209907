"""``agent-telemetry``: only the chosen command's module is imported, and a missing extra is one line."""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from agent_telemetry.cli import COMMANDS
from agent_telemetry.tooling import extras
from agent_telemetry.tooling.dashboards import cli as dashboards_cli

REPO = Path(__file__).resolve().parents[1]


def imported_after(*argv: str) -> tuple[str, list[str]]:
    """stdout of ``agent-telemetry argv`` run in a fresh interpreter, and the tooling modules it imported."""
    code = (
        "import contextlib, io, sys\n"
        "from agent_telemetry.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):\n"
        f"    main({list(argv)!r})\n"
        "print(out.getvalue())\n"
        "print(sorted(m for m in sys.modules if m.startswith('agent_telemetry.tooling')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    *output, modules = done.stdout.rstrip("\n").split("\n")
    return "\n".join(output), ast.literal_eval(modules)


def test_help_lists_every_command_and_imports_no_tooling():
    out, modules = imported_after("--help")
    for command, (_, help_text) in COMMANDS.items():
        assert f"{command}" in out and help_text.split()[0] in out, command
    assert modules == []


def test_runs_and_replay_import_no_tooling(tmp_path):
    assert imported_after("runs", str(tmp_path)) == (f"no recordings in {tmp_path}\n", [])


def test_events_imports_no_tooling(unused_port):
    out, modules = imported_after("events", "--url", f"http://127.0.0.1:{unused_port}")
    assert (out, modules) == ("", [])


def test_a_tooling_command_imports_its_own_module_only():
    _, modules = imported_after("rules", "--help")
    assert "agent_telemetry.tooling.rules.cli" in modules
    assert [
        m for m in modules if m.startswith(("agent_telemetry.tooling.demo", "agent_telemetry.tooling.stack"))
    ] == []


def test_a_missing_extra_is_one_line_naming_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(extras.EXTRA_MODULES, "dashboards", ("grafana_foundation_sdk_not_installed",))
    args = argparse.Namespace(thresholds=REPO / "prometheus" / "thresholds.yaml", output_dir=REPO, check=True)
    assert dashboards_cli.run_generate(args) == 2
    assert capsys.readouterr().err == (
        "dashboards generate: needs grafana_foundation_sdk_not_installed, which a plain install leaves out: "
        "pip install 'agent-telemetry[dashboards]'\n"
    )


@pytest.mark.parametrize("extra", sorted(extras.EXTRA_MODULES))
def test_every_extra_the_tooling_names_is_declared(extra):
    import tomllib

    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extra in declared
