"""prometheus/alertmanager: the config loads, routes by severity, and the templates render readably."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ._tools import ALERTMANAGER_DIR, run, tool

CONFIG = ALERTMANAGER_DIR / "alertmanager.yml"


def test_config_and_templates_load():
    result = run(tool("amtool"), "check-config", CONFIG)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 inhibit rules" in result.stdout and "1 templates" in result.stdout


# labels -> receivers, in routing order. "webhook" receives everything (continue: true).
ROUTES = [
    (
        {"alertname": "AgentHighErrorRate", "severity": "critical", "gen_ai_agent_name": "support"},
        "webhook,critical",
    ),
    (
        {"alertname": "AgentHighErrorRate", "severity": "warning", "gen_ai_agent_name": "support"},
        "webhook,slack",
    ),
    ({"alertname": "CollectorDown", "severity": "critical", "job": "otel-collector"}, "webhook,critical"),
    ({"alertname": "CollectorDroppingData", "severity": "warning"}, "webhook,slack"),
    ({"alertname": "SomethingInformational", "severity": "info"}, "webhook,null"),
    ({"alertname": "Watchdog", "severity": "none"}, "webhook,heartbeat"),
    ({"alertname": "Unlabelled"}, "webhook"),  # no severity: only the observing webhook
]


@pytest.mark.parametrize(
    ("labels", "receivers"), ROUTES, ids=[f"{lb['alertname']}-{lb.get('severity')}" for lb, _ in ROUTES]
)
def test_routes(labels: dict[str, str], receivers: str):
    args = [f"{k}={v}" for k, v in labels.items()]
    result = run(
        tool("amtool"),
        "config",
        "routes",
        "test",
        f"--config.file={CONFIG}",
        f"--verify.receivers={receivers}",
        *args,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receivers


def _route_config() -> dict:
    import yaml

    return yaml.safe_load(CONFIG.read_text())


def test_grouping_inhibition_and_placeholders():
    config = _route_config()
    # One notification group per alert and agent: every child route inherits the root's grouping.
    assert config["route"]["group_by"] == ["alertname", "gen_ai_agent_name"]
    assert [r for r in config["route"]["routes"] if "group_by" in r] == []
    assert config["inhibit_rules"] == [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["gen_ai_agent_name"],
        }
    ]
    webhook_urls = {
        r["name"]: r["webhook_configs"][0]["url"] for r in config["receivers"] if "webhook_configs" in r
    }
    assert webhook_urls == {
        "webhook": "http://127.0.0.1:9099/alerts",
        "heartbeat": "http://127.0.0.1:9099/heartbeat",
    }
    text = CONFIG.read_text()
    assert "api_url_file: /etc/alertmanager/secrets/slack_api_url" in text
    assert "routing_key_file: /etc/alertmanager/secrets/pagerduty_routing_key" in text


def _alert(name: str, agent: str, severity: str, status: str = "firing") -> dict:
    return {
        "status": status,
        "labels": {"alertname": name, "severity": severity, "gen_ai_agent_name": agent},
        "annotations": {
            "summary": f"Agent {agent}: 5.1% of provider calls fail.",
            "description": f"5.1% of the provider calls made by agent {agent} failed over the last 5m (threshold 5%).",
            "value": "5.1%",
            "runbook_url": f"https://github.com/agent-telemetry/agent-telemetry/blob/main/docs/runbooks/{name}.md",
        },
        "startsAt": "2025-01-01T00:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": "0123456789abcdef",
    }


def _render(template: str, alerts: list[dict], tmp_path: Path) -> str:
    common = dict(alerts[0]["labels"])
    data = {
        "receiver": "critical",
        "status": "firing" if any(a["status"] == "firing" for a in alerts) else "resolved",
        "alerts": alerts,
        "groupLabels": {"alertname": common["alertname"], "gen_ai_agent_name": common["gen_ai_agent_name"]},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
    }
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data))
    result = run(
        tool("amtool"),
        "template",
        "render",
        f"--template.glob={ALERTMANAGER_DIR / 'templates' / '*.tmpl'}",
        f'--template.text={{{{ template "{template}" . }}}}',
        f"--template.data={path}",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_slack_message_carries_summary_value_and_runbook(tmp_path: Path):
    alerts = [_alert("AgentHighErrorRate", "support", "critical")]
    assert (
        _render("agent_telemetry.slack.title", alerts, tmp_path) == "[FIRING:1] AgentHighErrorRate (support)"
    )
    assert _render("agent_telemetry.slack.color", alerts, tmp_path) == "danger"
    assert _render("agent_telemetry.slack.text", alerts, tmp_path) == (
        "*Agent support: 5.1% of provider calls fail.*\n"
        "5.1% of the provider calls made by agent support failed over the last 5m (threshold 5%).\n"
        "• value: 5.1%\n"
        "• severity: critical, agent: support\n"
        "• runbook: https://github.com/agent-telemetry/agent-telemetry/blob/main/docs/runbooks/AgentHighErrorRate.md\n"
    )


def test_slack_message_for_a_resolved_alert(tmp_path: Path):
    alerts = [_alert("AgentHighErrorRate", "support", "warning", status="resolved")]
    assert (
        _render("agent_telemetry.slack.title", alerts, tmp_path) == "[RESOLVED] AgentHighErrorRate (support)"
    )
    assert _render("agent_telemetry.slack.color", alerts, tmp_path) == "good"
    assert _render("agent_telemetry.slack.text", alerts, tmp_path) == (
        "Resolved:\n• Agent support: 5.1% of provider calls fail.\n"
    )


def test_pagerduty_description_and_details(tmp_path: Path):
    alerts = [_alert("AgentHighErrorRate", "support", "critical")]
    assert _render("agent_telemetry.pagerduty.description", alerts, tmp_path) == (
        "AgentHighErrorRate (support): Agent support: 5.1% of provider calls fail."
    )
    assert _render("agent_telemetry.text", alerts, tmp_path) == (
        "Agent support: 5.1% of provider calls fail. value=5.1% "
        "runbook=https://github.com/agent-telemetry/agent-telemetry/blob/main/docs/runbooks/AgentHighErrorRate.md\n"
    )
    assert _render("agent_telemetry.runbook_url", alerts, tmp_path) == (
        "https://github.com/agent-telemetry/agent-telemetry/blob/main/docs/runbooks/AgentHighErrorRate.md"
    )
