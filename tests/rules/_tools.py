"""Paths and the promtool / amtool binaries the rules tests run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agent_telemetry.tooling.stack.binaries import engine_tool
from agent_telemetry.tooling.stack.paths import ProjectFiles

ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = ROOT / "prometheus" / "thresholds.yaml"
RULES_DIR = ROOT / "prometheus" / "rules"
PROMTOOL_TESTS = ROOT / "prometheus" / "tests"
ALERTMANAGER_DIR = ROOT / "prometheus" / "alertmanager"
RUNBOOKS = ROOT / "docs" / "runbooks"


def tool(name: str) -> str:
    """promtool or amtool at the version in versions.env (built by scripts/build-engines.sh)."""
    path = engine_tool(ProjectFiles(ROOT), name)
    if path is None:
        pytest.fail(f"{name} at the version in versions.env is missing: run scripts/setup.sh")
    return str(path)


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=240)
