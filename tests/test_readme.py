"""Every command the README shows: run here, as a reader would type it, or named with why it cannot run.

Commands are the lines of the README's ``bash`` blocks and the inline code that starts like a command.
A command added to the README without an entry here fails ``test_every_readme_command_is_accounted_for``.
Long-running ones (the main job, the demo) get ``--duration`` added, which the demo takes last.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent_telemetry.tooling.fake_provider import FakeProviderServer
from tests.support.processes import MY_AGENT, environ_without_telemetry
from tests.support.sinks import OtlpSink

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
VENV_BIN = Path(sys.executable).parent
COMMAND_STARTS = (
    "scripts/",
    "agent-telemetry ",
    ".venv/bin/agent-telemetry ",
    "docker compose",
    "bash ",
    "tail ",
    "pip ",
    "python ",
    "opentelemetry-instrument ",
)


def readme_commands() -> list[str]:
    found: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", README, re.DOTALL):
        found += [line.split(" #", 1)[0].strip() for line in block.splitlines() if line.strip()]
    found += [span for span in re.findall(r"`([^`\n]+)`", README) if span.startswith(COMMAND_STARTS)]
    return list(dict.fromkeys(c for c in found if c and not c.startswith("#")))


def clean_env(**extra: str) -> dict[str, str]:
    env = environ_without_telemetry()
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"  # as with the venv activated
    return {**env, **extra}


def run(
    command: str, env: dict[str, str], cwd: Path = REPO, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``bash -c command``; on a timeout its whole process group goes (the stack, the demo), not just bash."""
    with subprocess.Popen(
        ["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    ) as process:  # fmt: skip
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGTERM)
            stdout, stderr = process.communicate()
            raise AssertionError(
                f"{command}: still running after {timeout:g}s\n{stdout[-3000:]}\n{stderr[-3000:]}"
            ) from None
    assert process.returncode == 0, f"{command}\n{stdout[-3000:]}\n{stderr[-3000:]}"
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


# -- how each runnable command is run and what it must show ------------------------------------------
def main_job(extra: str = "", env: dict[str, str] | None = None) -> Callable[[], None]:
    """The main job, natively, on free ports and in a state dir of its own: never a developer's stack."""

    def check() -> None:
        with _workdir() as state:
            done = run(
                f"scripts/run.sh {extra} --duration 6s --rate 5",
                clean_env(
                    AGENT_TELEMETRY_STACK="native",
                    AGENT_TELEMETRY_FREE_PORTS="1",
                    AGENT_TELEMETRY_STATE_DIR=str(state),
                    **(env or {}),
                ),
            )
            assert "Where to look:" in done.stdout
            assert "stopped after" in done.stdout  # the demo's summary
            assert "stack stopped" in done.stdout

    return check


def zero_code_agent(command: str, **extra_env: str) -> Callable[[], None]:
    def check() -> None:
        with FakeProviderServer() as fake, OtlpSink() as sink, _workdir() as cwd:
            (cwd / "my_agent.py").write_text(MY_AGENT)
            env = clean_env(
                FAKE_OPENAI_URL=fake.openai_base_url,
                OTEL_EXPORTER_OTLP_ENDPOINT=sink.endpoint,
                OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
                **extra_env,
            )
            run(command, env, cwd=cwd, timeout=120)
            assert [p["value"] for p in sink.metric_points("agent.requests")] == [1]

    return check


def code_example() -> None:
    block = re.search(r"```python\n(.*?)```", README, re.DOTALL)
    assert block, "no python example in the README"
    with OtlpSink() as sink, _workdir() as cwd:
        (cwd / "example.py").write_text(block.group(1))
        run("python example.py", clean_env(OTEL_EXPORTER_OTLP_ENDPOINT=sink.endpoint), cwd=cwd, timeout=120)
        assert [p["attributes"]["status"] for p in sink.metric_points("agent.runs")] == ["success"]


def generator(command: str) -> Callable[[], None]:
    """Rule and dashboard generation, in a copy of the files they read and write."""

    def check() -> None:
        with _workdir() as cwd:
            for folder in ("prometheus", "grafana"):
                shutil.copytree(REPO / folder, cwd / folder)
            done = run(command, clean_env(), cwd=cwd)
            assert done.stdout.startswith("up to date"), done.stdout  # the committed files are current

    return check


def succeeds(command: str) -> Callable[[], None]:
    def check() -> None:
        run(command, clean_env())

    return check


def prints(command: str, text: str) -> Callable[[], None]:
    def check() -> None:
        assert text in run(command, clean_env()).stdout

    return check


@contextlib.contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        yield Path(directory)


RUNNABLE: dict[str, Callable[[], None]] = {
    "scripts/run.sh": main_job(),
    "scripts/run.sh --scenario rate-limit-storm": main_job("--scenario rate-limit-storm"),
    "scripts/run.sh --schedule normal:3m,rate-limit-storm:5m,normal:5m": main_job(
        "--schedule normal:3m,rate-limit-storm:5m,normal:5m"
    ),
    "AGENT_TELEMETRY_RULES_PROFILE=test scripts/run.sh --scenario tool-failures": main_job(
        "--scenario tool-failures", {"AGENT_TELEMETRY_RULES_PROFILE": "test"}
    ),
    "AGENT_TELEMETRY_ENABLED=true OTEL_SERVICE_NAME=support-bot python my_agent.py": zero_code_agent(
        "AGENT_TELEMETRY_ENABLED=true OTEL_SERVICE_NAME=support-bot python my_agent.py"
    ),
    "opentelemetry-instrument python my_agent.py": zero_code_agent(
        "opentelemetry-instrument python my_agent.py",
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_METRICS_EXPORTER="otlp",
        OTEL_LOGS_EXPORTER="none",
    ),
    "agent-telemetry rules generate": generator("agent-telemetry rules generate"),
    "agent-telemetry dashboards generate": generator("agent-telemetry dashboards generate"),
    "agent-telemetry demo --help": prints("agent-telemetry demo --help", "--scenario"),
    "scripts/run.sh --schedule normal:10m,bad-deploy:10m": main_job("--schedule normal:10m,bad-deploy:10m"),
    ".venv/bin/agent-telemetry stack down --state-dir .stack": prints(
        f"{VENV_BIN}/agent-telemetry stack down --state-dir .stack-readme-test", "no stack in"
    ),
    "scripts/setup.sh": succeeds("scripts/setup.sh"),
    "scripts/build-collector.sh": succeeds("scripts/build-collector.sh"),
    "scripts/build-engines.sh thanos": succeeds("scripts/build-engines.sh thanos"),
    "python example (the ```python block)": code_example,
}
NOT_RUN_HERE: dict[str, str] = {
    "scripts/test.sh": "runs this very suite (.ci/run calls it)",
    "pip install agent-telemetry": "installs the published package from PyPI; the suite tests this checkout, "
    "installed editable by scripts/setup.sh",
    "docker compose up -d": "no Docker engine on these machines; the files it mounts run natively in tests/stack",
    "docker compose --profile demo up -d": "no Docker engine; the demo service's parts are checked in "
    "tests/demo/test_compose_service.py",
    "tail -f .stack/alerts.log": "follows a file forever; the alert log is tested in tests/stack/test_alert_log.py",
    "docker compose logs -f alert-log": "no Docker engine; the compose alert-log service is checked in "
    "tests/demo/test_compose_service.py",
    "bash benchmarks/run.sh": "a benchmark of several minutes that installs the peers; run by hand, results in "
    "docs/performance.md",
    "agent-telemetry stack up|status|down": "three commands in one: run as a user would in "
    "tests/stack/test_stack_cli.py",
    "agent-telemetry stack up --free-ports": "run in tests/stack/test_stack_cli.py",
    "agent-telemetry stack check": "fails until secrets/ holds the receiver files, which are never committed; "
    "both outcomes run in tests/stack/test_stack_check.py",
    "agent-telemetry stack up --ha": "run through Stack.start(ha=True) in tests/alerts/test_ha_e2e.py",
    "docker compose -f docker-compose.yml -f docker-compose.ha.yml up -d": "no Docker engine; the HA files "
    "it mounts are checked in tests/stack/test_ha_files.py and run natively in tests/alerts/test_ha_e2e.py",
    "docker compose -f docker-compose.yml -f docker-compose.gateways.yml up -d": "no Docker engine; the tier "
    "files it mounts are checked in tests/stack/test_gateway_files.py and run natively in "
    "tests/stack/test_gateways_e2e.py",
    "agent-telemetry stack up --gateways": "run as a user would (up, status, down; alone and with --scale-out) "
    "in tests/stack/test_gateways_stack_e2e.py",
    "agent-telemetry stack up --scale-out": "run through Stack.start(scale_out=True) in "
    "tests/stack/test_scale_out_e2e.py, test_contract_e2e.py and test_dashboards_live.py",
    "docker compose --profile scale-out up -d": "no Docker engine; the profile's files are checked in "
    "tests/stack/test_scale_out_files.py and test_compose_cli.py, and run natively by `stack up --scale-out`",
    "agent-telemetry runs": "needs recordings: run in tests/sessions",
    "agent-telemetry replay FILE": "needs a recording: run in tests/sessions",
    "agent-telemetry compare --agent research-agent --versions v1,v2 --window 30m --fail-on "
    "'cost_per_run:+10%,success_rate:-2pp'": "needs both versions' data in Prometheus: the bad deploy runs "
    "through the stack into this very command in tests/stack/test_compare_e2e.py",
    "agent-telemetry events --agent NAME --since 10m": "needs events in the log store: a real call's events are "
    "read back through this command in tests/stack/test_events_e2e.py",
    "agent-telemetry compare --recordings DIR_A DIR_B": "needs recordings: run in tests/compare/test_recordings.py",
    "agent-telemetry compare runs FILE_A FILE_B": "needs recordings: run in tests/compare/test_recordings.py",
    "git clone https://github.com/agent-telemetry/agent-telemetry && cd agent-telemetry": "the suite runs in "
    "that clone",
    "helm upgrade kube-prometheus-stack prometheus-community/kube-prometheus-stack -n monitoring --reuse-values "
    "-f deploy/helm/kube-prometheus-stack-values.yaml": "needs a Kubernetes cluster and the prometheus-community "
    "chart repository; the values file's keys are the ones deploy/helm/agent-telemetry/README.md explains",
    "helm install agent-telemetry deploy/helm/agent-telemetry -n monitoring --set-file "
    "alertmanagerConfig.secretData.slack_api_url=secrets/slack_api_url --set-file "
    "alertmanagerConfig.secretData.pagerduty_routing_key=secrets/pagerduty_routing_key": "needs a Kubernetes "
    "cluster; the chart is linted, rendered (with these values too) and schema-validated in tests/helm",
}


def test_every_readme_command_is_accounted_for() -> None:
    shown = set(readme_commands()) | {"python example (the ```python block)"}
    assert shown == set(RUNNABLE) | set(NOT_RUN_HERE)


@pytest.mark.parametrize("command", list(RUNNABLE))
def test_readme_command_runs(command: str) -> None:
    RUNNABLE[command]()
