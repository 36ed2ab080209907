"""The chart reads the committed rules, dashboards, Alertmanager config and collector config through
links in files/ (Helm's .Files cannot reach outside the chart): one source, no copies to keep in sync."""

from __future__ import annotations

import yaml

from agent_telemetry.tooling.stack.binaries import read_versions
from agent_telemetry.tooling.stack.paths import ProjectFiles
from tests.helm._chart import CHART, ROOT

LINKS = {
    "rules": ROOT / "prometheus" / "rules",
    "dashboards": ROOT / "grafana" / "dashboards",
    "alertmanager": ROOT / "prometheus" / "alertmanager",
    "otel-collector.yaml": ROOT / "otel-collector" / "config.yaml",
    "otel-collector-agent.yaml": ROOT / "otel-collector" / "agent.yaml",
    "otel-collector-short-lived.yaml": ROOT / "otel-collector" / "short-lived.yaml",
}


def test_chart_files_are_relative_links_to_the_committed_sources():
    links = {path.name: path for path in (CHART / "files").iterdir()}
    assert set(links) == set(LINKS)
    for name, link in links.items():
        assert link.is_symlink(), name
        assert not link.readlink().is_absolute(), name  # a clone anywhere resolves them
        assert link.resolve() == LINKS[name].resolve(), name


def test_chart_runs_the_collector_release_and_image_compose_runs():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["otel-collector"]
    image = values["collector"]["image"]
    assert chart["appVersion"] == read_versions(ProjectFiles(ROOT))["OTELCOL_VERSION"]
    assert f"{image['repository']}:{chart['appVersion']}" == compose["image"]
    assert image["tag"] == ""  # the appVersion, unless a user overrides it
