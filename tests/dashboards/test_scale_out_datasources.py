"""The scale-out profile's data sources (docker-compose.yml's grafana-scale-out mounts
grafana/provisioning-scale-out/datasources): the default ones, with the Prometheus data source, under the
same name and UID that every dashboard names, pointing at the Thanos querier's Prometheus API."""

from __future__ import annotations

from typing import Any

import yaml

from agent_telemetry.tooling.stack.receiver_files import load_compose_file
from tests.dashboards.panel_queries import REPO


def _datasources(directory: str) -> list[dict[str, Any]]:
    path = REPO / "grafana" / directory / "datasources" / "datasources.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["datasources"]


def test_the_scale_out_prometheus_data_source_is_the_thanos_querier_under_the_default_uid():
    default, scale_out = _datasources("provisioning"), _datasources("provisioning-scale-out")
    assert scale_out[0] == {**default[0], "url": "http://thanos-query:10902"}
    assert scale_out[1:] == default[1:]


def test_the_querier_the_data_source_names_is_the_one_compose_runs_on_that_port():
    services = load_compose_file(REPO / "docker-compose.yml")["services"]
    query = services["thanos-query"]
    assert query["profiles"] == ["scale-out"]
    assert query["command"][0] == "query" and "127.0.0.1:10902:10902" in query["ports"]
