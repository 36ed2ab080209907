"""The Helm chart, checked with the real helm, kubeconform and promtool (scripts/build-engines.sh helm
kubeconform controller_gen prometheus): it lints, renders, every object validates against the Kubernetes and
prometheus-operator schemas, and what it installs is exactly the committed rules, dashboards and routing."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

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

RULE_FILES = sorted((ROOT / "prometheus" / "rules").glob("*.yml"))
DASHBOARDS = sorted((ROOT / "grafana" / "dashboards").glob("*.json"))
ALERTMANAGER = ROOT / "prometheus" / "alertmanager"


@pytest.fixture(scope="module")
def manifests() -> str:
    return template()


@pytest.fixture(scope="module")
def rendered(manifests: str) -> list[dict[str, Any]]:
    return objects(manifests)


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return validation_schemas(tmp_path_factory.mktemp("schemas"))


def test_helm_lint_strict_passes():
    result = run(tool("helm"), "lint", "--strict", CHART)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


def test_template_renders_the_collector_rules_dashboards_and_routing(rendered):
    kinds = sorted(obj["kind"] for obj in rendered)
    assert kinds == sorted(
        ["AlertmanagerConfig", "ConfigMap", "ConfigMap", "Deployment", "Service", "ServiceMonitor"]
        + ["PrometheusRule"] * len(RULE_FILES)
        + ["ConfigMap"] * len(DASHBOARDS)
    )


def _validate(manifests: str, schemas: Path) -> dict[str, Any]:
    result = kubeconform(manifests, schemas)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)["summary"]


def test_every_rendered_object_is_valid_against_the_kubernetes_and_operator_schemas(manifests, schemas):
    summary = _validate(manifests, schemas)
    total = len(objects(manifests))
    assert summary == {"valid": total, "invalid": 0, "errors": 0, "skipped": 0}


def test_daemonset_mode_renders_a_valid_daemonset_on_the_node_ports(schemas):
    manifests = template("--set", "collector.mode=daemonset")
    assert _validate(manifests, schemas)["valid"] == len(objects(manifests))
    [daemonset] = of_kind(objects(manifests), "DaemonSet")
    ports = daemonset["spec"]["template"]["spec"]["containers"][0]["ports"]
    assert {port["name"]: port.get("hostPort") for port in ports} == {
        "otlp-grpc": 4317,
        "otlp-http": 4318,
        "metrics": None,
        "health": None,
    }


def test_schema_validation_rejects_unknown_fields_of_kubernetes_and_operator_objects(schemas):
    # Proves the validation is strict for both schema sources: a misspelt field does not pass.
    manifests = template().replace("  groups:\n", "  grups:\n", 1).replace("  selector:\n", "  selectr:\n", 1)
    result = kubeconform(manifests, schemas)
    assert result.returncode == 1
    invalid = [r["kind"] for r in json.loads(result.stdout)["resources"] if r["status"] == "statusInvalid"]
    assert sorted(invalid) == ["PrometheusRule", "Service"]


def test_an_unknown_collector_mode_fails_with_what_to_set():
    result = run(tool("helm"), "template", "x", CHART, "--set", "collector.mode=sidecar")
    assert result.returncode == 1
    assert 'collector.mode is "sidecar": set it to deployment or daemonset' in result.stderr


def test_prometheus_rules_are_the_committed_rule_files(rendered):
    specs = {rule["metadata"]["name"]: rule["spec"] for rule in of_kind(rendered, "PrometheusRule")}
    assert specs == {
        f"agent-telemetry-{path.stem.rsplit('.', 1)[1]}": yaml.safe_load(path.read_text())
        for path in RULE_FILES
    }


def test_prometheus_rules_carry_the_kube_prometheus_stack_release_label(rendered):
    for rule in of_kind(rendered, "PrometheusRule"):
        assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_promtool_checks_the_rules_extracted_from_the_rendered_objects(rendered, tmp_path):
    rules = of_kind(rendered, "PrometheusRule")
    paths = []
    for rule in rules:
        path = tmp_path / f"{rule['metadata']['name']}.yml"
        path.write_text(yaml.safe_dump(rule["spec"]))
        paths.append(path)
    result = run(tool("promtool"), "check", "rules", *paths)
    assert result.returncode == 0, result.stdout + result.stderr
    committed = sum(
        len(group["rules"]) for path in RULE_FILES for group in yaml.safe_load(path.read_text())["groups"]
    )
    found = sum(int(line.split()[1]) for line in result.stdout.splitlines() if line.startswith("  SUCCESS:"))
    assert found == committed


def test_dashboard_configmaps_carry_the_sidecar_label_and_the_committed_json(rendered):
    dashboards = {
        key: (config_map["metadata"], text)
        for config_map in of_kind(rendered, "ConfigMap")
        if "grafana_dashboard" in config_map["metadata"]["labels"]
        for key, text in config_map["data"].items()
    }
    assert sorted(dashboards) == [path.name for path in DASHBOARDS]
    for path in DASHBOARDS:
        metadata, text = dashboards[path.name]
        assert metadata["labels"]["grafana_dashboard"] == "1"
        assert metadata["annotations"] == {"grafana_folder": "agent-telemetry"}
        assert text == path.read_text()  # byte for byte, not only the same JSON


def test_collector_config_is_the_committed_config(rendered):
    [config_map] = [
        cm for cm in of_kind(rendered, "ConfigMap") if cm["metadata"]["name"].endswith("-collector")
    ]
    assert config_map["data"] == {"config.yaml": (ROOT / "otel-collector" / "config.yaml").read_text()}


def test_collector_points_at_the_configured_remote_write_url():
    [deployment] = of_kind(
        objects(template("--set", "collector.prometheusRemoteWriteUrl=http://p:9090/api/v1/write")),
        "Deployment",
    )
    env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "PROMETHEUS_REMOTE_WRITE_URL", "value": "http://p:9090/api/v1/write"} in env


def test_alertmanager_templates_configmap_holds_the_committed_templates(rendered):
    [config_map] = [
        cm for cm in of_kind(rendered, "ConfigMap") if cm["metadata"]["name"].endswith("-templates")
    ]
    assert config_map["data"] == {
        path.name: path.read_text() for path in sorted((ALERTMANAGER / "templates").glob("*.tmpl"))
    }


def test_secret_files_given_to_the_chart_become_a_valid_alerting_secret(tmp_path, schemas):
    (tmp_path / "slack_api_url").write_text("https://hooks.slack.example/T0/B0/x\n")
    (tmp_path / "pagerduty_routing_key").write_text("0123456789abcdef\n")
    manifests = template(
        "--set-file", f"alertmanagerConfig.secretData.slack_api_url={tmp_path / 'slack_api_url'}",
        "--set-file", f"alertmanagerConfig.secretData.pagerduty_routing_key={tmp_path / 'pagerduty_routing_key'}",
    )  # fmt: skip
    assert _validate(manifests, schemas)["valid"] == len(objects(manifests))
    [secret] = of_kind(objects(manifests), "Secret")
    assert secret["metadata"]["name"] == "agent-telemetry-alerting"
    assert secret["stringData"] == {
        "slack_api_url": "https://hooks.slack.example/T0/B0/x",
        "pagerduty_routing_key": "0123456789abcdef",
    }


def test_helm_package_carries_the_linked_files_as_regular_files(tmp_path):
    result = run(tool("helm"), "package", CHART, "--destination", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    [archive] = tmp_path.glob("agent-telemetry-*.tgz")
    with tarfile.open(archive) as tar:
        packaged = {
            member.name.removeprefix("agent-telemetry/files/"): tar.extractfile(member).read().decode()
            for member in tar.getmembers()
            if member.isfile() and member.name.startswith("agent-telemetry/files/rules/")
        }
    assert packaged == {f"rules/{path.name}": path.read_text() for path in RULE_FILES}


def test_the_collector_is_scraped_under_the_job_name_the_rules_and_dashboards_query(rendered):
    scrape_configs = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text())["scrape_configs"]
    [collector_job] = [
        job["job_name"]
        for job in scrape_configs
        if any(
            target.endswith(":8888")
            for config in job.get("static_configs", [])
            for target in config["targets"]
        )
    ]
    [monitor] = of_kind(rendered, "ServiceMonitor")
    [endpoint] = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "metrics"
    assert endpoint["relabelings"] == [{"targetLabel": "job", "replacement": collector_job}]
    assert (
        f'job="{collector_job}"' in (ROOT / "prometheus" / "rules" / "agent-telemetry.alerts.yml").read_text()
    )
