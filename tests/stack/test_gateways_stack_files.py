"""`stack up --gateways`: the static gateway overlay and how the native tiers are wired (no process runs,
except the collector's own `validate`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from agent_telemetry.tooling.stack import Stack, StackError
from agent_telemetry.tooling.stack.gateways import AGENT_COLLECTOR, GATEWAYS, GatewayPorts, launches
from agent_telemetry.tooling.stack.ports import Ports

PORTS = Ports(otlp_grpc=1, otlp_http=2, health_check=3, collector_metrics=4)
GATEWAY_PORTS = GatewayPorts(*range(100, 100 + len(GatewayPorts.__dataclass_fields__)))
STORES = {"PROMETHEUS_REMOTE_WRITE_URL": "http://127.0.0.1:9/api/v1/write", "COLLECTOR_METRICS_HOST": "x"}


def test_the_static_overlay_replaces_the_dns_resolver_of_every_load_balancer_of_agent_yaml(project_files):
    agent = yaml.safe_load(project_files.collector_agent_config.read_text())["exporters"]
    overlay = yaml.safe_load(project_files.collector_gateways_static_config.read_text())["exporters"]
    assert set(overlay) == set(agent)
    for exporter in overlay.values():
        assert exporter["resolver"] == {"dns": None, "static": {"hostnames": "${env:GATEWAY_ENDPOINTS}"}}


def test_the_agent_collector_retries_a_refused_batch_with_backoff_not_in_a_tight_loop(project_files):
    agent = yaml.safe_load(project_files.collector_agent_config.read_text())["exporters"]
    for exporter in agent.values():
        assert exporter["retry_on_failure"] == {
            "enabled": True,
            "max_elapsed_time": "0s",
            "initial_interval": "1s",
            "max_interval": "5s",
            "multiplier": 1.5,
            "randomization_factor": 0.5,
        }


def test_the_gateways_run_config_yaml_and_short_lived_yaml_with_the_single_collectors_stores(project_files):
    tiers = {
        launch.name: launch
        for launch in launches(project_files, Path("otelcol"), PORTS, GATEWAY_PORTS, STORES)
    }
    assert list(tiers) == [*GATEWAYS, AGENT_COLLECTOR]  # stopped in reverse: the agent collector first
    gateway = tiers["otel-gateway-2"]
    configs = [project_files.collector_config, project_files.collector_short_lived_config]
    assert gateway.argv == ["otelcol", *(arg for c in configs for arg in ("--config", str(c)))]
    assert gateway.env == {
        "PROMETHEUS_REMOTE_WRITE_URL": "http://127.0.0.1:9/api/v1/write",
        "OTLP_GRPC_ENDPOINT": "127.0.0.1:104",
        "OTLP_HTTP_ENDPOINT": "127.0.0.1:105",
        "HEALTH_CHECK_ENDPOINT": "127.0.0.1:106",
        "COLLECTOR_METRICS_HOST": "127.0.0.1",
        "COLLECTOR_METRICS_PORT": "107",
    }
    assert gateway.ready_url == "http://127.0.0.1:106/"


def test_the_agent_collector_takes_the_single_collectors_ports_and_lists_both_gateways(project_files):
    agent = launches(project_files, Path("otelcol"), PORTS, GATEWAY_PORTS, STORES)[-1]
    configs = [project_files.collector_agent_config, project_files.collector_gateways_static_config]
    assert agent.argv == ["otelcol", *(arg for c in configs for arg in ("--config", str(c)))]
    assert agent.env == {
        "OTLP_GRPC_ENDPOINT": "127.0.0.1:1",
        "OTLP_HTTP_ENDPOINT": "127.0.0.1:2",
        "GATEWAY_ENDPOINTS": "[127.0.0.1:100, 127.0.0.1:104]",
        "HEALTH_CHECK_ENDPOINT": "127.0.0.1:3",
        "COLLECTOR_METRICS_HOST": "127.0.0.1",
        "COLLECTOR_METRICS_PORT": "4",
    }


def test_gateways_and_ha_are_refused_together_with_what_to_do(project_files, tmp_path):
    with pytest.raises(StackError, match=r"^--gateways and --ha do not combine yet: pick one$"):
        Stack.start(tmp_path, ha=True, gateways=True, files=project_files)


@pytest.mark.e2e  # needs the collector built (minutes the first time)
def test_collector_validates_agent_yaml_with_the_static_overlay(project_files, collector_binary):
    configs = [project_files.collector_agent_config, project_files.collector_gateways_static_config]
    argv = [str(collector_binary), "validate", *(arg for c in configs for arg in ("--config", str(c)))]
    env = {**os.environ, "GATEWAY_ENDPOINTS": "[127.0.0.1:14317, 127.0.0.1:24317]"}
    result = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0, result.stderr
