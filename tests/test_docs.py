"""The docs name every metric of the contract, with its type and labels, as Prometheus has them."""

import re
from pathlib import Path

import pytest

from agent_telemetry import contract

REPO = Path(__file__).resolve().parents[1]
METRICS_DOC = (REPO / "docs" / "metrics.md").read_text(encoding="utf-8")
README = (REPO / "README.md").read_text(encoding="utf-8")


def table_row(document: str, prometheus_name: str) -> list[str]:
    """The cells of the first table row whose first cell is the metric's name."""
    match = re.search(rf"^\| `{re.escape(prometheus_name)}` \|(.*)\|$", document, re.MULTILINE)
    assert match, f"no table row for {prometheus_name}"
    return [cell.strip() for cell in match.group(1).split("|")]


@pytest.mark.parametrize("metric", contract.ALL_METRICS, ids=lambda m: m.prometheus_name)
def test_the_metric_reference_gives_every_metric_its_type(metric: contract.Metric) -> None:
    assert table_row(METRICS_DOC, metric.prometheus_name)[0] == metric.kind.value


@pytest.mark.parametrize(
    "metric",
    [m for m in contract.ALL_METRICS if m not in contract.CALL_METRICS],
    ids=lambda m: m.prometheus_name,
)
def test_the_metric_reference_lists_the_labels_of_every_agent_level_metric(metric: contract.Metric) -> None:
    assert table_row(METRICS_DOC, metric.prometheus_name)[1] == ", ".join(
        f"`{label}`" for label in metric.labels
    )


@pytest.mark.parametrize("metric", contract.ALL_METRICS, ids=lambda m: m.prometheus_name)
def test_the_readme_contract_table_has_every_metric_with_its_type(metric: contract.Metric) -> None:
    assert table_row(README, metric.prometheus_name)[0] == metric.kind.value
