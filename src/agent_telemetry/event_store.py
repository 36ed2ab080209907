"""``agent-telemetry events``: the agent's events, read back from the log store (VictoriaLogs).

Standard library HTTP only, so the command works with a plain ``pip install agent-telemetry``. The
store is queried with LogsQL (``/select/logsql/query``; ``--follow`` uses ``/select/logsql/tail``),
which answers with one JSON object per line, each field a string.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

from agent_telemetry.config import Settings
from agent_telemetry.contract import EVENTS, Attr, EventAttr

# Fields every record has that say where it came from rather than what happened.
_HIDDEN_PREFIXES = ("_", "service.", "telemetry.", "scope.", "severity_", "event")
_SHOWN_FIRST = ("event_name", Attr.AGENT_NAME)
_DURATION = re.compile(r"^\d+(ms|s|m|h|d|w)$")


class StoreError(RuntimeError):
    """The log store could not be asked, or refused the query: the message is one line."""


def events_query(agent: str | None, since: str, run_id: str | None = None, newest: int | None = None) -> str:
    """LogsQL for our events of the last ``since`` (e.g. ``10m``), oldest first; with ``newest``, only
    that many of the most recent, newest first."""
    order = f" | sort by (_time desc) | limit {newest}" if newest else " | sort by (_time)"
    return f"_time:{since} {_filters(agent, run_id)}{order}"


def _filters(agent: str | None, run_id: str | None) -> str:
    names = ",".join(_quoted(name) for name in EVENTS)
    # The name is the record's event name; SDKs before opentelemetry 1.35 send it as event.name.
    filters = [f"(event_name:in({names}) or {EventAttr.EVENT_NAME}:in({names}))"]
    if agent:
        filters.append(f"{Attr.AGENT_NAME}:={_quoted(agent)}")
    if run_id:
        filters.append(f"{EventAttr.RUN_ID}:={_quoted(run_id)}")
    return " ".join(filters)


def _quoted(value: str) -> str:
    return json.dumps(value)  # a LogsQL phrase: double quotes, backslash escapes


def query(url: str, logsql: str, limit: int | None = None, timeout: float = 10.0) -> list[dict[str, str]]:
    """The records ``logsql`` selects from the store at ``url``."""
    params = {"query": logsql, **({"limit": str(limit)} if limit else {})}
    with _open(f"{url.rstrip('/')}/select/logsql/query", params, timeout) as response:
        return [json.loads(line) for line in response if line.strip()]


def tail(url: str, logsql: str) -> Iterator[dict[str, str]]:
    """Records as the store receives them, until interrupted."""
    with _open(f"{url.rstrip('/')}/select/logsql/tail", {"query": logsql}, None) as response:
        for line in response:
            if line.strip():
                yield json.loads(line)


def _open(endpoint: str, params: dict[str, str], timeout: float | None) -> Any:
    data = urllib.parse.urlencode(params).encode()
    try:
        return urllib.request.urlopen(endpoint, data=data, timeout=timeout)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace").strip().splitlines()
        raise StoreError(
            f"the log store refused the query ({exc.code}): {detail[0] if detail else exc.reason}"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StoreError(
            f"cannot reach the log store at {endpoint.split('/select/')[0]} ({reason}); start it with "
            "`agent-telemetry stack up` or `docker compose up -d`, or point --url "
            "(AGENT_TELEMETRY_EVENTS_URL) at yours"
        ) from None


def format_event(record: dict[str, str]) -> str:
    """One line: time, event name, agent, then the event's own fields and its trace id."""
    name = record.get("event_name") or record.get(EventAttr.EVENT_NAME, "-")
    fields = [record.get("_time", ""), name, record.get(Attr.AGENT_NAME, "-")]
    fields += [
        f"{key}={value}"
        for key, value in sorted(record.items())
        if key not in _SHOWN_FIRST
        and not key.startswith(_HIDDEN_PREFIXES)
        and key not in ("trace_id", "span_id")
    ]
    if record.get("trace_id"):
        fields.append(f"trace_id={record['trace_id']}")
    return "  ".join(fields)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "events",
        help="Show an agent's recent events from the log store.",
        description="Show the events (run start/end, steps, usage, tool calls, computer-use actions, "
        "budget stops) that agents sent through the collector to the log store, oldest first.",
    )
    parser.add_argument("--agent", metavar="NAME", help="only this agent's events (gen_ai.agent.name)")
    parser.add_argument("--run", metavar="RUN_ID", help="only this run's events")
    parser.add_argument("--since", default="10m", help="how far back, e.g. 30s, 10m, 2h, 1d (default: 10m)")
    parser.add_argument("--limit", type=int, default=1000, help="the most recent this many (default: 1000)")
    parser.add_argument(
        "--url", help="the log store (default: $AGENT_TELEMETRY_EVENTS_URL or http://127.0.0.1:9428)"
    )
    parser.add_argument("--follow", "-f", action="store_true", help="keep showing new events as they arrive")
    parser.add_argument("--json", action="store_true", help="one JSON object per event, as the store has it")
    parser.set_defaults(handler=run_events)


def run_events(args: argparse.Namespace) -> int:
    if not _DURATION.match(args.since):
        return _error(f"--since {args.since!r} is not a duration such as 30s, 10m, 2h or 1d")
    url = args.url or Settings.from_env().events_store_url
    show = (lambda record: json.dumps(record, sort_keys=True)) if args.json else format_event
    try:
        # The most recent --limit of them, shown oldest first.
        records = query(url, events_query(args.agent, args.since, args.run, newest=args.limit))[::-1]
        for record in records:
            print(show(record), flush=True)
        if args.follow:
            for record in tail(url, _filters(args.agent, args.run)):
                print(show(record), flush=True)
    except StoreError as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        return 0
    if not records and not args.follow:
        who = f" of {args.agent}" if args.agent else ""
        print(f"no events{who} in the last {args.since}", file=sys.stderr)
    return 0


def _error(message: str) -> int:
    print(f"agent-telemetry events: {message}", file=sys.stderr)
    return 2
