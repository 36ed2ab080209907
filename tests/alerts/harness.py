"""Helpers for the alerting end-to-end tests: the timed webhook, the Prometheus and Alertmanager APIs,
the traffic app, the expected annotations (from the generated rule files) and detection latencies."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import yaml

from agent_telemetry.tooling.fake_provider import FakeProviderServer
from agent_telemetry.tooling.rules.config import Thresholds
from agent_telemetry.tooling.rules.rule_files import ALERTS_FILE
from agent_telemetry.tooling.stack import Stack
from tests.support.processes import environ_without_telemetry
from tests.support.sinks import WebhookSink

AGENT = "gen_ai_agent_name"
POLL_S = 0.2  # Prometheus evaluates every 1 s: polling faster only adds load
TRAFFIC_APP = Path(__file__).with_name("traffic_app.py")
MODEL = "alerts-model"
# Default replies cost ~1.6e-7 USD (11 input + 5 output tokens), so steady traffic never nears even the test
# profile's daily budget; the budget test buys its spend with scripted token counts instead.
USD_PER_MILLION_TOKENS = 0.01
PRICES_YAML = f"""\
models:
  - model: {MODEL}
    provider: openai
    input: {USD_PER_MILLION_TOKENS}
    output: {USD_PER_MILLION_TOKENS}
