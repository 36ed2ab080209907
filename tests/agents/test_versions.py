"""The agent's version and the application's feature: labels of the run-level metrics, for comparisons."""

import pytest

import agent_telemetry
from agent_telemetry import agent_run

RUN_HISTOGRAMS = ("agent.run.duration", "agent.run.steps", "agent.run.cost.usd", "agent.run.tokens")


def labels_of(recorded, metric: str) -> list[dict[str, str]]:
    return recorded.attributes(metric)


def test_a_runs_version_and_feature_label_its_run_metrics(recorded):
    with agent_run("support-bot", version="2025-11-rc2", attributes={"feature": "refunds"}):
        pass
    expected = {
        "gen_ai.agent.name": "support-bot",
        "gen_ai.agent.version": "2025-11-rc2",
        "agent.feature": "refunds",
        "status": "success",
    }
    for metric in ("agent.runs", *RUN_HISTOGRAMS):
        assert labels_of(recorded, metric) == [expected], metric


def test_tools_and_quality_scores_inside_a_run_carry_its_version_but_not_its_feature(recorded):
    with agent_run("support-bot", version="v2", attributes={"feature": "refunds"}):
        with agent_telemetry.tool_call("search"):
            pass
        agent_telemetry.record_quality(0.5, evaluator="judge")
    assert labels_of(recorded, "agent.tools.calls") == [
        {"gen_ai.agent.name": "support-bot", "gen_ai.agent.version": "v2", "gen_ai.tool.name": "search"}
    ]
    assert labels_of(recorded, "agent.quality.score") == [
        {"gen_ai.agent.name": "support-bot", "gen_ai.agent.version": "v2", "gen_ai.evaluation.name": "judge"}
    ]


def test_a_run_without_a_version_has_the_version_of_the_process(recorded_with):
    recorded = recorded_with(agent_version="2025-11-01")
    with agent_run("support-bot"):
        pass
    (labels,) = labels_of(recorded, "agent.runs")
    assert (labels["gen_ai.agent.version"], labels["agent.feature"]) == ("2025-11-01", "_none")


def test_the_resources_service_version_is_the_fallback(recorded_with, monkeypatch):
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.version=3.1.4")
    recorded = recorded_with()
    with agent_run("support-bot"):
        pass
    assert labels_of(recorded, "agent.runs")[0]["gen_ai.agent.version"] == "3.1.4"


def test_without_any_version_the_label_is_unknown_and_the_span_has_none(recorded):
    with agent_run("support-bot"):
        pass
    assert labels_of(recorded, "agent.runs")[0]["gen_ai.agent.version"] == "_unknown"
    assert "gen_ai.agent.version" not in recorded.span().attributes


def test_a_nested_run_without_a_version_inherits_the_enclosing_runs(recorded):
    with agent_run("planner", version="v7"), agent_run("worker"):
        pass
    versions = {a["gen_ai.agent.name"]: a["gen_ai.agent.version"] for a in labels_of(recorded, "agent.runs")}
    assert versions == {"planner": "v7", "worker": "v7"}


def test_every_custom_attribute_goes_to_the_run_span_and_only_the_feature_becomes_a_label(recorded):
    with agent_run(
        "support-bot", version="v2", attributes={"feature": "refunds", "customer_tier": "gold", "retry": 2}
    ):
        pass
    span = recorded.span()
    assert {k: v for k, v in span.attributes.items() if k.startswith(("agent.", "gen_ai.agent.version"))} == {
        "gen_ai.agent.version": "v2",
        "agent.feature": "refunds",
        "agent.customer_tier": "gold",
        "agent.retry": 2,
    }
    assert set(labels_of(recorded, "agent.runs")[0]) == {
        "gen_ai.agent.name",
        "gen_ai.agent.version",
        "agent.feature",
        "status",
    }


def test_the_per_call_metrics_carry_no_version(recorded, openai_client):
    with agent_run("support-bot", version="v2"):
        openai_client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    assert "gen_ai.agent.version" not in labels_of(recorded, "agent.requests")[0]
    assert "gen_ai.agent.version" not in labels_of(recorded, "agent.request.duration")[0]


def test_versions_past_their_cap_are_folded_into_other(recorded_with):
    recorded = recorded_with(max_label_values=(("gen_ai_agent_version", 2),))
    for version in ("v1", "v2", "v3"):
        with agent_run("support-bot", version=version):
            pass
    versions = sorted(a["gen_ai.agent.version"] for a in labels_of(recorded, "agent.runs"))
    assert versions == ["_other", "v1", "v2"]
    assert recorded.value("agent.telemetry.label_overflow", label="gen_ai_agent_version") == 1


def test_features_past_their_cap_are_folded_into_other(recorded_with):
    recorded = recorded_with(max_label_values=(("agent_feature", 1),))
    for feature in ("refunds", "billing"):
        with agent_run("support-bot", attributes={"feature": feature}):
            pass
    features = sorted(a["agent.feature"] for a in labels_of(recorded, "agent.runs"))
    assert features == ["_other", "refunds"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"version": ""}, "agent_run version='': a version must be a non-empty string, or None"),
        ({"version": 2}, "agent_run version=2: a version must be a non-empty string, or None"),
        ({"attributes": ["feature"]}, "agent_run attributes=['feature']: pass a dict of names to values"),
        (
            {"attributes": {"feature": None}},
            "agent_run attributes: 'feature'=None: names must be non-empty strings and values strings, "
            "numbers or booleans",
        ),
    ],
)
def test_a_bad_version_or_attributes_is_refused_where_it_is_written(options, message):
    with pytest.raises(ValueError) as excinfo:
        agent_run("support-bot", **options)
    assert str(excinfo.value) == message
