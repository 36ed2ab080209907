"""High availability end to end (``stack up --ha``): two Prometheus replicas with the same TEST-profile rules,
alerting to a gossip cluster of three Alertmanagers, every notification written by the stack's alert-log
receiver. Deduplication is the engines' own: the replicas' alerts are identical once ``replica`` is dropped
(alert_relabel_configs), and the cluster shares its notification log and silences by gossip.

One incident, shared by the tests of this module (each checks one behaviour of it):

1. a silence is created on one Alertmanager, for agent ``ha-silenced``;
2. two agents' providers start failing (half of the calls get 429): ``ha-incident`` pages, ``ha-silenced``
   would page too;
3. once the page is notified, replica a is killed, then the Alertmanager that sends the notifications;
4. a third agent, ``ha-after``, starts failing: its page has only the survivors to go through;
5. the faults end, the pages resolve; the apps stop and their calls are counted against replica b.

Test timings: Prometheus evaluates every second; Alertmanager waits 1.5 s before a group's first notification
and 20 s between updates of a group, and cluster members wait 2 s per position (see ROUTE_TIMINGS); the
members probe each other every 3 s (see CLUSTER_PROBE).
"""

from __future__ import annotations

import contextlib
import json
import re
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent_telemetry import contract
from agent_telemetry.tooling.fake_provider import Behaviour, FakeProviderServer
from agent_telemetry.tooling.stack import ProjectFiles, Stack
from tests.alerts.conftest import start_profile_stack
from tests.alerts.harness import (
    AGENT,
    TrafficApp,
    alertmanager_alerts,
    firing,
    get_json,
    poll,
    prometheus_alerts,
    prometheus_query,
)
from tests.support.sinks import OtlpSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

# repeat_interval far beyond the module's run: every extra "firing" line would be a duplicate.
# Cluster members send in turn: member n waits n x PEER_TIMEOUT, then sends what it saw when its group
# was flushed unless the gossiped log says it was sent. A change that lands inside that wait is sent
# again from the stale view (Alertmanager's HA is at-least-once), so the wait must be short next to
# group_interval, as 15s is next to the shipped 5m; the test keeps that ratio.
# The members must also flush the same alerts: group_wait half an evaluation off the 1 s evaluation
# interval puts every flush (1.5 s + 20 s x n after the group's first alert) between two evaluations, so an
# alert fired one evaluation after the group's first (a page after its warning) never reaches the members
# at the instant they flush, where one could include it and the other not (then each sends its own view).
ROUTE_TIMINGS = {"group_wait": "1500ms", "group_interval": "20s", "repeat_interval": "1h"}
PEER_TIMEOUT = "2s"
# Positions come from each member's failure detector (memberlist): a peer that misses a probe and is not
# heard from within 4 probe intervals is dropped, and a member that has dropped the one before it counts
# itself first too and sends at once: the only way both survivors could send the new page in the same
# second, as they once did. With the defaults (500ms, 1s) a 6 s stall of a survivor on this shared 2-core
# machine is enough; with these, 17 s is not, and the killed member is dropped after ~18 s instead of ~6 s.
CLUSTER_PROBE = ("--cluster.probe-timeout=2s", "--cluster.probe-interval=3s")
ALERT = "AgentHighErrorRate"
INCIDENT, SILENCED, AFTER = "ha-incident", "ha-silenced", "ha-after"
FAULT = {429: 0.5}  # half of the calls rate limited: far past the critical error ratio
ALERTMANAGERS = ("alertmanager", "alertmanager_b", "alertmanager_c")  # keys of Stack.urls
SERVICES = {
    "alertmanager": "alertmanager",
    "alertmanager_b": "alertmanager-b",
    "alertmanager_c": "alertmanager-c",
}
NOTIFY_TIMEOUT_S = 60.0
RESOLVE_TIMEOUT_S = 120.0