"""

T = TypeVar("T")


def poll(what: str, check: Callable[[], T | None], timeout: float) -> T:
    """``check()`` every POLL_S until it returns something truthy (not None, False or an empty result such as
    a query's ``[]``); AssertionError after."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:g}s")
        time.sleep(POLL_S)


# --- the webhook receiver --------------------------------------------------------------------------------


class TimedWebhookSink(WebhookSink):
    """The shared webhook sink, stamping each alert of a payload with its arrival time (``received_at``)."""

    def parse(self, path: str, body: bytes) -> list[dict[str, Any]]:
        now = time.time()
        return [{**alert, "received_at": now} for alert in super().parse(path, body)]

    def alerts(self, **labels: str) -> list[dict[str, Any]]:
        """Every delivered alert whose labels include ``labels``, oldest first."""
        with self._lock:
            records = list(self.records)
        return [r for r in records if labels.items() <= r["labels"].items()]

    def wait_alert(self, status: str, timeout: float, **labels: str) -> dict[str, Any]:
        """The first delivered alert with ``status`` (firing/resolved) and ``labels``."""
        return poll(
            f"webhook: {status} {labels}",
            lambda: next((r for r in self.alerts(**labels) if r["status"] == status), None),
            timeout,
        )


# --- Prometheus and Alertmanager -------------------------------------------------------------------------


def get_json(base_url: str, path: str, params: Iterable[tuple[str, str]] = ()) -> Any:
    url = f"{base_url}{path}?{urllib.parse.urlencode(list(params))}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def prometheus_alerts(prometheus_url: str, **labels: str) -> list[dict[str, Any]]:
    """Prometheus's active alerts (pending or firing) whose labels include ``labels``."""
    body = get_json(prometheus_url, "/api/v1/alerts")
    assert body["status"] == "success", body
    return [a for a in body["data"]["alerts"] if labels.items() <= a["labels"].items()]


def prometheus_query(prometheus_url: str, promql: str) -> list[dict[str, Any]]:
    body = get_json(prometheus_url, "/api/v1/query", [("query", promql)])
    assert body["status"] == "success", body
    return body["data"]["result"]


def alertmanager_alerts(alertmanager_url: str, **labels: str) -> list[dict[str, Any]]:
    """Alertmanager's alerts (active, inhibited and silenced alike) whose labels include ``labels``."""
    return get_json(alertmanager_url, "/api/v2/alerts", [("filter", f'{k}="{v}"') for k, v in labels.items()])


def firing(alerts: list[dict[str, Any]], alertname: str, severity: str) -> dict[str, Any] | None:
    """The Prometheus alert of that name and severity, if it is firing."""
    return next(
        (
            a
            for a in alerts
            if a["labels"]["alertname"] == alertname
            and a["labels"]["severity"] == severity
            and a["state"] == "firing"
        ),
        None,
    )


# --- what each alert must look like ----------------------------------------------------------------------


def _template_pattern(template: str, agent: str) -> re.Pattern[str]:
    """The rendered form of an annotation template: the agent's name literally, any other {{ ... }} as .+"""
    regex = ""
    for part in re.split(r"(\{\{.*?\}\})", template):
        if re.fullmatch(r"\{\{\s*\$labels\.gen_ai_agent_name\s*\}\}", part):
            regex += re.escape(agent)
        elif part.startswith("{{"):
            regex += ".+?"
        else:
            regex += re.escape(part)
    return re.compile(regex, re.DOTALL)


@dataclass(frozen=True)
class AlertCatalog:
    """The alert rules Prometheus loaded (generated from the test profile), to check alerts against."""

    thresholds: Thresholds
    rules: Mapping[tuple[str, str], Mapping[str, Any]]  # (alertname, severity) -> rule

    @classmethod
    def load(cls, thresholds: Thresholds, rules_dir: Path) -> AlertCatalog:
        groups = yaml.safe_load((rules_dir / ALERTS_FILE).read_text())["groups"]
        rules = {
            (rule["alert"], rule["labels"]["severity"]): rule
            for group in groups
            for rule in group["rules"]
            if "alert" in rule and set(rule["labels"]) == {"severity"}  # SLO burns carry window labels too
        }
        return cls(thresholds, rules)

    def runbook_url(self, alertname: str) -> str:
        return f"{self.thresholds.runbook_base_url}/{alertname}.md"

    def check(self, alert: Mapping[str, Any], alertname: str, severity: str, agent: str | None) -> None:
        """Exact labels; annotations as the shipped templates render them for this agent; the runbook."""
        expected_labels = {"alertname": alertname, "severity": severity}
        if agent is not None:
            expected_labels[AGENT] = agent
        assert alert["labels"] == expected_labels, alert
        annotations = alert["annotations"]
        templates = self.rules[(alertname, severity)]["annotations"]
        assert set(annotations) == set(templates), annotations
        for key in ("summary", "description", "value"):
            pattern = _template_pattern(templates[key], agent or "")
            assert pattern.fullmatch(annotations[key]), (key, annotations[key], pattern.pattern)
        if agent is not None:
            assert agent in annotations["description"], annotations
        assert annotations["runbook_url"] == self.runbook_url(alertname) == templates["runbook_url"]


@dataclass(frozen=True)
class AlertStack:
    stack: Stack
    ready_at: float  # time.time() when every server was ready

    @property
    def prometheus(self) -> str:
        return self.stack.urls["prometheus"]

    @property
    def alertmanager(self) -> str:
        return self.stack.urls["alertmanager"]

    @property
    def otlp_http(self) -> str:
        return self.stack.urls["otlp_http"]


# --- the instrumented app --------------------------------------------------------------------------------


@dataclass
class TrafficApp:
    """The traffic app in a subprocess, calling ``fake`` as agent ``agent``; stopped by closing its stdin."""

    agent: str
    fake: FakeProviderServer
    otlp_endpoint: str
    prices_file: Path
    log_dir: Path
    threads: int = 2
    pace_s: float = 0.2
    _process: subprocess.Popen[str] | None = field(default=None, init=False)
    _stderr: IO[str] | None = field(default=None, init=False)

    def start(self) -> TrafficApp:
        env = {
            **environ_without_telemetry(),
            "FAKE_OPENAI_URL": self.fake.openai_base_url,
            "TRAFFIC_MODEL": MODEL,
            "TRAFFIC_THREADS": str(self.threads),
            "TRAFFIC_PACE_S": str(self.pace_s),
            "OTEL_SERVICE_NAME": self.agent,  # also the agent name outside agent runs
            "OTEL_EXPORTER_OTLP_ENDPOINT": self.otlp_endpoint,
            "OTEL_METRIC_EXPORT_INTERVAL": "500",  # ms: alerts see a call within ~2 s
            "AGENT_TELEMETRY_PRICES": str(self.prices_file),
        }
        self._stderr = (self.log_dir / f"{self.agent}.stderr").open("w")
        self._process = subprocess.Popen(
            [sys.executable, str(TRAFFIC_APP)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        assert line == "started\n", f"traffic app for {self.agent} failed: {self._stderr_text()}"
        # Running means calling: wait for its first calls so that a fault hits a live app.
        poll(f"{self.agent}: first calls", lambda: len(self.fake.requests) >= 2 * self.threads, 20)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if self._stderr is not None:
            self._stderr.close()

    def _stderr_text(self) -> str:
        return (self.log_dir / f"{self.agent}.stderr").read_text()

    def __enter__(self) -> TrafficApp:
        try:
            return self.start()
        except BaseException:
            self.stop()  # never leave the process behind
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@dataclass(frozen=True)
class Agent:
    """One scenario's agent: its own fake provider (faults are scripted there) and the app calling it."""

    name: str
    fake: FakeProviderServer
    app: TrafficApp


# --- detection latencies ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detection:
    scenario: str
    alert: str  # alertname/severity
    status: str  # firing or resolved
    seconds: float
    since: str  # what the clock started at


@dataclass
class DetectionLog:
    """Detection latencies of the session, printed as they happen and again in the terminal summary."""

    entries: list[Detection] = field(default_factory=list)

    def record(self, scenario: str, notification: Mapping[str, Any], start: float, since: str) -> float:
        """Seconds from ``start`` (time.time() of ``since``) to the webhook's receipt of ``notification``."""
        labels = notification["labels"]
        seconds = notification["received_at"] - start
        alert = f"{labels['alertname']}/{labels['severity']}"
        self.entries.append(Detection(scenario, alert, notification["status"], seconds, since))
        print(f"\n[alert latency] {scenario}: {alert} {notification['status']} {seconds:.1f}s after {since}")
        return seconds

    def lines(self) -> Iterator[str]:
        for d in self.entries:
            yield f"{d.scenario:<22} {d.alert + ' ' + d.status:<48} {d.seconds:6.1f}s  (from {d.since})"
