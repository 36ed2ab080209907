"""What every dashboard has: the variables, links, annotations, tags and time settings."""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models.dashboard import (
    AnnotationQuery,
    AnnotationTarget,
    Dashboard,
    DashboardCursorSync,
    DataSourceRef,
    VariableModel,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from agent_telemetry import contract
from agent_telemetry.tooling.dashboards import SCHEMA_VERSION
from agent_telemetry.tooling.dashboards.datasources import DATASOURCE_VARIABLE, PROMETHEUS, prometheus_ref
from agent_telemetry.tooling.dashboards.layout import Grid
from agent_telemetry.tooling.dashboards.links import TAG, dashboard_links

# Every agent makes provider calls, so agent_requests_total knows every agent, provider and model.
_SOURCE = contract.REQUESTS.prometheus_name

# name -> (label, label_values query); each narrows the next.
VARIABLES: dict[str, tuple[str, str]] = {
    "agent": ("Agent", f"label_values({_SOURCE}, {contract.AGENT})"),
    "provider": (
        "Provider",
        f'label_values({_SOURCE}{{{contract.AGENT}=~"$agent"}}, {contract.PROVIDER})',
    ),
    "model": (
        "Model",
        f'label_values({_SOURCE}{{{contract.AGENT}=~"$agent", {contract.PROVIDER}=~"$provider"}}, '
        f"{contract.MODEL})",
    ),
}


def _datasource_variable() -> db.DatasourceVariable:
    return (
        db.DatasourceVariable(DATASOURCE_VARIABLE)
        .label("Data source")
        .type(PROMETHEUS.type)
        .current(VariableOption(selected=True, text=PROMETHEUS.name, value=PROMETHEUS.uid))
    )


def _label_variable(name: str, label: str, query: str) -> db.QueryVariable:
    # Multi-select with "All" as `.*`, so every selector can use =~"$name".
    return (
        db.QueryVariable(name)
        .label(label)
        .datasource(prometheus_ref())
        .query(query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_CASE_INSENSITIVE_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(VariableOption(selected=True, text=["All"], value=["$__all"]))
    )


def _builtin_annotations() -> AnnotationQuery:
    return AnnotationQuery(
        name="Annotations & Alerts",
        datasource=DataSourceRef(type_val="grafana", uid="-- Grafana --"),
        enable=True,
        hide=True,
        icon_color="rgba(0, 211, 255, 1)",
        type_val="dashboard",
        built_in=1,
        target=AnnotationTarget(limit=100, match_any=False, tags=[], type_val="dashboard"),
    )


def dashboard(
    uid: str,
    title: str,
    description: str,
    grid: Grid,
    *,
    time_from: str = "now-6h",
    variables: Sequence[Builder[VariableModel]] = (),
) -> Dashboard:
    """``variables``: the dashboard's own, after the shared ones."""
    builder = (
        db.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags([TAG])
        .editable()
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .time(time_from, "now")
        .refresh("1m")
        .timezone("browser")
        .links(dashboard_links())
        .with_variable(_datasource_variable())
    )
    for name, (label, query) in VARIABLES.items():
        builder = builder.with_variable(_label_variable(name, label, query))
    for variable in variables:
        builder = builder.with_variable(variable)
    model = builder.build()
    model.schema_version = SCHEMA_VERSION
    model.annotations.list_val = [_builtin_annotations()]
    model.panels = grid.panels()
    return model
