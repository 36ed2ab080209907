"""The chart's AlertmanagerConfig is prometheus/alertmanager/alertmanager.yml in the operator's schema:
the same routes, inhibit rules and receivers; secrets from a Secret named like the files they were."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest
import yaml

from tests.helm._chart import CHART, ROOT, objects, of_kind, run, template, tool

pytestmark = pytest.mark.e2e

ALERTMANAGER_YML = yaml.safe_load((ROOT / "prometheus" / "alertmanager" / "alertmanager.yml").read_text())
MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(.*)"\s*$')
ROUTE_KEYS = {
    "receiver": "receiver",
    "group_by": "groupBy",
    "group_wait": "groupWait",
    "group_interval": "groupInterval",
    "repeat_interval": "repeatInterval",
    "continue": "continue",
}


def _spec(*flags: str) -> dict[str, Any]:
    [config] = of_kind(objects(template(*flags)), "AlertmanagerConfig")
    return config["spec"]


def _matchers(matchers: list[str]) -> list[dict[str, str]]:
    parsed = (MATCHER.match(matcher).groups() for matcher in matchers)
    return [{"name": name, "matchType": op, "value": value} for name, op, value in parsed]


def _route(route: dict[str, Any]) -> dict[str, Any]:
    translated = {ROUTE_KEYS[key]: value for key, value in route.items() if key in ROUTE_KEYS}
    if "matchers" in route:
        translated["matchers"] = _matchers(route["matchers"])
    if "routes" in route:
        translated["routes"] = [_route(child) for child in route["routes"]]
    return translated


def test_routes_are_alertmanager_yml_routes():
    assert _spec()["route"] == _route(ALERTMANAGER_YML["route"])


def test_the_watchdog_goes_to_the_heartbeat_every_minute():
    heartbeat = next(route for route in _spec()["route"]["routes"] if route["receiver"] == "heartbeat")
    assert heartbeat == {
        "receiver": "heartbeat",
        "matchers": [{"name": "alertname", "matchType": "=", "value": "Watchdog"}],
        "groupWait": "0s",
        "groupInterval": "1m",
        "repeatInterval": "1m",
    }


def test_inhibit_rules_are_alertmanager_yml_inhibit_rules():
    assert _spec()["inhibitRules"] == [
        {
            "sourceMatch": _matchers(rule["source_matchers"]),
            "targetMatch": _matchers(rule["target_matchers"]),
            "equal": rule["equal"],
        }
        for rule in ALERTMANAGER_YML["inhibit_rules"]
    ]


def test_receivers_are_alertmanager_yml_receivers_with_their_kinds():
    receivers = _spec()["receivers"]
    assert [receiver["name"] for receiver in receivers] == [r["name"] for r in ALERTMANAGER_YML["receivers"]]
    kinds = {receiver["name"]: sorted(set(receiver) - {"name"}) for receiver in receivers}
    assert kinds == {
        "null": [],
        "webhook": ["webhookConfigs"],
        "heartbeat": ["webhookConfigs"],
        "critical": ["pagerdutyConfigs", "slackConfigs"],
        "slack": ["slackConfigs"],
    }


def test_secret_files_become_keys_of_the_alerting_secret():
    critical = next(receiver for receiver in _spec()["receivers"] if receiver["name"] == "critical")
    assert critical["pagerdutyConfigs"][0]["routingKey"] == {
        "name": "agent-telemetry-alerting",
        "key": "pagerduty_routing_key",
    }
    assert critical["slackConfigs"][0]["apiURL"] == {
        "name": "agent-telemetry-alerting",
        "key": "slack_api_url",
    }


def test_pagerduty_and_slack_texts_are_the_committed_templates():
    critical = next(receiver for receiver in _spec()["receivers"] if receiver["name"] == "critical")
    pagerduty = next(r for r in ALERTMANAGER_YML["receivers"] if r["name"] == "critical")[
        "pagerduty_configs"
    ][0]
    rendered = critical["pagerdutyConfigs"][0]
    assert rendered["description"] == pagerduty["description"]
    assert rendered["pagerDutyLinkConfigs"] == [
        {"href": link["href"], "alt": link["text"]} for link in pagerduty["links"]
    ]
    assert rendered["details"] == [
        {"key": key, "value": value} for key, value in sorted(pagerduty["details"].items())
    ]
    assert critical["slackConfigs"][0]["text"] == '{{ template "agent_telemetry.slack.text" . }}'


def test_webhook_urls_are_set_per_receiver():
    spec = _spec("--set", "alertmanagerConfig.webhookUrls.heartbeat=https://snitch.example/abc")
    urls = {r["name"]: r["webhookConfigs"][0]["url"] for r in spec["receivers"] if "webhookConfigs" in r}
    assert urls == {"webhook": "http://127.0.0.1:9099/alerts", "heartbeat": "https://snitch.example/abc"}


def test_a_receiver_kind_the_chart_cannot_translate_fails_the_render_naming_it(tmp_path):
    chart = tmp_path / "agent-telemetry"
    shutil.copytree(CHART, chart)  # links followed: the copy's alertmanager.yml can be edited
    config = chart / "files" / "alertmanager" / "alertmanager.yml"
    edited = yaml.safe_load(config.read_text())
    edited["receivers"].append({"name": "mail", "email_configs": [{"to": "oncall@example.com"}]})
    config.write_text(yaml.safe_dump(edited))
    result = run(tool("helm"), "template", "agent-telemetry", chart)
    assert result.returncode == 1
    assert (
        "alertmanager.yml: receiver mail: email_configs has no AlertmanagerConfig translation in the chart"
        in result.stderr
    )
