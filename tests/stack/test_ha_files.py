"""The high-availability files (stack up --ha, docker-compose.ha.yml) are the single-stack files plus the HA
parts only: same rules, scrape jobs, intervals and exporter settings."""

from __future__ import annotations

import subprocess

import yaml

from agent_telemetry.tooling.stack import native_configs as render
from agent_telemetry.tooling.stack.binaries import Binaries, engine_tool
from agent_telemetry.tooling.stack.ports import Ports
from agent_telemetry.tooling.stack.stack import _launches

PORTS = Ports(
    otlp_grpc=1,
    otlp_http=2,
    prometheus=3,
    alertmanager=4,
    collector_metrics=5,
    health_check=6,
    prometheus_b=7,
    alertmanager_b=8,
    alertmanager_c=9,
)
ALERTMANAGERS = ["alertmanager:9093", "alertmanager-b:9093", "alertmanager-c:9093"]


def test_the_ha_prometheus_config_is_the_single_one_plus_replica_label_and_all_alertmanagers(project_files):
    single = yaml.safe_load(project_files.prometheus_config.read_text())
    ha = yaml.safe_load(project_files.prometheus_ha_config.read_text())
    assert ha["global"] == {**single["global"], "external_labels": {"replica": "${PROMETHEUS_REPLICA}"}}
    assert ha["rule_files"] == single["rule_files"]
    # Identical alerts from both replicas: Alertmanager deduplicates them by their labels.
    assert ha["alerting"]["alert_relabel_configs"] == [{"action": "labeldrop", "regex": "replica"}]
    assert ha["alerting"]["alertmanagers"] == [{"static_configs": [{"targets": ALERTMANAGERS}]}]
    jobs = {job["job_name"]: job for job in ha["scrape_configs"]}
    assert list(jobs) == [job["job_name"] for job in single["scrape_configs"]]
    assert jobs["prometheus"]["static_configs"] == [{"targets": ["prometheus:9090", "prometheus-b:9090"]}]
    assert jobs["alertmanager"]["static_configs"] == [{"targets": ALERTMANAGERS}]
    for job in single["scrape_configs"]:
        if job["job_name"] not in ("prometheus", "alertmanager"):
            assert jobs[job["job_name"]] == job


def test_each_rendered_replica_has_its_own_replica_label_and_every_native_alertmanager(project_files):
    for replica in ("a", "b"):
        rendered = render.prometheus_config(
            project_files.prometheus_ha_config, PORTS, label_env={"PROMETHEUS_REPLICA": replica}
        )
        assert rendered["global"]["external_labels"] == {"replica": replica}
        targets = rendered["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
        assert targets == ["127.0.0.1:4", "127.0.0.1:8", "127.0.0.1:9"]
        jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in rendered["scrape_configs"]}
        assert jobs["prometheus"] == ["127.0.0.1:3", "127.0.0.1:7"]


def test_promtool_accepts_the_committed_and_rendered_ha_config(project_files, tmp_path):
    rendered = render.write_yaml(
        render.prometheus_config(
            project_files.prometheus_ha_config, PORTS, label_env={"PROMETHEUS_REPLICA": "b"}
        ),
        tmp_path / "prometheus-b.yml",
        project_files.prometheus_ha_config,
    )
    for path in (project_files.prometheus_ha_config, rendered):
        promtool = str(engine_tool(project_files, "promtool"))
        result = subprocess.run([promtool, "check", "config", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_collector_overlay_writes_to_the_second_replica_with_the_same_exporter_settings(project_files):
    single = yaml.safe_load(project_files.collector_config.read_text())
    overlay = yaml.safe_load(project_files.collector_ha_config.read_text())
    first = single["exporters"]["prometheus_remote_write"]
    second = overlay["exporters"]["prometheus_remote_write/b"]
    assert (
        second["http"]["endpoint"]
        == "${env:PROMETHEUS_B_REMOTE_WRITE_URL:-http://localhost:9091/api/v1/write}"
    )
    assert {**second, "http": {**second["http"], "endpoint": None}} == {
        **first,
        "http": {**first["http"], "endpoint": None},
    }
    # Merged over config.yaml, the exporters list replaces the metrics pipeline's: both replicas, every sample.
    assert overlay["service"] == {
        "pipelines": {"metrics": {"exporters": ["prometheus_remote_write", "prometheus_remote_write/b"]}}
    }
    assert single["service"]["pipelines"]["metrics"]["exporters"] == ["prometheus_remote_write"]


def test_collector_validates_the_config_with_the_ha_overlay(project_files, collector_binary):
    config, overlay = project_files.collector_config, project_files.collector_ha_config
    result = subprocess.run(
        [str(collector_binary), "validate", "--config", str(config), "--config", str(overlay)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


class _ComposeLoader(yaml.SafeLoader):
    """Compose's merge tags (`!override`, `!reset`) read as the plain value they tag."""


_ComposeLoader.add_constructor(
    "!override",
    lambda loader, node: (
        loader.construct_mapping(node)
        if isinstance(node, yaml.MappingNode)
        else loader.construct_sequence(node)
    ),
)
_ComposeLoader.add_constructor("!reset", lambda loader, node: None)


def _compose_services(path) -> dict:
    return yaml.load(path.read_text(), Loader=_ComposeLoader)["services"]


def test_the_compose_ha_override_runs_the_default_commands_but_for_config_and_cluster_flags(project_files):
    default = _compose_services(project_files.root / "docker-compose.yml")
    ha = _compose_services(project_files.root / "docker-compose.ha.yml")

    # The replicas keep the default command: prometheus-ha.yml is mounted where prometheus.yml was.
    assert "command" not in ha["prometheus"] and "command" not in ha["prometheus-b"]
    assert [
        "./prometheus/prometheus-ha.yml:/etc/prometheus/prometheus.yml:ro" in ha[s]["volumes"]
        for s in ("prometheus", "prometheus-b")
    ] == [True, True]
    assert [ha[s]["environment"]["PROMETHEUS_REPLICA"] for s in ("prometheus", "prometheus-b")] == ["a", "b"]
    single = [arg for arg in default["alertmanager"]["command"] if not arg.startswith("--cluster.")]
    members = ("alertmanager", "alertmanager-b", "alertmanager-c")
    for member in members:
        peers = [f"--cluster.peer={other}:9094" for other in members if other != member]
        assert ha[member]["command"] == [*single, "--cluster.listen-address=0.0.0.0:9094", *peers]
    assert ha["otel-collector"]["command"] == [
        *default["otel-collector"]["command"],
        "--config=/etc/otelcol/ha.yaml",
    ]


def test_extra_alertmanager_flags_go_to_each_member_of_the_native_cluster_and_to_nothing_else(
    project_files, tmp_path
):
    engines = Binaries(
        *(tmp_path / name for name in ("otelcol", "prometheus", "alertmanager", "victorialogs"))
    )
    flags = ["--cluster.probe-timeout=2s", "--cluster.probe-interval=3s"]
    traces = "http://127.0.0.1:1"  # elsewhere: no Jaeger
    launches = _launches(
        project_files, engines, tmp_path, PORTS, None, traces, None, None, ha=True, alertmanager_args=flags
    )
    with_flags = [launch.name for launch in launches if launch.argv[-2:] == flags]
    assert with_flags == ["alertmanager", "alertmanager-b", "alertmanager-c"]
    assert sum(arg in flags for launch in launches for arg in launch.argv) == 6
