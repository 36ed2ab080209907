"""A stack of its own for the alerting tests: Prometheus loads the TEST-profile rules, generated into a temp
dir from the committed prometheus/thresholds.yaml by the same generator as the shipped rules; Alertmanager
runs the committed routing with short group timings and posts every webhook to ``alert_sink`` (at the
committed paths: /alerts, /heartbeat).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from agent_telemetry.tooling.fake_provider import Behaviour, FakeProviderServer
from agent_telemetry.tooling.generated import write
from agent_telemetry.tooling.rules.config import Thresholds, load_thresholds
from agent_telemetry.tooling.rules.rule_files import render
from agent_telemetry.tooling.stack import Ports, ProjectFiles, Stack, build_collector, find_project_root
from tests.alerts.harness import (
    PRICES_YAML,
    Agent,
    AlertCatalog,
    AlertStack,
    DetectionLog,
    TimedWebhookSink,
    TrafficApp,
    get_json,
    poll,
    prometheus_alerts,
    prometheus_query,
)
from tests.support.sinks import OtlpSink

PROFILE = "test"
# Alertmanager: notify 1 s after a group's first alert, 2 s after a change in it (a resolution, say).
ROUTE_TIMINGS = {"group_wait": "1s", "group_interval": "2s", "repeat_interval": "1m"}
DETECTIONS = pytest.StashKey[DetectionLog]()


@pytest.fixture(scope="session")
def alerts_project_files() -> ProjectFiles:
    return find_project_root(Path(__file__).parent)


@pytest.fixture(scope="session")
def profile_thresholds(alerts_project_files: ProjectFiles) -> Thresholds:
    return load_thresholds(alerts_project_files.root / "prometheus" / "thresholds.yaml", PROFILE)


@pytest.fixture(scope="session")
def profile_rules_dir(tmp_path_factory: pytest.TempPathFactory, profile_thresholds: Thresholds) -> Path:
    """The rule files ``rules generate --profile test`` writes: the shipped expressions, short windows."""
    rules_dir = tmp_path_factory.mktemp("test-profile-rules")
    write(render(profile_thresholds, PROFILE), rules_dir)
    return rules_dir


@pytest.fixture(scope="session")
def catalog(profile_thresholds: Thresholds, profile_rules_dir: Path) -> AlertCatalog:
    return AlertCatalog.load(profile_thresholds, profile_rules_dir)


@pytest.fixture(scope="session")
def alert_sink() -> Iterator[TimedWebhookSink]:
    with TimedWebhookSink() as sink:
        yield sink


@pytest.fixture(scope="session")
def alerts_trace_sink() -> Iterator[OtlpSink]:
    """The apps' spans end here (the stack's collector forwards traces); no test reads them."""
    with OtlpSink() as sink:
        yield sink


@pytest.fixture(scope="session")
def alert_stack(
    tmp_path_factory: pytest.TempPathFactory,
    alerts_project_files: ProjectFiles,
    profile_rules_dir: Path,
    alert_sink: TimedWebhookSink,
    alerts_trace_sink: OtlpSink,
) -> Iterator[AlertStack]:
    # The context manager stops every server on teardown, also after a failed test or a failed start.
    with start_profile_stack(
        tmp_path_factory.mktemp("alert-stack"),
        alerts_project_files,
        profile_rules_dir,
        alerts_trace_sink,
        webhook_url=f"{alert_sink.url}{{path}}",  # /alerts and /heartbeat stay apart, as committed
    ) as stack:
        ready = AlertStack(stack, time.time())
        poll("stack settled", lambda: _settled(ready), 30)
        yield ready


def start_profile_stack(
    state_dir: Path,
    files: ProjectFiles,
    rules_dir: Path,
    trace_sink: OtlpSink,
    *,
    route_timings: Mapping[str, str] = ROUTE_TIMINGS,
    **options: Any,
) -> Stack:
    """A native stack on free ports on the test-profile rules in ``rules_dir``: scrapes and rule evaluations
    every second, Alertmanager's root route on ``route_timings``, traces to ``trace_sink``; ``options`` go
    to Stack.start."""
    build_collector(files)  # minutes the first time, then the cached binary
    return Stack.start(
        state_dir,
        Ports.free(),
        traces_endpoint=trace_sink.url,
        evaluation_interval="1s",
        scrape_interval="1s",
        files=files,
        rules_dir=rules_dir,
        alertmanager_route_timings=route_timings,
        **options,
    )


def _settled(stack: AlertStack) -> bool:
    """Rules evaluated (the Watchdog fires), Alertmanager known, every target scraped, and the startup's
    CollectorDown (pending while the collector had not been scraped yet) gone."""
    alerts = [a["labels"]["alertname"] for a in prometheus_alerts(stack.prometheus)]
    up = prometheus_query(stack.prometheus, "up")
    return (
        alerts == ["Watchdog"]
        and len(up) == 3
        and all(s["value"][1] == "1" for s in up)
        and bool(get_json(stack.prometheus, "/api/v1/alertmanagers")["data"]["activeAlertmanagers"])
    )


@pytest.fixture(scope="session")
def used_agents() -> set[str]:
    """Agents the session's tests have sent traffic as: their alerts may outlive their test (a budget alert
    lasts a day), so tests that expect silence look past them."""
    return set()


@pytest.fixture(scope="session")
def prices_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prices") / "prices.yaml"
    path.write_text(PRICES_YAML)
    return path


@pytest.fixture
def start_agent(
    alert_stack: AlertStack,
    prices_file: Path,
    used_agents: set[str],
    tmp_path: Path,
) -> Iterator[Callable[..., Agent]]:
    """``start_agent(name, threads=, pace_s=)``: a fake provider of its own (faults are scripted on it by the
    test) and the traffic app calling it as agent ``name``; both stop when the test ends."""
    with ExitStack() as cleanup:

        def start(name: str, *, threads: int = 2, pace_s: float = 0.2) -> Agent:
            assert name not in used_agents, f"agent {name} already used: alerts would mix"
            used_agents.add(name)
            # Seeded and fault-free: faults are scripted replies, queued by the test on this agent's provider.
            fake = cleanup.enter_context(FakeProviderServer(behaviour=Behaviour(seed=7)))
            app = TrafficApp(name, fake, alert_stack.otlp_http, prices_file, tmp_path, threads, pace_s)
            cleanup.enter_context(app)  # exits before the fake provider stops: no failed calls at the end
            return Agent(name, fake, app)

        yield start


@pytest.fixture
def detections(request: pytest.FixtureRequest) -> DetectionLog:
    return request.config.stash.setdefault(DETECTIONS, DetectionLog())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    log = config.stash.get(DETECTIONS, None)
    if log is None or not log.entries:
        return
    terminalreporter.section(
        "alert detection latency, measured (fault start -> webhook, or demo scenario start -> active)"
    )
    for line in log.lines():
        terminalreporter.write_line(line)
