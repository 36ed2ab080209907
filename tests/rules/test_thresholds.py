"""prometheus/thresholds.yaml is validated on load, with errors that name the bad key."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent_telemetry.tooling.rules import ThresholdsError, parse_thresholds, profile_names

from ._tools import THRESHOLDS, run


def _document() -> dict[str, Any]:
    return yaml.safe_load(THRESHOLDS.read_text())


def _error(document: dict[str, Any], profile: str = "default") -> str:
    with pytest.raises(ThresholdsError) as info:
        parse_thresholds(document, profile, "thresholds.yaml")
    return str(info.value)


def test_the_shipped_file_and_its_profiles_are_valid():
    assert profile_names(THRESHOLDS) == ("default", "test")
    for profile in profile_names(THRESHOLDS):
        parse_thresholds(_document(), profile)


def test_misspelt_key_is_named():
    doc = _document()
    doc["error_rate"]["critcal"] = doc["error_rate"].pop("critical")
    message = _error(doc)
    assert "thresholds.yaml (profile default): invalid thresholds:" in message
    assert "error_rate.critcal: unknown key" in message
    assert "error_rate.critical: required key is missing" in message


def test_unknown_top_level_section_is_named():
    doc = _document()
    doc["latency_p95"] = {"warning_seconds": 10}
    assert "latency_p95: unknown key" in _error(doc)


def test_bad_duration_is_named_with_its_value():
    doc = _document()
    doc["latency"]["for"] = "10 minutes"
    assert "latency.for: '10 minutes' is not a Prometheus duration" in _error(doc)


def test_ratio_out_of_range_is_named():
    doc = _document()
    doc["error_rate"]["critical"] = 5
    assert "error_rate.critical: Input should be less than or equal to 1" in _error(doc)


def test_warning_must_be_below_critical():
    doc = _document()
    doc["error_rate"]["warning"] = 0.1
    assert "error_rate: warning (0.1) must be below critical (0.05)" in _error(doc)


def test_latency_thresholds_must_be_bucket_boundaries():
    doc = _document()
    doc["slo"]["latency"]["threshold_seconds"] = 8
    assert "slo.latency: threshold_seconds 8.0 is not a bucket boundary" in _error(doc)


def test_unknown_ignored_error_type_is_named():
    doc = _document()
    doc["ignored_error_types"] = ["cancelled", "canceled"]
    assert "ignored_error_types: unknown ['canceled']" in _error(doc)


def test_unreachable_burn_rate_is_rejected():
    doc = _document()
    doc["slo"]["latency"]["target"] = 0.9  # 14.4 x 10% = 144%: can never fire
    assert "burn rate 14.4 over 1h can never fire for the latency target 0.9" in _error(doc)


def test_errors_in_a_profile_name_the_profile_and_key():
    doc = _document()
    doc["profiles"]["test"]["latency"]["windw"] = "1m"
    assert "thresholds.yaml (profile test): invalid thresholds:\n  latency.windw: unknown key" in _error(
        doc, "test"
    )


def test_unknown_profile_lists_the_known_ones():
    assert "profile staging): no such profile; known: ['default', 'test']" in _error(_document(), "staging")


def test_cli_reports_invalid_thresholds_and_exits_2(tmp_path: Path):
    doc = _document()
    doc["cost_spike"]["zscore"] = doc["cost_spike"].pop("z_score")
    bad = tmp_path / "thresholds.yaml"
    bad.write_text(yaml.safe_dump(doc))
    result = run(
        sys.executable,
        "-m",
        "agent_telemetry",
        "rules",
        "generate",
        "--thresholds",
        bad,
        "--output-dir",
        tmp_path / "out",
    )
    assert result.returncode == 2
    assert "cost_spike.zscore: unknown key" in result.stderr
    assert "cost_spike.z_score: required key is missing" in result.stderr
    assert not (tmp_path / "out").exists()
