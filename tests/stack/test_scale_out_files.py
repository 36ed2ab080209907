"""The scale-out profile's committed files (Thanos, Prometheus in agent mode): valid for the real tools,
consistent with prometheus.yml and docker-compose.yml, and rendered for native runs by moving addresses only."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from agent_telemetry.tooling.stack import Stack, StackError, scale_out
from agent_telemetry.tooling.stack.binaries import engine_tool
from agent_telemetry.tooling.stack.native_configs import write_yaml
from agent_telemetry.tooling.stack.ports import Ports
from agent_telemetry.tooling.stack.receiver_files import load_compose_file
from agent_telemetry.tooling.stack.scale_out import INGESTORS, ScaleOutPorts

PORTS = Ports(prometheus=3, alertmanager=4, collector_metrics=5)
SCALE = ScaleOutPorts(*range(100, 100 + len(ScaleOutPorts.__dataclass_fields__)))


def _jobs(config: dict) -> dict[str, dict]:
    return {job["job_name"]: job for job in config["scrape_configs"]}


def test_the_agent_scrapes_what_prometheus_yml_scrapes_and_the_thanos_components(project_files):
    single = _jobs(yaml.safe_load(project_files.prometheus_config.read_text()))
    agent = _jobs(yaml.safe_load(project_files.prometheus_scale_out_config.read_text()))
    collector = {
        **single["otel-collector"],
        "static_configs": [{"targets": ["otel-collector-scale-out:8888"]}],
    }
    assert {**single, "otel-collector": collector} == {k: v for k, v in agent.items() if k != "thanos"}
    thanos_targets = agent["thanos"]["static_configs"][0]["targets"]
    assert thanos_targets == [
        f"{name}:10902" for name in (scale_out.ROUTER, *INGESTORS, scale_out.QUERY, scale_out.RULE)
    ]


def test_the_rendered_agent_config_moves_only_addresses(project_files):
    committed = yaml.safe_load(project_files.prometheus_scale_out_config.read_text())
    rendered = scale_out.prometheus_agent_config(project_files, PORTS, SCALE, "1s")
    assert rendered["global"] == {"scrape_interval": "1s"}
    assert rendered["remote_write"] == [
        {"url": f"http://127.0.0.1:{SCALE.router_remote_write}/api/v1/receive"}
    ]
    targets = {name: job["static_configs"][0]["targets"] for name, job in _jobs(rendered).items()}
    assert targets == {
        "prometheus": ["127.0.0.1:3"],
        "otel-collector": ["127.0.0.1:5"],
        "alertmanager": ["127.0.0.1:4"],
        "thanos": [
            f"127.0.0.1:{SCALE.of(name, 'http')}"
            for name in (scale_out.ROUTER, *INGESTORS, scale_out.QUERY, scale_out.RULE)
        ],
    }
    assert {k: v for k, v in rendered.items() if k not in {"global", "remote_write", "scrape_configs"}} == {
        k: v for k, v in committed.items() if k not in {"global", "remote_write", "scrape_configs"}
    }


def test_promtool_accepts_the_committed_and_rendered_agent_config(project_files, tmp_path):
    rendered = write_yaml(
        scale_out.prometheus_agent_config(project_files, PORTS, SCALE, "1s"),
        tmp_path / "agent.yml",
        project_files.prometheus_scale_out_config,
    )
    promtool = str(engine_tool(project_files, "promtool"))
    for path in (project_files.prometheus_scale_out_config, rendered):
        result = subprocess.run(
            [promtool, "check", "config", "--agent", str(path)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_hashring_names_the_three_ingestors_compose_runs(project_files):
    (ring,) = json.loads(project_files.thanos_hashring.read_text())
    services = load_compose_file(project_files.root / "docker-compose.yml")["services"]
    local_endpoints = [
        next(
            a.split("=", 1)[1] for a in services[name]["command"] if a.startswith("--receive.local-endpoint=")
        )
        for name in INGESTORS
    ]
    assert ring["endpoints"] == local_endpoints == [f"{name}:10901" for name in INGESTORS]


def test_compose_replicates_as_native_runs_do(project_files, tmp_path):
    """The router's replication factor and the querier's replica label, compose and native alike."""
    services = load_compose_file(project_files.root / "docker-compose.yml")["services"]
    native = {
        launch.name: launch.argv
        for launch in scale_out.launches(
            project_files,
            tmp_path / "thanos",
            tmp_path / "prometheus",
            tmp_path,
            PORTS,
            SCALE,
            [],
            None,
            None,
        )
    }
    for name, flag in (
        (scale_out.ROUTER, f"--receive.replication-factor={scale_out.REPLICATION_FACTOR}"),
        (scale_out.QUERY, f"--query.replica-label={scale_out.REPLICA_LABEL}"),
        (scale_out.RULE, f"--alert.label-drop={scale_out.TENANT_LABEL}"),
    ):
        assert flag in services[name]["command"] and flag in native[name], name
    for index, name in enumerate(INGESTORS):
        label = f'--label={scale_out.REPLICA_LABEL}="{index}"'
        assert label in services[name]["command"] and label in native[name], name


def test_the_rendered_hashring_points_at_this_runs_ingestors(project_files, tmp_path):
    scale_out.launches(project_files, tmp_path / "t", tmp_path / "p", tmp_path, PORTS, SCALE, [], None, None)
    (ring,) = json.loads((tmp_path / "hashring.json").read_text())
    assert ring["endpoints"] == [f"127.0.0.1:{SCALE.of(name, 'grpc')}" for name in INGESTORS]


def test_ha_and_scale_out_are_refused_together_with_what_to_do(project_files, tmp_path):
    with pytest.raises(StackError, match=r"^--ha and --scale-out are two topologies: pick one$"):
        Stack.start(tmp_path, ha=True, scale_out=True, files=project_files)
