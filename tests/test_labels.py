"""Bounded labels: caps per label, the allow-list, the series fold, and the settings that configure them."""

from __future__ import annotations

import logging
import math

import pytest

from agent_telemetry import contract
from agent_telemetry.config import Settings
from agent_telemetry.core.aggregation import MAX_SERIES, SERIES_HEADROOM
from agent_telemetry.core.labels import FIXED_LABELS, LABEL_NAMES, OTHER, BoundedLabel, LabelLimits


def test_values_within_the_limit_pass_through():
    overflows = []
    label = BoundedLabel(2, lambda: overflows.append(1))
    assert [label("a"), label("b"), label("a")] == ["a", "b", "a"]
    assert overflows == []


def test_new_values_past_the_limit_fold_into_other_and_are_counted():
    overflows = []
    label = BoundedLabel(2, lambda: overflows.append(1))
    label("a")
    label("b")
    assert [label("c"), label("d"), label("a")] == [OTHER, OTHER, "a"]
    assert len(overflows) == 2


def test_allow_listed_values_always_pass_and_leave_the_limit_to_the_others():
    overflows = []
    label = BoundedLabel(2, lambda: overflows.append(1), always=("vip",))
    assert [label("a"), label("b"), label("c"), label("vip")] == ["a", "b", OTHER, "vip"]
    assert len(overflows) == 1


def test_our_placeholders_never_take_a_place():
    label = BoundedLabel(1, lambda: None)
    assert [label("_unknown"), label("_other"), label("a"), label("b")] == ["_unknown", "_other", "a", OTHER]


# -- LabelLimits: one cap per label of the table --------------------------------------------------------


def _limits(folds: list[str], **kwargs) -> LabelLimits:
    return LabelLimits(folds.append, **kwargs)


def test_each_bounded_label_has_its_own_cap_and_fixed_labels_pass_untouched():
    folds: list[str] = []
    limits = _limits(folds, limits={"gen_ai_tool_name": 1, "gen_ai_agent_name": 2})
    seen = [
        limits.bound({"gen_ai.agent.name": agent, "gen_ai.tool.name": tool, "gen_ai.provider.name": "openai"})
        for agent, tool in (("a", "t1"), ("b", "t2"), ("c", "t1"))
    ]
    assert seen == [
        {"gen_ai.agent.name": "a", "gen_ai.tool.name": "t1", "gen_ai.provider.name": "openai"},
        {"gen_ai.agent.name": "b", "gen_ai.tool.name": OTHER, "gen_ai.provider.name": "openai"},
        {"gen_ai.agent.name": OTHER, "gen_ai.tool.name": "t1", "gen_ai.provider.name": "openai"},
    ]
    assert folds == ["gen_ai_tool_name", "gen_ai_agent_name"]


def test_attributes_within_their_caps_come_back_as_the_same_dict():
    attributes = {"gen_ai.agent.name": "a", "gen_ai.request.model": "m"}
    assert _limits([]).bound(attributes) is attributes


def test_allow_listed_agents_are_kept_however_many_came_first():
    folds: list[str] = []
    limits = _limits(folds, limits={"gen_ai_agent_name": 2}, agent_names=("billing-bot",))
    names = [limits.bound({"gen_ai.agent.name": f"agent-{i}"})["gen_ai.agent.name"] for i in range(5)]
    assert names == ["agent-0", "agent-1", OTHER, OTHER, OTHER]
    assert limits.bound({"gen_ai.agent.name": "billing-bot"}) == {"gen_ai.agent.name": "billing-bot"}
    assert folds == ["gen_ai_agent_name"] * 3


def test_one_warning_per_label_names_it_its_cap_and_the_setting(caplog: pytest.LogCaptureFixture):
    limits = _limits([], limits={"gen_ai_tool_name": 1, "gen_ai_evaluation_name": 1})
    with caplog.at_level(logging.WARNING, logger="agent_telemetry"):
        for i in range(5):
            limits.bound({"gen_ai.tool.name": f"t{i}", "gen_ai.evaluation.name": f"e{i}"})
    assert [r.getMessage() for r in caplog.records] == [
        "agent-telemetry: label gen_ai_tool_name passed its cap of 1 distinct values; new values are "
        'recorded as _other (counted in agent_telemetry_label_overflow_total{label="gen_ai_tool_name"}); '
        "raise it with AGENT_TELEMETRY_MAX_LABEL_VALUES=gen_ai_tool_name=N",
        "agent-telemetry: label gen_ai_evaluation_name passed its cap of 1 distinct values; new values are "
        'recorded as _other (counted in agent_telemetry_label_overflow_total{label="gen_ai_evaluation_name"}); '
        "raise it with AGENT_TELEMETRY_MAX_LABEL_VALUES=gen_ai_evaluation_name=N",
    ]


