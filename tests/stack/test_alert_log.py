"""The native stack's alert log: Alertmanager's webhook notifications as one readable line per alert."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_telemetry.tooling.stack.alert_log import AlertLog, format_alert, serve

AT = 1_795_000_000.0  # 2026-11-18T11:06:40Z
FIRING = {
    "status": "firing",
    "labels": {
        "alertname": "AgentHighErrorRate",
        "severity": "critical",
        "gen_ai_agent_name": "support-agent",
        "team": "agents",
    },
    "annotations": {"summary": "support-agent: 42% of calls failing"},
    "startsAt": "2026-11-18T11:06:09.5Z",
}


def test_a_firing_alert_is_one_line_with_time_status_severity_name_scope_and_summary() -> None:
    assert format_alert(FIRING, "/alerts", AT) == (
        "2026-11-18T11:06:40Z FIRING   critical AgentHighErrorRate gen_ai_agent_name=support-agent: "
        "support-agent: 42% of calls failing (since 2026-11-18T11:06:09.5Z)"
    )


def test_a_heartbeat_notification_says_so() -> None:
    watchdog = {"status": "firing", "labels": {"alertname": "Watchdog", "severity": "none"}}
    assert format_alert(watchdog, "/heartbeat", AT) == (
        "2026-11-18T11:06:40Z FIRING   none     Watchdog (heartbeat receiver)"
    )


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "alerts.log"
    server = serve(0, log)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()


def post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_each_alert_of_a_notification_is_appended_to_the_file(receiver) -> None:
    url, log = receiver
    resolved = {**FIRING, "status": "resolved"}
    assert post(f"{url}/alerts", json.dumps({"version": "4", "alerts": [FIRING, resolved]}).encode()) == 200
    assert [line.split(" ", 2)[1] for line in log.read_text().splitlines()] == ["FIRING", "RESOLVED"]


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"alerts": [{"labels": ["x"]}]}'])
def test_a_body_that_is_not_a_notification_is_refused_and_logs_nothing(receiver, body: bytes) -> None:
    url, log = receiver
    assert post(f"{url}/alerts", body) == 400
    assert not log.exists()


def test_it_answers_readiness_checks(receiver) -> None:
    url, _ = receiver
    with urllib.request.urlopen(f"{url}/-/ready", timeout=10) as response:
        assert response.status == 200


def test_the_log_can_go_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    AlertLog(Path("-")).write({"alerts": [FIRING]}, "/alerts")
    assert capsys.readouterr().out.count("FIRING   critical AgentHighErrorRate") == 1
