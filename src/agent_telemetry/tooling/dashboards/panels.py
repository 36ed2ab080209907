"""Panel factories over the Grafana Foundation SDK builders: one call per panel, units always set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grafana_foundation_sdk.builders import bargauge, heatmap, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import heatmap as heatmap_models
from grafana_foundation_sdk.models.dashboard import (
    DataTransformerConfig,
    Panel,
    Threshold,
    ThresholdsMode,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from agent_telemetry.tooling.dashboards.datasources import prometheus_ref
from agent_telemetry.tooling.promql import quantile

GREEN, YELLOW, RED, BLUE = "green", "yellow", "red", "blue"


@dataclass(frozen=True, slots=True)
class Query:
    expr: str
    legend: str = ""
    instant: bool = False
    table: bool = False
    exemplar: bool = False


@dataclass(frozen=True, slots=True)
class Link:
    """A data link: Grafana interpolates ${__field.labels.x}, ${__url_time_range} etc. on click."""

    title: str
    url: str


# (value, colour) from the lowest step up; the first value is None (everything below the next step).
Steps = Sequence[tuple[float | None, str]]

NEUTRAL: Steps = ((None, GREEN),)


def levels(warning: float | None, critical: float | None) -> Steps:
    """Green below `warning`, yellow from it, red from `critical` (an alert threshold is a step edge)."""
    steps: list[tuple[float | None, str]] = [(None, GREEN)]
    if warning is not None:
        steps.append((warning, YELLOW))
    if critical is not None:
        steps.append((critical, RED))
    return tuple(steps)


def _thresholds(steps: Steps) -> db.ThresholdsConfig:
    return (
        db.ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=colour) for value, colour in steps])
    )


def _targets(queries: Sequence[Query]) -> list[prometheus.Dataquery]:
    targets = []
    for index, q in enumerate(queries):
        target = (
            prometheus.Dataquery().expr(q.expr).ref_id(chr(ord("A") + index)).datasource(prometheus_ref())
        )
        target = target.instant() if q.instant else target.range()
        if q.legend:
            target = target.legend_format(q.legend)
        if q.table:
            target = target.format(PromQueryFormat.TABLE)
        if q.exemplar:
            target = target.exemplar(True)
        targets.append(target)
    return targets


def _data_links(links: Sequence[Link]) -> list[db.DashboardLink]:
    return [db.DashboardLink(link.title).url(link.url) for link in links]


def timeseries_panel(
    title: str,
    description: str,
    queries: Sequence[Query],
    unit: str,
    *,
    steps: Steps = NEUTRAL,
    threshold_lines: bool = False,
    stacked: bool = False,
    links: Sequence[Link] = (),
    minimum: float | None = 0,
) -> Builder[Panel]:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(prometheus_ref())
        .targets(_targets(queries))
        .unit(unit)
        .thresholds(_thresholds(steps))
        .fill_opacity(10)
        .show_points(common.VisibilityMode.NEVER)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(
            common_builders.VizTooltipOptions()
            .mode(common.TooltipDisplayMode.MULTI)
            .sort(common.SortOrder.DESCENDING)
        )
    )
    if minimum is not None:
        panel = panel.min(minimum)
    if threshold_lines:
        # The alert threshold drawn as a dashed line: where the line is crossed, the alert fires.
        panel = panel.thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.DASHED)
        )
    if stacked:
        panel = panel.stacking(
            common_builders.StackingConfig().mode(common.StackingMode.NORMAL)
        ).fill_opacity(40)
    if links:
        panel = panel.data_links(_data_links(links))
    return panel


def stat_panel(
    title: str,
    description: str,
    query: Query,
    unit: str,
    *,
    steps: Steps = NEUTRAL,
    links: Sequence[Link] = (),
    decimals: float | None = None,
) -> Builder[Panel]:
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(prometheus_ref())
        .targets(_targets([query]))
        .unit(unit)
        .thresholds(_thresholds(steps))
        .color_mode(common.BigValueColorMode.VALUE)
        .graph_mode(common.BigValueGraphMode.AREA if not query.instant else common.BigValueGraphMode.NONE)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    if decimals is not None:
        panel = panel.decimals(decimals)
    if links:
        panel = panel.data_links(_data_links(links))
    return panel


def bargauge_panel(
    title: str,
    description: str,
    query: Query,
    unit: str,
    *,
    steps: Steps = NEUTRAL,
    maximum: float | None = None,
) -> Builder[Panel]:
    panel = (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(prometheus_ref())
        .targets(_targets([query]))
        .unit(unit)
        .min(0)
        .thresholds(_thresholds(steps))
        .orientation(common.VizOrientation.HORIZONTAL)
        .display_mode(common.BarGaugeDisplayMode.GRADIENT)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    if maximum is not None:
        panel = panel.max(maximum)
    return panel


def heatmap_panel(title: str, description: str, query: Query, unit: str) -> Builder[Panel]:
    target = _targets([query])[0].format(PromQueryFormat.HEATMAP)
    return (
        heatmap.Panel()
        .title(title)
        .description(description)
        .datasource(prometheus_ref())
        .with_target(target)
        # The buckets are already counted by Prometheus: show them, do not re-bucket.
        .calculate(False)
        .y_axis(heatmap.YAxisConfig().unit(unit))
        .color(
            heatmap.HeatmapColorOptions()
            .mode(heatmap_models.HeatmapColorMode.SCHEME)
            .scheme("Oranges")
            .fill("dark-orange")
        )
        .cell_gap(1)
        .show_legend()
        .unit(unit)
    )


def table_panel(
    title: str,
    description: str,
    queries: Sequence[Query],
    unit: str,
    *,
    hide: Sequence[str] = ("Time",),
    rename: dict[str, str] | None = None,
    links: Sequence[Link] = (),
) -> Builder[Panel]:
    # Instant table queries come back one frame each, joined on their labels by "merge".
    transformations = [
        DataTransformerConfig(id_val="merge", options={}),
        DataTransformerConfig(
            id_val="organize",
            options={"excludeByName": dict.fromkeys(hide, True), "renameByName": rename or {}},
        ),
    ]
    panel = (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(prometheus_ref())
        .targets(_targets(queries))
        .unit(unit)
        .transformations(transformations)
        .thresholds(_thresholds(NEUTRAL))
    )
    if links:
        panel = panel.data_links(_data_links(links))
    return panel


def percentile_queries(
    bucket_selector: str, quantiles: Sequence[float], labels: Sequence[str], *, exemplar: bool = False
) -> list[Query]:
    """One histogram_quantile query per quantile, legend "P95 <label values>"."""
    legend = " ".join(f"{{{{{label}}}}}" for label in labels)
    return [
        Query(
            quantile(q, bucket_selector, tuple(labels)), f"P{q * 100:g} {legend}".strip(), exemplar=exemplar
        )
        for q in quantiles
    ]
