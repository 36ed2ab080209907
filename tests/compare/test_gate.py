"""The regression gate (--fail-on): it fires on a known regression and, on two samples of one version,
no more often than the stated level over many seeded trials."""

import math
import random

import pytest

from agent_telemetry import contract
from agent_telemetry.compare.model import Side, compare_sides
from agent_telemetry.compare.report import GateError, Limit, gate, parse_limits
from agent_telemetry.compare.stats import histogram_of
from tests.compare.test_stats import costs

LIMITS = "cost_per_run:+10%,success_rate:-2pp,p95_run_seconds:+20%"
KEYS = {"cost_per_run", "success_rate", "p95_run_seconds"}


def side(rng: random.Random, label: str, runs: int, success: float, cost: float) -> Side:
    """Runs as Prometheus would hold them: counts by status, histograms in the contract's buckets."""
    ok = sum(rng.random() < success for _ in range(runs))
    durations = [rng.expovariate(1 / 20) for _ in range(runs)]
    return Side(
        label,
        runs_by_status={"success": ok, "failure": runs - ok},
        run_duration=histogram_of(durations, (*contract.RUN_DURATION_BUCKETS, math.inf)),
        run_cost=histogram_of(costs(rng, runs, cost), (*contract.RUN_COST_BUCKETS, math.inf)),
    )


def test_a_limit_may_name_an_error_type():
    assert parse_limits(
        "tool_error_rate:OrderServiceTimeout:+2pp", {"tool_error_rate:OrderServiceTimeout"}
    ) == [Limit("tool_error_rate:OrderServiceTimeout", 2.0, "pp")]


def test_limits_are_read_with_their_sign_and_unit():
    assert parse_limits(LIMITS, KEYS) == [
        Limit("cost_per_run", 10.0, "%"),
        Limit("success_rate", -2.0, "pp"),
        Limit("p95_run_seconds", 20.0, "%"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cost_per_run:10%", "--fail-on 'cost_per_run:10%': write METRIC:+N% or METRIC:-Npp, e.g. "),
        (
            "cost:+10%",
            "--fail-on 'cost': no such metric; use one of cost_per_run, p95_run_seconds, success_rate",
        ),
    ],
)
def test_a_limit_that_cannot_be_read_is_one_line_that_says_how(text, message):
    with pytest.raises(GateError) as excinfo:
        parse_limits(text, KEYS)
    assert str(excinfo.value).startswith(message)


def test_the_gate_fires_on_forty_percent_more_cost_and_ten_points_less_success():
    rng = random.Random(7)
    rows = compare_sides(side(rng, "v1", 400, 0.95, 0.05), side(rng, "v2", 400, 0.85, 0.07))
    breaches = gate(rows, parse_limits(LIMITS, KEYS), alpha=0.05)
    assert [breach.row.key for breach in breaches] == ["cost_per_run", "success_rate"]


def test_the_gate_does_not_fire_on_an_improvement():
    rng = random.Random(7)
    rows = compare_sides(side(rng, "v1", 400, 0.85, 0.07), side(rng, "v2", 400, 0.95, 0.05))
    assert gate(rows, parse_limits(LIMITS, KEYS), alpha=0.05) == []


def test_the_gate_fires_at_most_at_the_stated_level_on_two_samples_of_one_version():
    limits = parse_limits(LIMITS, KEYS)
    trials = 500
    fired = 0
    for seed in range(trials):
        rng = random.Random(seed)
        rows = compare_sides(side(rng, "a", 200, 0.9, 0.05), side(rng, "b", 200, 0.9, 0.05))
        fired += bool(gate(rows, limits, alpha=0.05))
    assert fired / trials <= 0.05
