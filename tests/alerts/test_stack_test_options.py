"""The stack runner's options for alert tests: another rules directory, short Alertmanager timings, and
webhook URLs that keep their committed paths. Rendering only (fast), checked by promtool/amtool."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from agent_telemetry.tooling.stack import ProjectFiles, native_configs
from agent_telemetry.tooling.stack.binaries import engine_tool
from agent_telemetry.tooling.stack.ports import Ports

PORTS = Ports(otlp_grpc=1, otlp_http=2, prometheus=3, alertmanager=4, collector_metrics=5, health_check=6)
TIMINGS = {"group_wait": "1s", "group_interval": "2s", "repeat_interval": "1m"}


def _tool(name: str, files: ProjectFiles) -> str:
    path = engine_tool(files, name)
    # scripts/setup.sh builds promtool and amtool: a missing one is a failed set-up, never a skip.
    assert path is not None, f"{name} at the version in versions.env is missing: run scripts/setup.sh"
    return str(path)


def test_rule_files_can_point_at_generated_rules(alerts_project_files: ProjectFiles, profile_rules_dir: Path):
    rendered = native_configs.prometheus_config(
        alerts_project_files.prometheus_config, PORTS, "1s", "1s", [profile_rules_dir / "*.yml"]
    )
    assert rendered["rule_files"] == [str(profile_rules_dir / "*.yml")]
    # Without the option, the committed rules (absolute) as before.
    default = native_configs.prometheus_config(alerts_project_files.prometheus_config, PORTS)
    assert default["rule_files"] == [str(alerts_project_files.root / "prometheus" / "rules" / "*.yml")]


def test_promtool_accepts_the_config_with_the_test_profile_rules(
    alerts_project_files: ProjectFiles, profile_rules_dir: Path, tmp_path: Path
):
    config = native_configs.write_yaml(
        native_configs.prometheus_config(
            alerts_project_files.prometheus_config, PORTS, "1s", "1s", [profile_rules_dir / "*.yml"]
        ),
        tmp_path / "prometheus.yml",
        None,
    )
    result = subprocess.run(
        [_tool("promtool", alerts_project_files), "check", "config", str(config)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 2 rule files found" in result.stdout, result.stdout


def test_route_timings_override_the_root_route_only(alerts_project_files: ProjectFiles):
    committed = yaml.safe_load(alerts_project_files.alertmanager_config.read_text())
    rendered = native_configs.alertmanager_config(
        alerts_project_files.alertmanager_config, "http://h/x", TIMINGS
    )
    assert {k: rendered["route"][k] for k in TIMINGS} == TIMINGS
    # Routes with timings of their own (the heartbeat's, the critical repeat) keep them.
    assert rendered["route"]["routes"] == committed["route"]["routes"]
    untouched = native_configs.alertmanager_config(alerts_project_files.alertmanager_config, "http://h/x")
    assert untouched["route"] == committed["route"]


def test_unknown_route_timing_is_refused(alerts_project_files: ProjectFiles):
    with pytest.raises(native_configs.RenderError, match="group_waits"):
        native_configs.alertmanager_config(
            alerts_project_files.alertmanager_config, None, {"group_waits": "1s"}
        )


def test_path_placeholder_keeps_each_webhooks_committed_path(alerts_project_files: ProjectFiles):
    rendered = native_configs.alertmanager_config(
        alerts_project_files.alertmanager_config, "http://127.0.0.1:5{path}"
    )
    urls = {
        receiver["name"]: [hook["url"] for hook in receiver["webhook_configs"]]
        for receiver in rendered["receivers"]
        if receiver.get("webhook_configs")
    }
    assert urls == {"webhook": ["http://127.0.0.1:5/alerts"], "heartbeat": ["http://127.0.0.1:5/heartbeat"]}
    # Without the placeholder every webhook gets the URL as given, as before.
    plain = native_configs.alertmanager_config(
        alerts_project_files.alertmanager_config, "http://127.0.0.1:5/all"
    )
    assert {h["url"] for r in plain["receivers"] for h in r.get("webhook_configs") or []} == {
        "http://127.0.0.1:5/all"
    }


def test_amtool_accepts_the_rendered_test_config(alerts_project_files: ProjectFiles, tmp_path: Path):
    config = native_configs.write_yaml(
        native_configs.alertmanager_config(
            alerts_project_files.alertmanager_config, "http://127.0.0.1:5{path}", TIMINGS
        ),
        tmp_path / "alertmanager.yml",
        None,
    )
    result = subprocess.run(
        [_tool("amtool", alerts_project_files), "check-config", str(config)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
