"""The committed stack files: valid for the real tools, consistent with each other and with compose."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from agent_telemetry.tooling.stack import native_configs
from agent_telemetry.tooling.stack.binaries import cached_collector, engine_tool
from agent_telemetry.tooling.stack.ports import Ports

PORTS = Ports(otlp_grpc=1, otlp_http=2, prometheus=3, alertmanager=4, collector_metrics=5, health_check=6)


def test_promtool_accepts_the_committed_and_rendered_prometheus_config(project_files, tmp_path):
    rendered = native_configs.write_yaml(
        native_configs.prometheus_config(project_files.prometheus_config, PORTS, "1s", "2s"),
        tmp_path / "prometheus.yml",
        project_files.prometheus_config,
    )
    promtool = str(engine_tool(project_files, "promtool"))
    for path in (project_files.prometheus_config, rendered):
        result = subprocess.run([promtool, "check", "config", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_rendered_prometheus_config_only_moves_ports_paths_and_intervals(project_files):
    committed = yaml.safe_load(project_files.prometheus_config.read_text())
    rendered = native_configs.prometheus_config(project_files.prometheus_config, PORTS, "1s", None)
    assert rendered["global"] == {**committed["global"], "evaluation_interval": "1s"}
    assert rendered["rule_files"] == [str(project_files.root / "prometheus" / "rules" / "*.yml")]
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in rendered["scrape_configs"]}
    assert targets == {
        "prometheus": ["127.0.0.1:3"],
        "otel-collector": ["127.0.0.1:5"],
        "alertmanager": ["127.0.0.1:4"],
    }
    assert rendered["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["127.0.0.1:4"]


def test_render_refuses_an_unknown_target(tmp_path):
    source = tmp_path / "prometheus.yml"
    source.write_text(
        "scrape_configs:\n  - job_name: x\n    static_configs:\n      - targets: ['grafana:3000']\n"
    )
    with pytest.raises(native_configs.RenderError, match="grafana:3000"):
        native_configs.prometheus_config(source, PORTS)


def test_alertmanager_render_points_webhooks_at_the_given_url(tmp_path):
    source = tmp_path / "alertmanager.yml"
    source.write_text(
        yaml.safe_dump(
            {
                "templates": ["templates/*.tmpl"],
                "route": {"receiver": "hook"},
                "receivers": [
                    {
                        "name": "hook",
                        "webhook_configs": [{"url_file": "/etc/alertmanager/secrets/webhook_url"}],
                    },
                    {"name": "slack", "slack_configs": [{"api_url_file": "secrets/slack", "channel": "#a"}]},
                ],
            }
        )
    )
    config = native_configs.alertmanager_config(source, "http://127.0.0.1:1234/alerts")
    assert config["templates"] == [str(tmp_path / "templates" / "*.tmpl")]
    assert config["receivers"][0]["webhook_configs"] == [{"url": "http://127.0.0.1:1234/alerts"}]
    assert config["receivers"][1]["slack_configs"][0]["api_url_file"] == str(tmp_path / "secrets" / "slack")
    # Without a URL, a url_file webhook (unknown to Alertmanager 0.25) gets a local dead end.
    config = native_configs.alertmanager_config(source, None)
    assert config["receivers"][0]["webhook_configs"] == [{"url": native_configs.NO_WEBHOOK_URL}]


def test_amtool_accepts_the_rendered_alertmanager_config(project_files, tmp_path):
    rendered = native_configs.write_yaml(
        native_configs.alertmanager_config(project_files.alertmanager_config, "http://127.0.0.1:1/alerts"),
        tmp_path / "alertmanager.yml",
        None,
    )
    result = subprocess.run(
        [str(engine_tool(project_files, "amtool")), "check-config", str(rendered)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.e2e  # needs the collector built (minutes the first time)
def test_collector_validates_the_committed_config(project_files, collector_binary):
    result = subprocess.run(
        [str(collector_binary), "validate", "--config", str(project_files.collector_config)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def _config_component_types(config: dict) -> dict[str, set[str]]:
    return {
        kind: {name.split("/")[0] for name in config.get(kind) or {}}
        for kind in ("receivers", "processors", "exporters", "extensions")
    }


@pytest.mark.e2e  # needs the collector built (minutes the first time)
def test_builder_manifest_has_exactly_the_components_config_uses(project_files, collector_binary):
    built = yaml.safe_load(
        subprocess.run(
            [str(collector_binary), "components"], capture_output=True, text=True, check=True
        ).stdout
    )
    built_types = {kind: {c["name"] for c in built.get(kind) or []} for kind in _config_component_types({})}
    # config.yaml and the files run with or instead of it: the HA and short-lived overlays, the agent tier.
    configs = set(project_files.collector_config.parent.glob("*.yaml")) - {project_files.collector_manifest}
    used: dict[str, set[str]] = {kind: set() for kind in built_types}
    for config in configs:
        for kind, types in _config_component_types(yaml.safe_load(config.read_text())).items():
            used[kind] |= types
    assert built_types == used


def _manifest_version(project_files) -> str:
    versions = set(re.findall(r"gomod: \S+ v(\d+\.\d+\.\d+)", project_files.collector_manifest.read_text()))
    assert len(versions) == 1, f"one version for every component, got {versions}"
    return versions.pop()


def test_compose_pins_the_collector_version_and_binds_loopback(project_files):
    compose = yaml.safe_load((project_files.root / "docker-compose.yml").read_text())
    services = compose["services"]
    assert (
        services["otel-collector"]["image"]
        == f"otel/opentelemetry-collector-contrib:{_manifest_version(project_files)}"
    )
    for name, service in services.items():
        assert ":" in service["image"] and not service["image"].endswith(":latest"), name
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)
        if service.get("ports"):  # what others connect to must say when it is ready
            assert service["healthcheck"]["test"], name
    mounts = {
        volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
        if volume.startswith("./")
    }
    for committed in ("./otel-collector/config.yaml", "./prometheus/prometheus.yml"):
        assert committed in mounts
        assert (project_files.root / committed).is_file()


@pytest.mark.e2e  # needs the collector built (minutes the first time)
def test_build_script_returns_the_cached_binary_at_once(project_files, collector_binary):
    result = subprocess.run(
        [str(project_files.build_collector_script)], capture_output=True, text=True, check=True
    )
    assert result.stderr == ""  # no ocb install, no build: it says nothing and names the cached binary
    assert Path(result.stdout.splitlines()[-1]) == collector_binary
    assert cached_collector(project_files) == collector_binary  # Python computes the same cache key
