"""The scale-out profile's storage (``stack up --scale-out``: Thanos receive, replication factor 3) keeps
every acknowledged sample when one storage node dies, and goes on taking writes.

Exact counts through the real pipeline: the real openai client against the fake provider, our
instrumentation, the real collector remote-writing to the receive router, three ingestors, the querier.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_telemetry.tooling.fake_provider import FakeProviderServer
from agent_telemetry.tooling.stack import ProjectFiles, Stack
from agent_telemetry.tooling.stack.scale_out import INGESTORS, REPLICA_LABEL, ScaleOutPorts
from tests.alerts.harness import poll
from tests.stack import prom
from tests.stack.conftest import start_stack
from tests.support.processes import environ_without_telemetry, exporting_once_at_exit

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

# An agent that makes CALLS chat calls and exits: one cumulative export, at shutdown, so the counter's
# stored value is exactly CALLS.
CALLING_AGENT = """\
import os

import openai

client = openai.OpenAI(base_url=os.environ["FAKE_OPENAI_URL"], api_key="sk-test", max_retries=0)
for _ in range(int(os.environ["CALLS"])):
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
"""


@pytest.fixture(scope="module")
def storage_stack(
    tmp_path_factory: pytest.TempPathFactory, project_files: ProjectFiles, collector_binary: Path, trace_sink
) -> Iterator[Stack]:
    """A scale-out stack of its own: this module kills one of its ingestors."""
    with start_stack(
        tmp_path_factory.mktemp("scale-out-kill"),
        project_files,
        traces_endpoint=trace_sink.url,
        alert_log=True,
        scale_out=True,
        scale_out_ports=ScaleOutPorts.free(),
    ) as stack:
        yield stack


def _run_agent(stack: Stack, service: str, calls: int, tmp_path: Path) -> None:
    app = tmp_path / "calling_agent.py"
    app.write_text(CALLING_AGENT)
    with FakeProviderServer() as fake:
        env = {
            **environ_without_telemetry(),
            **exporting_once_at_exit(fake.openai_base_url, stack.urls["otlp_http"], service),
            "CALLS": str(calls),
        }
        result = subprocess.run(
            [sys.executable, str(app)], env=env, capture_output=True, text=True, timeout=120, check=False
        )
    assert (result.returncode, result.stderr) == (0, ""), result.stderr


def _requests(service: str) -> str:
    return f'sum(agent_requests_total{{job="{service}"}})'


def _copies(url: str, service: str) -> list[str]:
    """The ``receive_replica`` of each stored copy of the service's counter (the querier undeduplicated)."""
    result = prom.api(url, "query", query=f'agent_requests_total{{job="{service}"}}', dedup="false")["result"]
    return sorted(r["metric"][REPLICA_LABEL] for r in result)


def _copies_or_none(url: str, service: str) -> list[str] | None:
    """None while the querier answers with an error (it may, until it notices a node has died)."""
    try:
        return _copies(url, service)
    except (AssertionError, OSError):
        return None


def test_every_acknowledged_sample_survives_the_loss_of_a_storage_node(storage_stack: Stack, tmp_path: Path):
    url = storage_stack.urls["prometheus"]
    _run_agent(storage_stack, "before-the-kill", 25, tmp_path)
    # Acknowledged: the collector got the router's 2xx, which it sends once a quorum of ingestors has it.
    prom.wait_for(url, f"{_requests('before-the-kill')} == 25", timeout=60)
    # Replication factor 3: each ingestor holds a copy; the querier counts the sample once.
    assert _copies(url, "before-the-kill") == ["0", "1", "2"]

    storage_stack.kill(INGESTORS[1])  # SIGKILL: no flush, no goodbye

    # The two survivors answer (at once, or once the querier has dropped the dead node): the same count.
    poll("the survivors' copies", lambda: _copies_or_none(url, "before-the-kill") == ["0", "2"], 60)
    assert prom.query(url, _requests("before-the-kill")) == {frozenset(): "25"}


def test_writes_go_on_with_one_storage_node_down(storage_stack: Stack, tmp_path: Path):
    """With one of three ingestors dead the write quorum (2) still holds: new samples are stored twice."""
    url = storage_stack.urls["prometheus"]
    storage_stack.kill(INGESTORS[1])  # already dead when this runs after the test above: a no-op then
    _run_agent(storage_stack, "after-the-kill", 17, tmp_path)
    prom.wait_for(url, f"{_requests('after-the-kill')} == 17", timeout=90)
    assert prom.query(url, _requests("after-the-kill")) == {frozenset(): "17"}
    assert _copies(url, "after-the-kill") == ["0", "2"]
