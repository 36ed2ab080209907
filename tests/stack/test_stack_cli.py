"""`agent-telemetry stack up|status|down` as a user runs them, in subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from agent_telemetry.tooling.stack.binaries import engine_version
from agent_telemetry.tooling.stack.process import is_running
from agent_telemetry.tooling.stack.readiness import http_ok

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent_telemetry", "stack", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_up_status_down_leaves_no_process(tmp_path, collector_binary):
    state_dir = str(tmp_path / "state")
    try:
        up = _cli("up", "--state-dir", state_dir, "--free-ports")
        assert up.returncode == 0, up.stderr
        urls = dict(line.split(": ", 1) for line in up.stdout.splitlines() if not line.startswith("state:"))
        assert http_ok(f"{urls['prometheus']}/-/ready")
        assert http_ok(f"{urls['alertmanager']}/-/ready")
        assert http_ok(urls["collector_health"])
        assert http_ok(f"{urls['jaeger']}/api/services")  # the query API Grafana reads
        assert urls["alert_log"] == str(tmp_path / "state" / "alerts.log")

        state = json.loads((tmp_path / "state" / "stack.json").read_text())
        pids = {s["name"]: s["pid"] for s in state["services"]}
        assert set(pids) == {
            "alert-log", "otel-collector", "prometheus", "alertmanager", "victorialogs", "jaeger"
        }  # fmt: skip
        assert http_ok(f"{urls['victorialogs']}/health")
        for name in ("otel-collector", "prometheus", "alertmanager", "victorialogs", "jaeger"):
            assert (tmp_path / "state" / f"{name}.log").stat().st_size > 0

        status = _cli("status", "--state-dir", state_dir)
        assert status.returncode == 0
        assert status.stdout.count(": running") == 6

        again = _cli("up", "--state-dir", state_dir, "--free-ports")
        assert again.returncode == 1
        assert "already running" in again.stderr
    finally:
        down = _cli("down", "--state-dir", state_dir)
    assert down.returncode == 0, down.stderr
    assert "stack stopped" in down.stdout
    assert "killed" not in down.stdout  # all five stop on SIGTERM
    assert not [name for name, pid in pids.items() if is_running(pid)]
    assert not http_ok(f"{urls['prometheus']}/-/ready")
    assert not (tmp_path / "state" / "stack.json").exists()
    assert _cli("status", "--state-dir", state_dir).returncode == 1


def test_missing_binaries_are_named_with_how_to_get_them(tmp_path, project_files):
    # A PATH with Go but no Prometheus, Alertmanager or Jaeger, and an empty collector cache.
    go = shutil.which("go")
    go_dir = str(Path(go).parent) if go else str(tmp_path / "no-go")
    env = {k: v for k, v in os.environ.items() if k != "AGENT_TELEMETRY_OTELCOL"}
    env |= {"PATH": go_dir, "AGENT_TELEMETRY_CACHE": str(tmp_path / "empty-cache")}
    result = _cli("up", "--state-dir", str(tmp_path / "state"), "--free-ports", env=env)
    assert result.returncode == 3
    assert "missing: OpenTelemetry Collector (otelcol-agent-telemetry)" in result.stderr
    assert "scripts/build-collector.sh" in result.stderr
    # The pinned releases (versions.env): a distribution's older Prometheus on PATH would not do.
    for engine in ("prometheus", "alertmanager", "jaeger"):
        hint = f"get it with: {project_files.build_engines_script} {engine} (needs Go)"
        assert f"missing: {engine} {engine_version(project_files, engine)}\n  {hint}" in result.stderr
    assert not (tmp_path / "state" / "stack.json").exists()


def test_up_points_every_alertmanager_webhook_at_its_alert_log(tmp_path, collector_binary):
    state_dir = tmp_path / "state"
    try:
        up = _cli("up", "--state-dir", str(state_dir), "--free-ports")
        assert up.returncode == 0, up.stderr
        port = json.loads((state_dir / "stack.json").read_text())["ports"]["alert_log"]
        rendered = yaml.safe_load((state_dir / "alertmanager.yml").read_text())
        webhooks = {
            config["url"]
            for receiver in rendered["receivers"]
            for config in receiver.get("webhook_configs", [])
        }
        assert webhooks == {f"http://127.0.0.1:{port}/alerts", f"http://127.0.0.1:{port}/heartbeat"}
        assert http_ok(f"http://127.0.0.1:{port}/-/ready")
    finally:
        _cli("down", "--state-dir", str(state_dir))


def test_up_ha_runs_two_prometheus_replicas_and_a_cluster_of_three_alertmanagers(tmp_path, collector_binary):
    state_dir = str(tmp_path / "state")
    try:
        up = _cli("up", "--ha", "--state-dir", state_dir, "--free-ports")
        assert up.returncode == 0, up.stderr
        urls = dict(line.split(": ", 1) for line in up.stdout.splitlines() if not line.startswith("state:"))
        state = json.loads((tmp_path / "state" / "stack.json").read_text())
        pids = {s["name"]: s["pid"] for s in state["services"]}
        assert set(pids) == {
            "alert-log",
            "otel-collector",
            "prometheus",
            "prometheus-b",
            "alertmanager",
            "alertmanager-b",
            "alertmanager-c",
            "victorialogs",
            "jaeger",
        }
        for replica, label in (("prometheus", "a"), ("prometheus_b", "b")):
            config = yaml.safe_load((tmp_path / "state" / f"{replica.replace('_', '-')}.yml").read_text())
            assert config["global"]["external_labels"] == {"replica": label}
            assert http_ok(f"{urls[replica]}/-/ready")
        # One gossip cluster: every member lists all three (joining takes a moment after readiness).
        deadline = time.monotonic() + 30
        while (peers := [_cluster_peers(urls[am]) for am in AM_URLS]) != [3, 3, 3]:
            assert time.monotonic() < deadline, peers
            time.sleep(0.2)
        assert _cli("status", "--state-dir", state_dir).stdout.count(": running") == 9
    finally:
        down = _cli("down", "--state-dir", state_dir)
    assert down.returncode == 0, down.stderr
    assert "killed" not in down.stdout
    assert not [name for name, pid in pids.items() if is_running(pid)]


AM_URLS = ("alertmanager", "alertmanager_b", "alertmanager_c")


def _cluster_peers(alertmanager_url: str) -> int:
    with urllib.request.urlopen(f"{alertmanager_url}/api/v2/status", timeout=5) as response:
        return len(json.load(response)["cluster"]["peers"])
