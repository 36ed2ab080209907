"""Jaeger's committed config (jaeger/config.yaml): valid for the built release, run as it is by compose
and natively, and wired to the collector on one side and to Grafana's Jaeger data source on the other."""

from __future__ import annotations

import re
import subprocess
from urllib.parse import urlsplit

import yaml

from agent_telemetry.tooling.dashboards.datasources import JAEGER
from agent_telemetry.tooling.stack.binaries import engine_tool
from agent_telemetry.tooling.stack.ports import Ports
from agent_telemetry.tooling.stack.stack import jaeger_env, jaeger_urls


def _config_defaults(project_files) -> dict[str, str]:
    """Each ``${env:NAME:-default}`` of jaeger/config.yaml: {NAME: default}."""
    lines = project_files.jaeger_config.read_text().splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    return dict(re.findall(r"\$\{env:(\w+):-([^}]*)\}", text))


def _compose_services(project_files) -> dict:
    return yaml.safe_load((project_files.root / "docker-compose.yml").read_text())["services"]


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def test_the_built_jaeger_validates_the_committed_config(project_files):
    jaeger = engine_tool(project_files, "jaeger")
    assert jaeger is not None, "jaeger missing: run scripts/setup.sh"
    result = subprocess.run(
        [str(jaeger), "validate", "--config", str(project_files.jaeger_config)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_native_stack_sets_every_address_the_config_reads(project_files):
    ports = Ports(jaeger_otlp_http=1, jaeger_query=2, jaeger_query_grpc=3, jaeger_health=4)
    assert jaeger_env(ports) == {
        "JAEGER_OTLP_HTTP_ENDPOINT": "127.0.0.1:1",
        "JAEGER_QUERY_HTTP_ENDPOINT": "127.0.0.1:2",
        "JAEGER_QUERY_GRPC_ENDPOINT": "127.0.0.1:3",
        "JAEGER_HEALTH_CHECK_ENDPOINT": "127.0.0.1:4",
    }
    assert set(jaeger_env(ports)) == set(_config_defaults(project_files))


def test_compose_runs_jaeger_with_the_committed_config(project_files):
    jaeger = _compose_services(project_files)["jaeger"]
    assert "./jaeger/config.yaml:/etc/jaeger/config.yaml:ro" in jaeger["volumes"]
    assert jaeger["command"] == ["--config", "/etc/jaeger/config.yaml"]
    health = _port(_config_defaults(project_files)["JAEGER_HEALTH_CHECK_ENDPOINT"])
    assert jaeger["healthcheck"]["test"][-1] == f"http://127.0.0.1:{health}/status"


def test_the_collector_sends_traces_to_jaegers_otlp_receiver_in_compose_and_natively(project_files):
    otlp_port = _port(_config_defaults(project_files)["JAEGER_OTLP_HTTP_ENDPOINT"])
    collector = _compose_services(project_files)["otel-collector"]
    assert collector["environment"]["TRACES_OTLP_HTTP_ENDPOINT"] == f"http://jaeger:{otlp_port}"
    # Natively, the collector config's own default is the native Jaeger's standard port.
    default = re.search(
        r"\$\{env:TRACES_OTLP_HTTP_ENDPOINT:-([^}]*)\}", project_files.collector_config.read_text()
    )
    assert urlsplit(default[1]).port == urlsplit(jaeger_urls(Ports())["jaeger_otlp_http"]).port == 4320


def test_grafanas_jaeger_data_source_reads_the_port_jaegers_query_api_listens_on(project_files):
    query_port = _port(_config_defaults(project_files)["JAEGER_QUERY_HTTP_ENDPOINT"])
    assert JAEGER.url == f"http://jaeger:{query_port}"
    assert f"127.0.0.1:{query_port}:{query_port}" in _compose_services(project_files)["jaeger"]["ports"]
