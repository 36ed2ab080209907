"""The native stack's alert log: Alertmanager's webhook notifications as one readable line per alert."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import stat
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_telemetry.tooling.stack.alert_log import MAX_BODY_BYTES, AlertLog, format_alert, serve

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


def test_a_newline_in_a_label_value_is_escaped_so_it_cannot_start_a_line_of_its_own() -> None:
    forged = "x\n2026-11-18T11:06:40Z RESOLVED critical AgentHighErrorRate"
    alert = {**FIRING, "labels": {**FIRING["labels"], "gen_ai_agent_name": forged}}
    assert format_alert(alert, "/alerts", AT) == (
        "2026-11-18T11:06:40Z FIRING   critical AgentHighErrorRate "
        "gen_ai_agent_name=x\\n2026-11-18T11:06:40Z RESOLVED critical AgentHighErrorRate: "
        "support-agent: 42% of calls failing (since 2026-11-18T11:06:09.5Z)"
    )


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("a\rb", "a\\rb"),
        ("a\tb", "a\\tb"),
        ("a\x1bb", "a\\x1bb"),
        ("a\u2028b", "a\\u2028b"),
        ("a\\nb", "a\\\\nb"),
        ("agent-é", "agent-é"),
    ],
)
def test_every_unprintable_character_of_a_value_is_written_as_an_escape(value: str, written: str) -> None:
    alert = {"status": "firing", "labels": {"alertname": "A", "severity": "page", "a": value}}
    assert format_alert(alert, "/alerts", AT) == f"2026-11-18T11:06:40Z FIRING   page     A a={written}"


@contextlib.contextmanager
def running(log: Path, **options: float) -> Iterator[str]:
    server = serve(0, log, **options)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "state" / "alerts.log"
    with running(log) as url:
        yield url, log


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


def test_a_newline_in_an_agent_name_cannot_forge_a_line_in_the_file(receiver) -> None:
    url, log = receiver
    forged = {**FIRING, "labels": {**FIRING["labels"], "gen_ai_agent_name": "x\nFORGED"}}
    assert post(f"{url}/alerts", json.dumps({"alerts": [forged]}).encode()) == 200
    assert len(log.read_text().splitlines()) == 1


def test_a_body_over_1_mib_is_refused_with_413_before_it_is_read(receiver) -> None:
    url, log = receiver
    assert MAX_BODY_BYTES == 1024 * 1024
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("POST", "/alerts")
        connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        connection.endheaders()  # the body is never sent: the answer comes from the headers alone
        assert connection.getresponse().status == 413
    finally:
        connection.close()
    assert not log.exists()


def test_a_body_of_exactly_1_mib_is_accepted(receiver) -> None:
    url, log = receiver
    body = json.dumps({"alerts": [FIRING], "padding": ""}).encode()
    body = body.replace(b'"padding": ""', b'"padding": "' + b"x" * (MAX_BODY_BYTES - len(body)) + b'"')
    assert len(body) == MAX_BODY_BYTES
    assert post(f"{url}/alerts", body) == 200
    assert len(log.read_text().splitlines()) == 1


def test_a_client_that_stalls_mid_request_is_disconnected_and_others_are_still_served(tmp_path) -> None:
    log = tmp_path / "alerts.log"
    with running(log, client_timeout=1.0) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=60) as stalled:
            stalled.sendall(b"POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            assert post(f"{url}/alerts", json.dumps({"alerts": [FIRING]}).encode()) == 200
            # The receiver's 1 s client timeout closes the connection; 60 s bounds the wait, not the test.
            assert stalled.recv(1024) == b""
    assert len(log.read_text().splitlines()) == 1


def test_the_log_file_is_private_and_so_is_the_directory_it_creates(receiver) -> None:
    url, log = receiver
    assert post(f"{url}/alerts", json.dumps({"alerts": [FIRING]}).encode()) == 200
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700


def test_it_answers_readiness_checks(receiver) -> None:
    url, _ = receiver
    with urllib.request.urlopen(f"{url}/-/ready", timeout=10) as response:
        assert response.status == 200


def test_the_log_can_go_to_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    AlertLog(Path("-")).write({"alerts": [FIRING]}, "/alerts")
    assert capsys.readouterr().out.count("FIRING   critical AgentHighErrorRate") == 1
