"""Links between the dashboards and into the trace store."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models.dashboard import DashboardLinkType

from agent_telemetry.tooling.dashboards.datasources import JAEGER
from agent_telemetry.tooling.dashboards.panels import Link

TAG = "agent-telemetry"

# Stable UIDs: links, bookmarks and alert annotations point at these.
OVERVIEW_UID = "agent-overview"
COST_UID = "agent-cost"
RUNS_UID = "agent-runs"
COMPUTER_USE_UID = "agent-computer-use"
PIPELINE_UID = "agent-pipeline"
COMPARE_UID = "agent-compare"

AGENT_OF_SERIES = "${__field.labels.gen_ai_agent_name}"
_GRAFANA_VARIABLE = re.compile(r"(\$\{[^}]+\})")


def dashboard_links() -> list[db.DashboardLink]:
    """Every dashboard of the set (by tag), keeping time range and variables, and the trace search."""
    return [
        db.DashboardLink("Agent telemetry")
        .type(DashboardLinkType.DASHBOARDS)
        .tags([TAG])
        .as_dropdown(False)
        .include_vars(True)
        .keep_time(True),
        db.DashboardLink("Traces")
        .type(DashboardLinkType.LINK)
        .icon("external link")
        .tooltip("Search the agents' traces in Jaeger")
        .url(jaeger_search_url(service="${agent}"))
        .keep_time(False),
    ]


def jaeger_search_url(service: str, tags: str = "", min_duration: str = "") -> str:
    """An Explore URL searching Jaeger over the panel's time range.

    Jaeger searches within one service; an agent's name is its service name unless the application
    names its agents itself (then pick the service in Explore; the agent filter still applies).
    The JSON is percent-encoded except for Grafana's ${...} variables, which Grafana interpolates on
    click (with :percentencode where a value may hold URL-special characters).
    """
    query: dict[str, str] = {"refId": "A", "queryType": "search", "service": service}
    if tags:
        query["tags"] = tags
    if min_duration:
        query["minDuration"] = min_duration
    pane = {
        "datasource": JAEGER.uid,
        "queries": [{**query, "datasource": {"type": JAEGER.type, "uid": JAEGER.uid}}],
        "range": {"from": "${__from}", "to": "${__to}"},
    }
    text = json.dumps({"traces": pane}, separators=(",", ":"))
    parts = _GRAFANA_VARIABLE.split(text)
    encoded = "".join(part if index % 2 else quote(part, safe="") for index, part in enumerate(parts))
    return f"/explore?schemaVersion=1&panes={encoded}"


def traces_of_agent(errors_only: bool = False, slower_than_seconds: float | None = None) -> Link:
    agent = f"{AGENT_OF_SERIES[:-1]}:percentencode}}"
    tags = [f'gen_ai.agent.name="{agent}"']
    title = "Traces of this agent"
    min_duration = ""
    if errors_only:
        tags.append("error=true")
        title = "Failed calls of this agent (traces)"
    if slower_than_seconds is not None:
        min_duration = f"{slower_than_seconds:g}s"
        title = f"Calls of this agent slower than {slower_than_seconds:g} s (traces)"
    return Link(title, jaeger_search_url(agent, " ".join(tags), min_duration))


def to_dashboard(uid: str, title: str) -> Link:
    """Open another dashboard of the set for the agent of the clicked series, same time range."""
    return Link(title, f"/d/{uid}?var-agent={AGENT_OF_SERIES}&${{__url_time_range}}")