def _post_json(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def _notifications(log: Path, status: str, agent: str) -> list[str]:
    """The alert-log lines of the page (ALERT, critical) for ``agent`` with ``status`` (FIRING or RESOLVED)."""
    text = log.read_text() if log.is_file() else ""
    pattern = re.compile(rf"^\S+ {status}\s+critical {ALERT} {AGENT}={re.escape(agent)}(:|$)")
    return [line for line in text.splitlines() if pattern.match(line)]


def _cluster(url: str) -> dict[str, Any]:
    return get_json(url, "/api/v2/status")["cluster"]


def _settled(stack: Stack) -> bool:
    """Per replica: rules evaluated (only the Watchdog fires), every target up, all three Alertmanagers known;
    and one cluster of three, settled."""
    for replica in ("prometheus", "prometheus_b"):
        url = stack.urls[replica]
        up = prometheus_query(url, "up")
        if [a["labels"]["alertname"] for a in prometheus_alerts(url)] != ["Watchdog"]:
            return False
        if len(up) != 6 or any(s["value"][1] != "1" for s in up):  # 2 Prometheus, collector, 3 Alertmanagers
            return False
        if len(get_json(url, "/api/v1/alertmanagers")["data"]["activeAlertmanagers"]) != 3:
            return False
    clusters = [_cluster(stack.urls[am]) for am in ALERTMANAGERS]
    return all(c["status"] == "ready" and len(c["peers"]) == 3 for c in clusters)


def _first(stack: Stack, ams: list[str]) -> list[str]:
    """The Alertmanagers of ``ams`` that count themselves first in the cluster (position 0): the senders."""
    return [am for am in ams if _metric(stack.urls[am], "alertmanager_peer_position") == 0]


def _notifier(stack: Stack) -> str:
    """The Alertmanager at position 0 of the cluster: the one that sends (the others wait their turn and then
    find the notification in the gossiped notification log)."""
    names = {am: _cluster(stack.urls[am])["name"] for am in ALERTMANAGERS}
    return min(names, key=lambda am: names[am])


def _metric(url: str, name: str) -> float:
    """One sample of an Alertmanager's own metric (``name`` with its labels, as exposed)."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
    raise AssertionError(f"{url}/metrics has no {name}")


def _gossip_flushed(url: str) -> Callable[[], bool]:
    """A check: gossip has gone out since the first call and nothing waits to be sent, so the notification
    log entry the Alertmanager wrote just after notifying has reached its peers."""
    sent = 'alertmanager_cluster_messages_sent_total{msg_type="update"}'
    before = _metric(url, sent)
    return lambda: _metric(url, sent) > before and _metric(url, "alertmanager_cluster_messages_queued") == 0


def _silenced_everywhere(stack: Stack, silence_id: str) -> bool:
    """Every Alertmanager holds the silenced agent's alert, muted by that very silence."""
    for am in ALERTMANAGERS:
        alerts = alertmanager_alerts(stack.urls[am], alertname=ALERT, **{AGENT: SILENCED})
        if not alerts or any(a["status"]["silencedBy"] != [silence_id] for a in alerts):
            return False
    return True


@dataclass
class Incident:
    stack: Stack
    alert_log: Path
    silence_id: str
    silences: dict[str, list[dict[str, Any]]]  # Alertmanager -> its GET /api/v2/silences, after creation
    fired_by_replicas: list[str]  # replicas that had the page firing before the kills
    held_by: list[str]  # Alertmanagers that held the page before the kills
    killed: list[str]  # services, in the order they were killed
    survivors_peers_lost: dict[str, float]  # survivor -> peers it dropped after the killed one
    calls: dict[str, int]  # agent -> calls the fake provider answered
    counted: dict[str, float]  # agent -> sum of the request counter on the surviving replica


@pytest.fixture(scope="module")
def incident(
    tmp_path_factory: pytest.TempPathFactory,
    alerts_project_files: ProjectFiles,
    profile_rules_dir: Path,
    alerts_trace_sink: OtlpSink,
    prices_file: Path,
    used_agents: set[str],
) -> Iterator[Incident]:
    state_dir = tmp_path_factory.mktemp("ha-stack")
    with ExitStack() as cleanup:
        stack = cleanup.enter_context(
            start_profile_stack(
                state_dir,
                alerts_project_files,
                profile_rules_dir,
                alerts_trace_sink,
                route_timings=ROUTE_TIMINGS,
                alert_log=True,
                ha=True,
                alertmanager_peer_timeout=PEER_TIMEOUT,
                alertmanager_args=CLUSTER_PROBE,
            )
        )
        poll("HA stack settled", lambda: _settled(stack), 60)
        alert_log = Path(stack.urls["alert_log"])

        # 1. A silence on Alertmanager b, for the second agent's alerts.
        now = datetime.now(UTC)
        silence_id = _post_json(
            f"{stack.urls['alertmanager_b']}/api/v2/silences",
            {
                "matchers": [{"name": AGENT, "value": SILENCED, "isRegex": False, "isEqual": True}],
                "startsAt": now.isoformat(),
                "endsAt": (now + timedelta(hours=1)).isoformat(),
                "createdBy": "test_ha_e2e",
                "comment": "silence created on one Alertmanager of the cluster",
            },
        )["silenceID"]

        def silences() -> dict[str, list[dict[str, Any]]] | None:
            found = {am: get_json(stack.urls[am], "/api/v2/silences") for am in ALERTMANAGERS}
            active = all(
                any(s["id"] == silence_id and s["status"]["state"] == "active" for s in v)
                for v in found.values()
            )
            return found if active else None

        gossiped = poll("silence on every Alertmanager", silences, 30)

        # 2. Both agents' providers fail half of the calls.
        agents: dict[str, FakeProviderServer] = {}
        apps: list[TrafficApp] = []
        for name in (INCIDENT, SILENCED, AFTER):
            used_agents.add(name)
            fake = cleanup.enter_context(FakeProviderServer(behaviour=Behaviour(seed=7)))
            app = TrafficApp(name, fake, stack.urls["otlp_http"], prices_file, state_dir, 2, 0.2)
            apps.append(cleanup.enter_context(app))  # stops before its fake provider
            agents[name] = fake
        for name in (INCIDENT, SILENCED):
            agents[name].behaviour.update(error_rates=FAULT)

        poll("page notified", lambda: _notifications(alert_log, "FIRING", INCIDENT), NOTIFY_TIMEOUT_S)

        def everywhere() -> tuple[list[str], list[str]] | None:
            fired_by = [
                replica
                for replica in ("prometheus", "prometheus_b")
                if firing(prometheus_alerts(stack.urls[replica], **{AGENT: INCIDENT}), ALERT, "critical")
            ]
            labels = {"alertname": ALERT, "severity": "critical", AGENT: INCIDENT}
            held_by = [am for am in ALERTMANAGERS if alertmanager_alerts(stack.urls[am], **labels)]
            return (fired_by, held_by) if len(fired_by) == 2 and len(held_by) == 3 else None

        fired_by, held_by = poll("page fired by both replicas, held by all three", everywhere, 30)
        poll(
            "silenced alert muted on every Alertmanager", lambda: _silenced_everywhere(stack, silence_id), 30
        )

        # 3. Mid-alert: replica a dies, then the Alertmanager that notifies, once it has gossiped that it
        # did (a notifier that dies before is at-least-once: a survivor sends the page again).
        notifier = _notifier(stack)
        poll("notifier's gossip sent", _gossip_flushed(stack.urls[notifier]), 30)
        stack.kill("prometheus")
        stack.kill(SERVICES[notifier])
        killed = ["prometheus", SERVICES[notifier]]
        survivors = [am for am in ALERTMANAGERS if am != notifier]
        poll(
            "the survivors' cluster has two members, one of them first",
            lambda: (
                all(len(_cluster(stack.urls[am])["peers"]) == 2 for am in survivors)
                and len(_first(stack, survivors)) == 1
            ),
            90,
        )
        left = "alertmanager_cluster_peers_left_total"
        peers_left = {am: _metric(stack.urls[am], left) for am in survivors}

        # 4. A third agent starts failing: a new page, for the survivors alone to send.
        agents[AFTER].behaviour.update(error_rates=FAULT)
        poll("new page notified", lambda: _notifications(alert_log, "FIRING", AFTER), NOTIFY_TIMEOUT_S)

        # 5. The faults end; the pages resolve; the apps stop (flushing their last counts).
        for fake in agents.values():
            fake.behaviour.update(error_rates={})
        for name in (INCIDENT, AFTER):
            poll(
                f"{name}: page resolved",
                lambda name=name: _notifications(alert_log, "RESOLVED", name),
                RESOLVE_TIMEOUT_S,
            )
        for app in apps:
            app.stop()  # idempotent: the cleanup's stop is then a no-op
        calls = {name: len(fake.requests) for name, fake in agents.items()}

        # Bounded wait for the last export to land; on a mismatch the test shows both.
        with contextlib.suppress(AssertionError):
            poll("survivor's counters", lambda: _counted(stack) == calls, 30)
        counted = _counted(stack)
        lost = {am: _metric(stack.urls[am], left) - peers_left[am] for am in survivors}
        yield Incident(
            stack, alert_log, silence_id, gossiped, fired_by, held_by, killed, lost, calls, counted
        )


def _counted(stack: Stack) -> dict[str, float]:
    """agent -> its calls as the surviving replica counts them."""
    survivor = stack.urls["prometheus_b"]
    return {
        agent: sum(float(s["value"][1]) for s in _requests(survivor, agent))
        for agent in (INCIDENT, SILENCED, AFTER)
    }


def _requests(prometheus_url: str, agent: str) -> list[dict[str, Any]]:
    """The agent's request-counter series on one replica (each call counted once, in one series)."""
    return prometheus_query(prometheus_url, f'{contract.REQUESTS.prometheus_name}{{{AGENT}="{agent}"}}')


# --- the tests ----------------------------------------------------------------------------------------------


def test_a_silence_created_on_one_alertmanager_holds_on_all_three(incident: Incident):
    for am, silences in incident.silences.items():
        assert [s["id"] for s in silences if s["status"]["state"] == "active"] == [incident.silence_id], am
    # The silenced agent's page fired in Prometheus like the other's, and never reached a receiver, before,
    # during or after the kills.
    assert f"{AGENT}={SILENCED}" not in incident.alert_log.read_text()


def test_one_firing_alert_is_notified_once_not_once_per_replica(incident: Incident):
    # Both replicas fired the page and sent it to all three Alertmanagers: six copies, one notification.
    assert incident.fired_by_replicas == ["prometheus", "prometheus_b"]
    assert incident.held_by == list(ALERTMANAGERS)
    assert len(_notifications(incident.alert_log, "FIRING", INCIDENT)) == 1


def test_killing_a_prometheus_and_the_notifying_alertmanager_mid_alert_neither_repeats_nor_loses_it(
    incident: Incident,
):
    assert incident.killed[0] == "prometheus"
    assert incident.killed[1].startswith("alertmanager")
    # Still one firing notification (the survivors know from the gossiped log that it was sent), and the
    # resolution, sent by a survivor, once.
    assert len(_notifications(incident.alert_log, "FIRING", INCIDENT)) == 1
    assert len(_notifications(incident.alert_log, "RESOLVED", INCIDENT)) == 1


def test_the_survivors_keep_sight_of_each_other_from_the_kill_to_the_end(incident: Incident):
    # What once-only notification rests on: a survivor that dropped the other would be first too and send
    # every notification a second time (docs/runbooks/ha/AlertmanagerSplitBrain.md).
    assert incident.survivors_peers_lost == {am: 0.0 for am in incident.survivors_peers_lost}
    assert len(incident.survivors_peers_lost) == 2


def test_a_page_that_starts_after_the_kills_is_notified_and_resolved_once_by_the_survivors(
    incident: Incident,
):
    assert len(_notifications(incident.alert_log, "FIRING", AFTER)) == 1
    assert len(_notifications(incident.alert_log, "RESOLVED", AFTER)) == 1


def test_counters_lose_nothing_across_the_kills(incident: Incident):
    assert all(incident.calls[agent] > 0 for agent in (INCIDENT, SILENCED, AFTER))
    assert incident.counted == incident.calls


def test_a_replica_stores_every_series_once_without_the_replica_label(incident: Incident):
    """What Grafana queries (one replica) counts each call once: `replica` labels only what leaves a replica."""
    survivor = incident.stack.urls["prometheus_b"]
    for agent in (INCIDENT, SILENCED, AFTER):
        series = _requests(survivor, agent)
        assert series and all("replica" not in s["metric"] for s in series)
