"""The HA stack's data sources (docker-compose.ha.yml mounts grafana/provisioning-ha/datasources): the default
ones, plus replica b as a second Prometheus with the same settings. Panels query one replica, which holds
every series once, so no dashboard query needs a deduplicating `without (replica)`."""

from __future__ import annotations

from typing import Any

import yaml

from tests.dashboards.panel_queries import REPO, load_dashboards

GRAFANA = REPO / "grafana"


def _datasources(directory: str) -> list[dict[str, Any]]:
    path = GRAFANA / directory / "datasources" / "datasources.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))["datasources"]


def test_the_ha_data_sources_are_the_default_ones_plus_replica_b_with_the_same_settings():
    default, ha = _datasources("provisioning"), _datasources("provisioning-ha")
    replica_b = next(ds for ds in ha if ds["uid"] == "prometheus-b")
    assert [ds for ds in ha if ds is not replica_b] == default
    prometheus = next(ds for ds in default if ds["uid"] == "prometheus")
    assert replica_b == {
        **prometheus,
        "name": "Prometheus (replica b)",
        "uid": "prometheus-b",
        "url": "http://prometheus-b:9090",
        "isDefault": False,
    }


def test_every_panel_queries_the_data_source_picked_in_its_dashboard_so_replica_b_can_stand_in():
    for dashboard in load_dashboards():
        variable = next(v for v in dashboard["templating"]["list"] if v["name"] == "datasource")
        assert variable["type"] == "datasource" and variable["query"] == "prometheus", dashboard["uid"]
        for panel in dashboard["panels"]:
            if panel.get("type") not in ("row", "logs") and panel.get("targets"):
                assert panel["datasource"]["uid"] == "${datasource}", (dashboard["uid"], panel["title"])


def test_no_dashboard_query_names_the_replica_label():
    """Stored series have no `replica` label (only alerts and writes leaving a replica get it)."""
    for dashboard in load_dashboards():
        for panel in dashboard["panels"]:
            for target in panel.get("targets") or ():
                assert "replica" not in target.get("expr", ""), (dashboard["uid"], panel["title"])
