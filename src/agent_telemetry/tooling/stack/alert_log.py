"""A webhook receiver that writes every notification Alertmanager sends to a readable log file.

The native stack's stand-in for Slack or PagerDuty: ``agent-telemetry stack up`` (without
``--webhook-url``) runs it and points every receiver at it, so that a newcomer sees which alerts
fired and resolved, and when, with ``tail -f .stack/alerts.log``. One line per alert::

    2026-11-23T12:01:02Z FIRING   critical AgentHighErrorRate gen_ai_agent_name=support-agent: 42% of ...
        ... calls failing (since 2026-11-23T12:00:31Z)

    python -m agent_telemetry.tooling.stack.alert_log --port 9099 --file .stack/alerts.log
    python -m agent_telemetry.tooling.stack.alert_log --port 9099 --file -      # to standard output

In docker-compose.yml the ``alert-log`` service shares Alertmanager's network namespace, so the
committed webhook URLs (http://127.0.0.1:9099/alerts, /heartbeat) reach it unchanged.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from agent_telemetry.tooling.stack.ports import HOST
from agent_telemetry.tooling.stack.private import open_private

READY_PATH = "/-/ready"
# Alertmanager's notifications are a few KiB; anything larger is not one of them.
MAX_BODY_BYTES = 1 << 20
# A client that stalls this long mid-request loses its connection (and its handler thread).
CLIENT_TIMEOUT_S = 10.0
# Labels every alert has, or that say nothing an on-call reader needs on the line.
_LABELS_LEFT_OUT = frozenset({"alertname", "severity", "instance", "job", "team"})


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(value: object) -> str:
    """``value`` on one line: a newline or any other unprintable character becomes an escape.

    Label values come from applications (an agent's name), so without this a name with a newline in
    it could write a line of its own into alerts.log.
    """
    text = str(value)
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(_ESCAPES.get(char) or (char if char.isprintable() else _code(char)) for char in text)


def _code(char: str) -> str:
    point = ord(char)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def format_alert(alert: Mapping[str, Any], path: str, received_at: float) -> str:
    labels: Mapping[str, str] = alert.get("labels") or {}
    annotations: Mapping[str, str] = alert.get("annotations") or {}
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(received_at))
    status = escape(alert.get("status", "unknown")).upper()
    scope = " ".join(
        f"{escape(k)}={escape(v)}" for k, v in sorted(labels.items()) if k not in _LABELS_LEFT_OUT
    )
    summary = escape(annotations.get("summary", ""))
    severity, name = escape(labels.get("severity", "-")), escape(labels.get("alertname", "?"))
    line = f"{when} {status:<8} {severity:<8} {name}"
    if scope:
        line += f" {scope}"
    if summary:
        line += f": {summary}"
    # Alertmanager repeats a firing alert every repeat_interval: the start tells a repeat from a new one.
    if status == "FIRING" and alert.get("startsAt"):
        line += f" (since {escape(alert['startsAt'])})"
    if path.rstrip("/") == "/heartbeat":
        line += " (heartbeat receiver)"
    return line


class AlertLog:
    """Appends formatted notifications to ``path`` (``-``: standard output); thread-safe.

    The file is private (0600, in a directory created 0700): alerts name agents and what they did.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        if str(path) != "-":
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # an existing one keeps its mode

    def write(self, notification: Mapping[str, Any], request_path: str) -> None:
        now = time.time()
        lines = [format_alert(alert, request_path, now) for alert in notification.get("alerts") or ()]
        with self._lock:
            if str(self.path) == "-":  # in a container: `docker compose logs alert-log`
                sys.stdout.writelines(f"{line}\n" for line in lines)
                sys.stdout.flush()
                return
            with open(open_private(self.path, append=True), "a", encoding="utf-8") as log:
                log.writelines(f"{line}\n" for line in lines)


def _handler(log: AlertLog, client_timeout: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = client_timeout  # the socket timeout of every read and write of a request

        def do_GET(self) -> None:
            self._reply(200 if self.path == READY_PATH else 404)

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 <= length <= MAX_BODY_BYTES:
                self.close_connection = True  # the body stays unread
                self._reply(413 if length > 0 else 400, f"the body must be 0 to {MAX_BODY_BYTES} bytes\n")
                return
            try:
                body = self.rfile.read(length)
            except TimeoutError:  # a stalled client: drop it without an answer
                self.close_connection = True
                return
            try:
                log.write(json.loads(body), self.path)
            except Exception as exc:  # a body that is not a notification: say so, keep serving
                self._reply(400, f"not an Alertmanager notification: {exc}\n")
                return
            self._reply(200)

        def _reply(self, status: int, text: str = "") -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the alert log is the output; no access log

    return Handler


def serve(
    port: int, path: Path, host: str = HOST, client_timeout: float = CLIENT_TIMEOUT_S
) -> ThreadingHTTPServer:
    """The receiver, bound (port 0: a free one); call ``serve_forever()`` on it."""
    return ThreadingHTTPServer((host, port), _handler(AlertLog(path), client_timeout))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", type=Path, required=True, help="the log file; - for standard output")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    server = serve(args.port, args.file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
