"""Events: what an agent's runs did, step by step, from the log store (VictoriaLogs, LogsQL)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import logs
from grafana_foundation_sdk.cog import variants
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models.dashboard import Dashboard, DataSourceRef, VariableOption

from agent_telemetry import contract as c
from agent_telemetry.tooling.dashboards.datasources import VICTORIALOGS
from agent_telemetry.tooling.dashboards.layout import Grid
from agent_telemetry.tooling.dashboards.skeleton import dashboard
from agent_telemetry.tooling.rules.config import Thresholds

UID = "agent-events"
RUN_VARIABLE = "run"
_NAMES = ",".join(f'"{name}"' for name in c.EVENTS)
# The agent picked in the dashboard's Prometheus-backed agent menu ("All" is `.*`), and the run id
# typed in (`.*`: every run). Field names are the OpenTelemetry attribute keys, as the store keeps them.
RUN_EVENTS_QUERY = (
    f"event_name:in({_NAMES}) "
    f'{c.Attr.AGENT_NAME}:~"^(${{agent:pipe}})$" '
    f'{c.EventAttr.RUN_ID}:~"^(${{{RUN_VARIABLE}}})$" '
    "| sort by (_time)"
)


@dataclass
class LogsQuery(variants.Dataquery):
    """A VictoriaLogs data source query (its plugin's model: expr, queryType "instant" = raw records)."""

    ref_id: str
    expr: str

    def to_json(self) -> dict[str, Any]:
        return {
            "refId": self.ref_id,
            "datasource": {"type": VICTORIALOGS.type, "uid": VICTORIALOGS.uid},
            "editorMode": "code",
            "expr": self.expr,
            "queryType": "instant",
        }


class _LogsQueryBuilder(Builder[LogsQuery]):
    def __init__(self, query: LogsQuery) -> None:
        self._query = query

    def build(self) -> LogsQuery:
        return self._query


def _run_variable() -> db.TextBoxVariable:
    # `.*` matches every run; a run id (from `agent-telemetry runs`, a span's gen_ai.agent.id, or the
    # agent.run.start event) shows that run only.
    return (
        db.TextBoxVariable(RUN_VARIABLE)
        .label("Run id")
        .default_value(".*")
        .current(VariableOption(selected=True, text=".*", value=".*"))
    )


def build(t: Thresholds) -> Dashboard:
    grid = Grid()
    grid.row("Events")
    grid.add(
        logs.Panel()
        .title("Recent events of a run")
        .description(
            "The lifecycle events of the picked agent's runs (or of the run id typed above), oldest first: "
            "run start and end with status, steps with tokens and cost, tool calls, computer-use actions, "
            "budget stops. Each carries its span's trace_id: the link opens that trace in Jaeger."
        )
        .datasource(DataSourceRef(type_val=VICTORIALOGS.type, uid=VICTORIALOGS.uid))
        .targets([_LogsQueryBuilder(LogsQuery("A", RUN_EVENTS_QUERY))])
        .unit("short")
        .show_time(True)
        .enable_log_details(True)
        .wrap_log_message(True),
        24,
        16,
    )
    model = dashboard(
        UID,
        "Agent events",
        "Agent lifecycle events from the log store (VictoriaLogs): what each run did, step by step.",
        grid,
        time_from="now-1h",
    )
    model.templating.list_val.append(_run_variable().build())
    return model
