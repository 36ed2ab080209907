"""`agent-telemetry events`: its LogsQL, its one-line errors (the store itself: tests/stack/test_events_e2e.py)."""

import subprocess
import sys

from agent_telemetry.event_store import events_query, format_event
from tests.support.processes import environ_without_telemetry

NAMES = (
    '"agent.session.start","agent.run.start","agent.run.end","agent.step","agent.usage","agent.tool.call",'
    '"agent.computer_use.action","agent.budget.stop","gen_ai.client.inference.operation.details"'
)


def events_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent_telemetry", "events", *args],
        env=environ_without_telemetry(), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_query_selects_our_events_of_one_agent_and_run_oldest_first():
    assert events_query("support-bot", "10m", "run-1") == (
        f"_time:10m (event_name:in({NAMES}) or event.name:in({NAMES})) "
        'gen_ai.agent.name:="support-bot" agent_telemetry.run.id:="run-1" | sort by (_time)'
    )


def test_the_newest_n_come_newest_first_for_the_command_to_reverse():
    assert events_query(None, "1h", newest=50).endswith(f"(event_name:in({NAMES}) or event.name:in({NAMES})) "
                                                        "| sort by (_time desc) | limit 50")  # fmt: skip


def test_a_name_with_quotes_stays_one_phrase():
    assert 'gen_ai.agent.name:="say \\"hi\\""' in events_query('say "hi"', "1h")


def test_an_event_is_one_line_of_time_name_agent_its_fields_and_trace_id():
    record = {
        "_time": "2026-11-29T12:00:00Z",
        "_stream": "{service.name=billing}",
        "event_name": "agent.run.end",
        "gen_ai.agent.name": "support-bot",
        "agent_telemetry.run.status": "success",
        "agent_telemetry.run.steps": "2",
        "service.name": "billing",
        "severity_text": "INFO",
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
        "span_id": "b7ad6b7169203331",
    }
    assert format_event(record) == (
        "2026-11-29T12:00:00Z  agent.run.end  support-bot  agent_telemetry.run.status=success  "
        "agent_telemetry.run.steps=2  trace_id=0af7651916cd43dd8448eb211c80319c"
    )


def test_an_unreachable_store_is_one_line_saying_what_to_do_and_exit_code_2(unused_port):
    result = events_command("--agent", "support-bot", "--url", f"http://127.0.0.1:{unused_port}")
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        f"agent-telemetry events: cannot reach the log store at http://127.0.0.1:{unused_port} ("
    )
    assert line.endswith(
        "start it with `agent-telemetry stack up` or `docker compose up -d`, or point --url "
        "(AGENT_TELEMETRY_EVENTS_URL) at yours"
    )


def test_a_since_that_is_no_duration_is_one_line_and_exit_code_2():
    result = events_command("--since", "yesterday")
    assert (result.returncode, result.stderr) == (
        2,
        "agent-telemetry events: --since 'yesterday' is not a duration such as 30s, 10m, 2h or 1d\n",
    )
