"""The chart reads the committed rules, dashboards, Alertmanager config and collector config through
links in files/ (Helm's .Files cannot reach outside the chart): one source, no copies to keep in sync."""

from __future__ import annotations

from tests.helm._chart import CHART, ROOT

LINKS = {
    "rules": ROOT / "prometheus" / "rules",
    "dashboards": ROOT / "grafana" / "dashboards",
    "alertmanager": ROOT / "prometheus" / "alertmanager",
    "otel-collector.yaml": ROOT / "otel-collector" / "config.yaml",
}


def test_chart_files_are_relative_links_to_the_committed_sources():
    links = {path.name: path for path in (CHART / "files").iterdir()}
    assert set(links) == set(LINKS)
    for name, link in links.items():
        assert link.is_symlink(), name
        assert not link.readlink().is_absolute(), name  # a clone anywhere resolves them
        assert link.resolve() == LINKS[name].resolve(), name
