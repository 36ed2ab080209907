"""The collector tiers' and short-lived overlay's files: what they route by, and that compose runs them."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from tests.stack.test_ha_files import _compose_services


def _collector_file(project_files, name: str) -> dict:
    return yaml.safe_load((project_files.collector_config.parent / name).read_text())


def test_the_agent_collector_routes_metrics_by_process_and_traces_and_events_by_trace_id(project_files):
    agent = _collector_file(project_files, "agent.yaml")
    pipelines = agent["service"]["pipelines"]
    routing = {
        signal: agent["exporters"][name]["routing_key"]
        for signal, pipeline in pipelines.items()
        for name in pipeline["exporters"]
    }
    assert routing == {"metrics": "resource", "traces": "traceID", "logs": "traceID"}


def test_the_agent_collector_finds_the_gateways_by_dns_and_reroutes_what_a_dead_one_refused(project_files):
    exporters = _collector_file(project_files, "agent.yaml")["exporters"]
    for exporter in exporters.values():
        assert exporter["resolver"]["dns"]["hostname"] == "${env:GATEWAY_HOSTNAME:-otel-gateway}"
        assert exporter["retry_on_failure"]["enabled"] is True  # back to the ring, not to the same gateway
        assert exporter["protocol"]["otlp"]["retry_on_failure"] == {"enabled": False}


def test_short_lived_deltas_are_restamped_after_batch_and_summed_after_that(project_files):
    processors = _collector_file(project_files, "short-lived.yaml")["service"]["pipelines"]["metrics"][
        "processors"
    ]
    assert processors == [
        "memory_limiter",
        "transform/short_lived",
        "batch",  # one goroutine: arrival order is the order the restamped times follow
        "transform/restamp_deltas",
        "delta_to_cumulative",
        "interval",
    ]


def test_the_agent_collector_drops_the_instance_of_deltas_exactly_as_the_gateway_does(project_files):
    agent = _collector_file(project_files, "agent.yaml")["processors"]["transform/short_lived"]
    gateway = _collector_file(project_files, "short-lived.yaml")["processors"]["transform/short_lived"]
    assert agent == gateway


def test_compose_gateways_run_config_yaml_with_the_single_collectors_image_and_addresses(project_files):
    default = _compose_services(project_files.root / "docker-compose.yml")
    tiers = _compose_services(project_files.root / "docker-compose.gateways.yml")
    gateway, collector = tiers["otel-gateway"], default["otel-collector"]
    assert gateway["image"] == collector["image"]
    assert gateway["command"] == [*collector["command"], "--config=/etc/otelcol/short-lived.yaml"]
    assert gateway["environment"] == collector["environment"]
    assert gateway["deploy"]["replicas"] >= 2
    assert "ports" not in gateway  # only the agent collector is reached from outside compose
    assert tiers["otel-collector"]["command"] == ["--config=/etc/otelcol/agent.yaml"]
    assert tiers["otel-collector"]["environment"] == {"GATEWAY_HOSTNAME": "otel-gateway"}
    mounts = {v.split(":")[0] for s in tiers.values() for v in s.get("volumes", []) if v.startswith("./")}
    assert mounts == {
        f"./otel-collector/{name}" for name in ("agent.yaml", "config.yaml", "short-lived.yaml")
    }


@pytest.mark.e2e  # needs the collector built (minutes the first time)
@pytest.mark.parametrize("configs", [["agent.yaml"], ["config.yaml", "short-lived.yaml"]])
def test_collector_validates_the_tier_and_overlay_configs(project_files, collector_binary, configs):
    argv = [str(collector_binary), "validate"]
    for name in configs:
        argv += ["--config", str(project_files.collector_config.parent / name)]
    result = subprocess.run(argv, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
