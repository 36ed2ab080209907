"""Paths and the promtool / amtool binaries the rules tests run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = ROOT / "prometheus" / "thresholds.yaml"
RULES_DIR = ROOT / "prometheus" / "rules"
PROMTOOL_TESTS = ROOT / "prometheus" / "tests"
ALERTMANAGER_DIR = ROOT / "prometheus" / "alertmanager"
RUNBOOKS = ROOT / "docs" / "runbooks"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: run scripts/setup.sh (Debian: prometheus, prometheus-alertmanager)"
        )
    return path


def run(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=240)
