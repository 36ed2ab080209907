"""Run every panel query and variable of the generated dashboards against a Prometheus.

Reusable by any test that has a Prometheus with agent telemetry in it: the backfilled one in this
directory, or the full end-to-end stack with demo traffic.

    assert_every_panel_returns_data(prometheus_url, allowed_empty={"agent-cost/Unpriced calls": "..."})

A key of ``allowed_empty`` is ``"<dashboard uid>/<panel title>"`` (every query of the panel) or
``"<dashboard uid>/<panel title>/<refId>"`` (one query); its value says why that may stay empty.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DASHBOARDS_DIR = REPO / "grafana" / "dashboards"

# Panels that stay empty in a healthy stack whose traffic has no such event: hand this (or a subset)
# to assert_every_panel_returns_data when the traffic does not exercise them.
MAY_BE_EMPTY_WITHOUT_FAILURES: dict[str, str] = {
    "agent-overview/Errors by category": "no provider call failed",
    "agent-cost/Unpriced calls": "every model called has a known price",
    "agent-cost/Calls without reported usage": "every provider reported usage",
    "agent-runs/Budget stops": "no run hit its cost or step budget (the counter appears on the first stop)",
    "agent-runs/Budget stops by limit": "no run hit its cost or step budget",
    "agent-runs/Tool errors by type": "no tool execution failed",
    "agent-computer-use/Blocked actions by reason": "no computer-use step was blocked",
    "agent-pipeline/Points exported to Prometheus/B": "no export failed (the collector makes the counter on "
    "its first failure)",
    "agent-pipeline/Points exported to Prometheus/C": "no exporter queue overflowed (enqueue failures)",
    "agent-pipeline/agent-telemetry label overflow": "no label passed its distinct-value limit",
    "agent-pipeline/agent-telemetry internal errors": "agent-telemetry had no internal failure",
    "agent-pipeline/Notifications failed": "no notification failed",
}


@dataclass(frozen=True, slots=True)
class PanelQuery:
    dashboard_uid: str
    panel_title: str
    ref_id: str
    expr: str
    instant: bool

    @property
    def key(self) -> str:
        return f"{self.dashboard_uid}/{self.panel_title}/{self.ref_id}"


def load_dashboards(directory: Path = DASHBOARDS_DIR) -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.json"))]


# The events' log store; its panels' LogsQL runs against VictoriaLogs in tests/stack/test_events_e2e.py.
LOGS_DATASOURCE_TYPE = "victoriametrics-logs-datasource"


def panel_queries(dashboards: list[dict[str, Any]]) -> list[PanelQuery]:
    """The Prometheus queries of every panel."""
    return [
        PanelQuery(d["uid"], panel["title"], target["refId"], target["expr"], bool(target.get("instant")))
        for d in dashboards
        for panel in d["panels"]
        for target in panel.get("targets", [])
        if target.get("datasource", {}).get("type") != LOGS_DATASOURCE_TYPE
    ]


# The Compare dashboard's own variables: its two versions (every version, as "All" would) and the
# offset of the earlier period.
VERSION_VARIABLES = ("version_a", "version_b")
OFFSET_VARIABLE = "compare_offset"


def substitute(
    expr: str,
    *,
    rate_interval: str = "1m",
    range_: str = "1h",
    offset: str = "1h",
    versions: Mapping[str, str] | None = None,
) -> str:
    """What Grafana would send with every variable on "All" (`.*`), or the ``versions`` given."""
    expr = expr.replace("$__rate_interval", rate_interval).replace("$__range", range_)
    expr = re.sub(rf"\$\{{{OFFSET_VARIABLE}\}}|\${OFFSET_VARIABLE}\b", offset, expr)
    for variable in VERSION_VARIABLES:
        value = (versions or {}).get(variable, ".*")
        expr = re.sub(rf"\$\{{{variable}(:[a-z]+)?\}}|\${variable}\b", value, expr)
    return re.sub(r"\$\{(agent|provider|model)(:[a-z]+)?\}|\$(agent|provider|model)\b", ".*", expr)


def _get(prometheus_url: str, path: str, params: dict[str, str | float]) -> Any:
    url = f"{prometheus_url.rstrip('/')}{path}?{urllib.parse.urlencode(params, doseq=True)}"
    with urllib.request.urlopen(url, timeout=30) as response:
        body = json.load(response)
    assert body["status"] == "success", body
    return body["data"]


def series_returned(
    prometheus_url: str, query: PanelQuery, at: float, *, rate_interval: str = "1m", range_: str = "1h"
) -> int:
    expr = substitute(query.expr, rate_interval=rate_interval, range_=range_)
    if query.instant:
        data = _get(prometheus_url, "/api/v1/query", {"query": expr, "time": at})
    else:
        data = _get(
            prometheus_url, "/api/v1/query_range", {"query": expr, "start": at - 1800, "end": at, "step": 60}
        )
    return len(data["result"])


def assert_every_panel_returns_data(
    prometheus_url: str,
    allowed_empty: Mapping[str, str],
    *,
    at: float | None = None,
    rate_interval: str = "1m",
    range_: str = "1h",
    dashboards: list[dict[str, Any]] | None = None,
) -> None:
    """Every query of every panel returns at least one series, except those `allowed_empty` names."""
    queries = panel_queries(dashboards if dashboards is not None else load_dashboards())
    known = {q.key for q in queries} | {q.key.rsplit("/", 1)[0] for q in queries}
    unknown = sorted(set(allowed_empty) - known)
    assert not unknown, f"allowed_empty names no such panel or query: {unknown}"
    when = time.time() if at is None else at
    empty = [
        f"{q.key}: {substitute(q.expr, rate_interval=rate_interval, range_=range_)}"
        for q in queries
        if q.key not in allowed_empty
        and q.key.rsplit("/", 1)[0] not in allowed_empty
        and series_returned(prometheus_url, q, when, rate_interval=rate_interval, range_=range_) == 0
    ]
    assert not empty, "panel queries returned no data:\n" + "\n".join(empty)


def variable_values(
    prometheus_url: str, variable: dict[str, Any], at: float, lookback: float = 3 * 3600
) -> list[str]:
    """Resolve a `label_values(selector, label)` variable the way Grafana does (the series API)."""
    match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", variable["query"])
    assert match, f"variable {variable['name']}: not a label_values() query: {variable['query']}"
    selector, label = substitute(match.group(1)), match.group(2)
    data = _get(
        prometheus_url,
        f"/api/v1/label/{label}/values",
        {"match[]": selector, "start": at - lookback, "end": at},
    )
    return sorted(data)


def assert_every_variable_resolves(
    prometheus_url: str, *, at: float | None = None, allowed_unresolved: Mapping[str, str] | None = None
) -> None:
    """Every query variable has values, but those ``allowed_unresolved`` names (``"<uid>/$<name>"``)."""
    when = time.time() if at is None else at
    unresolved = [
        f"{d['uid']}/${v['name']}: {v['query']}"
        for d in load_dashboards()
        for v in d["templating"]["list"]
        if v["type"] == "query"
        and f"{d['uid']}/${v['name']}" not in (allowed_unresolved or {})
        and not variable_values(prometheus_url, v, when)
    ]
    assert not unresolved, "variables with no values:\n" + "\n".join(unresolved)
