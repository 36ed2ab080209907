"""Prometheus recording and alerting rules generated from ``prometheus/thresholds.yaml``.

``python -m agent_telemetry rules generate [--profile test] [--output-dir DIR] [--check]``.
"""

from __future__ import annotations

from pathlib import Path

from agent_telemetry.tooling.rules.config import (
    DEFAULT_PROFILE,
    Thresholds,
    ThresholdsError,
    load_thresholds,
    parse_thresholds,
    profile_names,
)
from agent_telemetry.tooling.rules.rule_files import ALERTS_FILE, RECORDING_FILE, render


def generate(thresholds_path: Path, profile: str = DEFAULT_PROFILE) -> dict[str, str]:
    """File name -> content of the rule files for ``profile``."""
    return render(load_thresholds(thresholds_path, profile), profile)


__all__ = [
    "ALERTS_FILE",
    "DEFAULT_PROFILE",
    "RECORDING_FILE",
    "Thresholds",
    "ThresholdsError",
    "generate",
    "load_thresholds",
    "parse_thresholds",
    "profile_names",
]
