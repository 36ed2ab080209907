"""Two processes of one service, end to end: each is its own Prometheus instance, so counts add up.

Without a ``service.instance.id`` the two processes' series are identical in Prometheus (job and
instance come from service.name and service.instance.id) and the second overwrites the first.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agent_telemetry.tooling.fake_provider import FakeProviderServer
from tests.stack import prom
from tests.support.processes import MY_AGENT, environ_without_telemetry, exporting_once_at_exit

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

SERVICE = "two-process-app"


def test_two_processes_of_one_service_are_counted_exactly(running_stack, tmp_path: Path):
    app = tmp_path / "my_agent.py"
    app.write_text(MY_AGENT)
    with FakeProviderServer() as fake:
        env = {
            **environ_without_telemetry(),
            **exporting_once_at_exit(fake.openai_base_url, running_stack.urls["otlp_http"], SERVICE),
        }
        for _ in range(2):
            result = subprocess.run(
                [sys.executable, str(app)], env=env, capture_output=True, text=True, timeout=120, check=False
            )
            assert (result.returncode, result.stderr) == (0, ""), result.stderr
    url = running_stack.urls["prometheus"]
    per_instance = prom.wait_for(url, f'agent_requests_total{{job="{SERVICE}"}}', count=2)
    assert sorted(float(v) for v in per_instance.values()) == [1.0, 1.0]
    assert len({dict(labels)["instance"] for labels in per_instance}) == 2
    (total,) = prom.query(url, f'sum(agent_requests_total{{job="{SERVICE}"}})').values()
    assert float(total) == 2
