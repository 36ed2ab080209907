"""The chart's collector tiers (tiers.enabled=true), rendered by the real helm and validated by kubeconform:
an agent collector DaemonSet running otel-collector/agent.yaml that load-balances to a gateway Deployment
(otel-collector/config.yaml + short-lived.yaml) found through a headless Service, as docker-compose.gateways.yml
and tests/stack/test_gateways_e2e.py run them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helm._chart import (
    CHART,
    ROOT,
    kubeconform,
    objects,
    of_kind,
    run,
    template,
    tool,
    validation_schemas,
)

pytestmark = pytest.mark.e2e

COLLECTOR_CONFIGS = ROOT / "otel-collector"
TIERS = ("--set", "tiers.enabled=true")


@pytest.fixture(scope="module")
def manifests() -> str:
    return template(*TIERS)


@pytest.fixture(scope="module")
def rendered(manifests: str) -> list[dict[str, Any]]:
    return objects(manifests)


def _named(rendered: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    [obj] = [obj for obj in of_kind(rendered, kind) if obj["metadata"]["name"] == name]
    return obj


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    [container] = workload["spec"]["template"]["spec"]["containers"]
    return container


def _env(workload: dict[str, Any]) -> dict[str, str]:
    return {var["name"]: var["value"] for var in _container(workload)["env"]}


def test_helm_lint_strict_passes_with_tiers():
    result = run(tool("helm"), "lint", "--strict", CHART, *TIERS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


def test_tiers_replace_the_single_collector_with_an_agent_daemonset_and_a_gateway_deployment(rendered):
    workloads = sorted((obj["kind"], obj["metadata"]["name"]) for obj in rendered if obj["kind"] in
                       {"Deployment", "DaemonSet", "Service", "ServiceMonitor", "PodMonitor"})  # fmt: skip
    assert workloads == [
        ("DaemonSet", "agent-telemetry-agent"),
        ("Deployment", "agent-telemetry-gateway"),
        ("PodMonitor", "agent-telemetry-collector-tiers"),
        ("Service", "agent-telemetry-gateway"),
    ]


def test_every_object_rendered_with_tiers_is_valid_against_the_schemas(manifests, tmp_path):
    result = kubeconform(manifests, validation_schemas(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    total = len(objects(manifests))
    assert json.loads(result.stdout)["summary"] == {"valid": total, "invalid": 0, "errors": 0, "skipped": 0}


def test_agent_config_is_the_committed_agent_yaml(rendered):
    config_map = _named(rendered, "ConfigMap", "agent-telemetry-agent")
    assert config_map["data"] == {"agent.yaml": (COLLECTOR_CONFIGS / "agent.yaml").read_text()}


def test_gateway_config_is_the_committed_config_and_short_lived_overlay(rendered):
    config_map = _named(rendered, "ConfigMap", "agent-telemetry-gateway")
    assert config_map["data"] == {
        "config.yaml": (COLLECTOR_CONFIGS / "config.yaml").read_text(),
        "short-lived.yaml": (COLLECTOR_CONFIGS / "short-lived.yaml").read_text(),
    }


def test_agent_runs_agent_yaml_from_its_configmap_on_the_node_ports(rendered):
    agent = _named(rendered, "DaemonSet", "agent-telemetry-agent")
    container = _container(agent)
    assert container["args"] == ["--config=/etc/otelcol/agent.yaml"]
    assert container["volumeMounts"] == [{"name": "config", "mountPath": "/etc/otelcol", "readOnly": True}]
    assert agent["spec"]["template"]["spec"]["volumes"] == [
        {"name": "config", "configMap": {"name": "agent-telemetry-agent"}}
    ]
    assert {port["name"]: port.get("hostPort") for port in container["ports"]} == {
        "otlp-grpc": 4317,
        "otlp-http": 4318,
        "metrics": None,
        "health": None,
    }


def test_agent_resolves_the_headless_service_of_the_gateway_pods(rendered):
    service = _named(rendered, "Service", "agent-telemetry-gateway")
    gateway = _named(rendered, "Deployment", "agent-telemetry-gateway")
    agent = _named(rendered, "DaemonSet", "agent-telemetry-agent")
    assert _env(agent) == {"GATEWAY_HOSTNAME": "agent-telemetry-gateway.monitoring.svc"}
    assert service["metadata"]["namespace"] == "monitoring"
    assert service["spec"]["clusterIP"] == "None"  # DNS answers with every ready gateway pod
    assert service["spec"]["selector"] == gateway["spec"]["template"]["metadata"]["labels"]
    # agent.yaml's default GATEWAY_OTLP_PORT, where the gateways' OTLP gRPC receiver listens.
    assert service["spec"]["ports"] == [{"name": "otlp-grpc", "port": 4317, "targetPort": "otlp-grpc"}]


def test_gateway_runs_the_config_with_the_short_lived_overlay_on_two_replicas(rendered):
    gateway = _named(rendered, "Deployment", "agent-telemetry-gateway")
    assert gateway["spec"]["replicas"] == 2
    assert _container(gateway)["args"] == [
        "--config=/etc/otelcol/config.yaml",
        "--config=/etc/otelcol/short-lived.yaml",
    ]
    assert gateway["spec"]["template"]["spec"]["volumes"] == [
        {"name": "config", "configMap": {"name": "agent-telemetry-gateway"}}
    ]


def test_gateway_sends_to_the_stores_configured_for_the_single_collector():
    stores = (
        "--set", "collector.prometheusRemoteWriteUrl=http://p:9090/api/v1/write",
        "--set", "collector.tracesOtlpHttpEndpoint=http://t:4318",
        "--set", "collector.logsOtlpHttpEndpoint=http://l:9428/insert/opentelemetry/v1/logs",
    )  # fmt: skip
    expected = {
        "PROMETHEUS_REMOTE_WRITE_URL": "http://p:9090/api/v1/write",
        "TRACES_OTLP_HTTP_ENDPOINT": "http://t:4318",
        "LOGS_OTLP_HTTP_ENDPOINT": "http://l:9428/insert/opentelemetry/v1/logs",
    }
    [single] = of_kind(objects(template(*stores)), "Deployment")
    gateway = _named(objects(template(*TIERS, *stores)), "Deployment", "agent-telemetry-gateway")
    assert _env(single) == expected
    assert _env(gateway) == expected


def test_gateway_replicas_are_configurable():
    rendered = objects(template(*TIERS, "--set", "tiers.gateway.replicas=3"))
    assert _named(rendered, "Deployment", "agent-telemetry-gateway")["spec"]["replicas"] == 3


def test_a_single_gateway_fails_with_what_to_set():
    result = run(tool("helm"), "template", "x", CHART, *TIERS, "--set", "tiers.gateway.replicas=1")
    assert result.returncode == 1
    assert (
        "tiers.gateway.replicas is 1: set it to 2 or more, so that a stopped gateway's traffic moves to another"
        in result.stderr
    )


def test_both_tiers_are_scraped_under_the_job_name_the_rules_and_dashboards_query(rendered):
    [monitor] = of_kind(rendered, "PodMonitor")
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    selector = monitor["spec"]["selector"]
    for workload in (
        _named(rendered, "DaemonSet", "agent-telemetry-agent"),
        _named(rendered, "Deployment", "agent-telemetry-gateway"),
    ):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert selector["matchLabels"].items() <= labels.items()
        [expression] = selector["matchExpressions"]
        assert labels[expression["key"]] in expression["values"]
    [endpoint] = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["port"] == "metrics"
    assert endpoint["relabelings"] == [{"targetLabel": "job", "replacement": "otel-collector"}]
