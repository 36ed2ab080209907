"""The rules generator: committed output is current, output is deterministic, --check catches drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from agent_telemetry.tooling.rules import ALERTS_FILE, RECORDING_FILE, generate, load_thresholds

from ._tools import ROOT, RULES_DIR, THRESHOLDS, run, tool

ALERTS = {
    "AgentHighErrorRate",
    "AgentHighLatencyP95",
    "AgentDailyBudgetWarning",
    "AgentDailyBudgetExceeded",
    "AgentCostSpike",
    "AgentRateLimitStorm",
    "AgentToolErrorRate",
    "AgentQualityDrift",
    "AgentRunSuccessRateLow",
    "AgentRunDurationHigh",
    "AgentRunCostHigh",
    "AgentRequestRateSpike",
    "AgentRequestRateDrop",
    "AgentLatencyAnomaly",
    "AgentTokensPerCallAnomaly",
    "AgentAvailabilityErrorBudgetBurn",
    "AgentLatencyErrorBudgetBurn",
    "AgentTelemetryAbsent",
    "CollectorDown",
    "CollectorDroppingData",
    "TelemetryLabelsFolded",
    "Watchdog",
}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "agent_telemetry", "rules", "generate", *args)


def _alerts(content: str) -> list[dict]:
    return [rule for group in yaml.safe_load(content)["groups"] for rule in group["rules"] if "alert" in rule]


def test_committed_rule_files_are_what_the_generator_writes():
    files = generate(THRESHOLDS)
    assert sorted(files) == [ALERTS_FILE, RECORDING_FILE]
    for name, content in files.items():
        assert (RULES_DIR / name).read_text() == content, f"{name} is stale: run rules generate"


def test_generation_is_deterministic():
    assert generate(THRESHOLDS) == generate(THRESHOLDS)
    assert generate(THRESHOLDS, "test") == generate(THRESHOLDS, "test")


def test_cli_writes_to_output_dir_and_check_passes_on_it(tmp_path: Path):
    result = _cli("--output-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [ALERTS_FILE, RECORDING_FILE]
    for name in (ALERTS_FILE, RECORDING_FILE):
        assert (tmp_path / name).read_text() == (RULES_DIR / name).read_text()
    assert _cli("--output-dir", str(tmp_path), "--check").returncode == 0


def test_check_exits_1_and_names_stale_and_missing_files(tmp_path: Path):
    assert _cli("--output-dir", str(tmp_path)).returncode == 0
    (tmp_path / ALERTS_FILE).write_text((tmp_path / ALERTS_FILE).read_text().replace("> 0.05", "> 0.5"))
    (tmp_path / RECORDING_FILE).unlink()
    result = _cli("--output-dir", str(tmp_path), "--check")
    assert result.returncode == 1
    assert f"stale: {tmp_path / ALERTS_FILE}" in result.stderr
    assert f"stale: {tmp_path / RECORDING_FILE}" in result.stderr


def test_committed_rules_pass_check_from_the_repository_root():
    result = _cli("--check")
    assert result.returncode == 0, result.stderr


def test_every_alert_is_generated_with_severity_and_annotations():
    alerts = _alerts(generate(THRESHOLDS)[ALERTS_FILE])
    assert {a["alert"] for a in alerts} == ALERTS
    for a in alerts:
        severity = a["labels"]["severity"]
        assert severity == ("none" if a["alert"] == "Watchdog" else severity)
        assert severity in {"critical", "warning", "info", "none"}
        assert set(a["annotations"]) == {"summary", "description", "value", "runbook_url"}
        assert a["annotations"]["runbook_url"] == (
            f"https://github.com/agent-telemetry/agent-telemetry/blob/main/docs/runbooks/{a['alert']}.md"
        )


def test_agent_alerts_name_the_agent_in_their_description():
    for a in _alerts(generate(THRESHOLDS)[ALERTS_FILE]):
        if a["alert"].startswith("Agent"):
            assert "{{ $labels.gen_ai_agent_name }}" in a["annotations"]["description"], a["alert"]
            assert "{{ $value" in a["annotations"]["value"] or a["alert"] == "AgentTelemetryAbsent"


def test_slo_burn_rate_alerts_follow_the_sre_workbook():
    burns = [a for a in _alerts(generate(THRESHOLDS)[ALERTS_FILE]) if a["alert"].endswith("ErrorBudgetBurn")]
    windows = {
        (a["alert"], a["labels"]["long_window"], a["labels"]["short_window"], a["labels"]["severity"])
        for a in burns
    }
    for name in ("AgentAvailabilityErrorBudgetBurn", "AgentLatencyErrorBudgetBurn"):
        assert {(n, lw, sw, s) for n, lw, sw, s in windows if n == name} == {
            (name, "1h", "5m", "critical"),
            (name, "6h", "30m", "critical"),
            (name, "1d", "2h", "warning"),
            (name, "3d", "6h", "warning"),
        }
    availability_page = next(
        a
        for a in burns
        if a["alert"] == "AgentAvailabilityErrorBudgetBurn" and a["labels"]["long_window"] == "1h"
    )
    assert "ratio_rate1h > 0.072" in availability_page["expr"]  # 14.4 x (1 - 0.995)
    assert "ratio_rate5m > 0.072" in availability_page["expr"]


def test_latency_slo_selects_the_10s_bucket_in_both_spellings():
    recording = generate(THRESHOLDS)[RECORDING_FILE]
    assert 'agent_request_duration_seconds_bucket{le=~"10(\\\\.0)?"}[5m]' in recording


def test_test_profile_keeps_expressions_and_shortens_windows():
    default = load_thresholds(THRESHOLDS)
    test = load_thresholds(THRESHOLDS, "test")
    assert (default.error_rate.critical, test.error_rate.critical) == (0.05, 0.05)
    assert (default.error_rate.window, test.error_rate.window) == ("5m", "1m")
    assert test.error_rate.for_ == "0s"
    alerts = _alerts(generate(THRESHOLDS, "test")[ALERTS_FILE])
    assert {a["alert"] for a in alerts} == ALERTS
    assert {a["alert"]: a["for"] for a in alerts if "for" in a} == {"CollectorDown": "30s"}
    error_rate = next(
        a for a in alerts if a["alert"] == "AgentHighErrorRate" and a["labels"]["severity"] == "critical"
    )
    assert error_rate["expr"] == (
        "gen_ai_agent_name:agent_requests_errors:ratio_rate1m > 0.05\n"
        "and on (gen_ai_agent_name)\n"
        "gen_ai_agent_name:agent_requests:rate1m * 60 >= 5\n"
    )


def test_generated_files_pass_promtool_check_rules_for_every_profile(tmp_path: Path):
    promtool = tool("promtool")
    for profile in ("default", "test"):
        out = tmp_path / profile
        assert _cli("--profile", profile, "--output-dir", str(out)).returncode == 0
        result = run(promtool, "check", "rules", out / RECORDING_FILE, out / ALERTS_FILE)
        assert result.returncode == 0, result.stdout + result.stderr


def test_main_cli_has_the_rules_command():
    result = run(sys.executable, "-m", "agent_telemetry", "rules", "generate", "--help")
    assert result.returncode == 0
    assert "--profile" in result.stdout and "--check" in result.stdout and "--output-dir" in result.stdout
    assert ROOT.is_dir()