def test_the_agent_warning_points_to_the_allow_list(caplog: pytest.LogCaptureFixture):
    limits = _limits([], limits={"gen_ai_agent_name": 1})
    with caplog.at_level(logging.WARNING, logger="agent_telemetry"):
        limits.bound({"gen_ai.agent.name": "a"})
        limits.bound({"gen_ai.agent.name": "b"})
    assert (
        caplog.records[0]
        .getMessage()
        .endswith(
            "raise it with AGENT_TELEMETRY_MAX_LABEL_VALUES=gen_ai_agent_name=N "
            "or list the agents to keep in AGENT_TELEMETRY_AGENT_NAMES"
        )
    )


def test_a_series_past_the_series_cap_folds_every_bounded_label_but_a_listed_agent():
    limits = _limits([], agent_names=("vip",))
    attributes = {"gen_ai.agent.name": "vip", "gen_ai.tool.name": "t", "gen_ai.provider.name": "openai"}
    assert limits.fold_series(attributes, keep_listed_agent=True) == {
        "gen_ai.agent.name": "vip",
        "gen_ai.tool.name": OTHER,
        "gen_ai.provider.name": "openai",
    }
    assert limits.fold_series(attributes, keep_listed_agent=False)["gen_ai.agent.name"] == OTHER


# -- The table covers the contract, and the caps keep every metric below the SDK's limit -----------------


def test_every_label_of_every_metric_is_bounded_or_chosen_by_our_code():
    labels = {label for metric in contract.ALL_METRICS for label in metric.labels}
    assert labels - set(LABEL_NAMES) - set(FIXED_LABELS) == set()


def test_no_metric_can_reach_the_sdk_cardinality_limit():
    sdk_limit = 2000  # opentelemetry-sdk's default per metric stream, then otel.metric.overflow=true
    fully_folded = max(
        math.prod(FIXED_LABELS[label] for label in metric.labels if label in FIXED_LABELS)
        for metric in contract.ALL_METRICS
    )
    assert MAX_SERIES + SERIES_HEADROOM + fully_folded < sdk_limit


# -- Settings --------------------------------------------------------------------------------------------


def test_label_caps_and_the_agent_allow_list_are_read_from_the_environment():
    settings = Settings.from_env(
        {
            "AGENT_TELEMETRY_MAX_LABEL_VALUES": "gen_ai_tool_name=1000, gen_ai_agent_name = 50",
            "AGENT_TELEMETRY_AGENT_NAMES": "support-bot, billing-bot,,support-bot",
        }
    )
    assert (settings.max_label_values, settings.agent_names_allowlist) == (
        (("gen_ai_tool_name", 1000), ("gen_ai_agent_name", 50)),
        ("support-bot", "billing-bot"),
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (
            "gen_ai_tool_name",
            "AGENT_TELEMETRY_MAX_LABEL_VALUES='gen_ai_tool_name' is not a label=N pair, "
            "e.g. gen_ai_tool_name=1000; ignored",
        ),
        (
            "gen_ai_tool_name=lots",
            "AGENT_TELEMETRY_MAX_LABEL_VALUES='gen_ai_tool_name=lots' needs a whole number of at least 1; ignored",
        ),
        (
            "gen_ai_tool_name=0",
            "AGENT_TELEMETRY_MAX_LABEL_VALUES='gen_ai_tool_name=0' needs a whole number of at least 1; ignored",
        ),
    ],
)
def test_a_bad_label_cap_is_one_problem_naming_the_variable_and_the_pair(value: str, problem: str):
    settings, problems = Settings.read({"AGENT_TELEMETRY_MAX_LABEL_VALUES": f"{value},gen_ai_agent_name=5"})
    assert (settings.max_label_values, problems) == ((("gen_ai_agent_name", 5),), [problem])


def test_an_unknown_label_in_the_caps_is_one_warning_naming_the_known_ones(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING, logger="agent_telemetry"):
        _limits([], limits={"gen_ai_tool": 5})
    assert [r.getMessage() for r in caplog.records] == [
        "agent-telemetry: AGENT_TELEMETRY_MAX_LABEL_VALUES names unknown labels gen_ai_tool; known: "
        + ", ".join(LABEL_NAMES)
    ]
