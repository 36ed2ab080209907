"""The compose ``demo`` profile: no Docker engine here, so each part it relies on is checked natively."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from agent_telemetry.cli import build_parser
from agent_telemetry.tooling.demo import Scenario
from agent_telemetry.tooling.demo import cli as demo_cli

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
DEMO = COMPOSE["services"]["demo"]
DOCKERFILE = (REPO / "Dockerfile").read_text()


def dockerfile_json_array(instruction: str) -> list[str]:
    match = re.search(rf"^{instruction} (\[.*\])$", DOCKERFILE, re.MULTILINE)
    assert match, f"no {instruction} in the Dockerfile"
    return yaml.safe_load(match.group(1))


def test_the_demo_only_starts_with_its_profile() -> None:
    assert DEMO["profiles"] == ["demo"]


def test_the_demo_is_built_from_the_repository_dockerfile() -> None:
    assert (DEMO["build"], (REPO / "Dockerfile").is_file()) == (".", True)


@pytest.mark.parametrize("scenario", [s.value for s in Scenario])
def test_the_compose_command_is_a_valid_demo_command_line_for_every_scenario(scenario: str) -> None:
    command = [arg.replace("${DEMO_SCENARIO:-normal}", scenario) for arg in DEMO["command"]]
    args = build_parser().parse_args(command)
    assert (args.handler, args.scenario) == (demo_cli.run, Scenario(scenario))


def test_the_image_runs_the_console_script_the_package_declares() -> None:
    scripts = [
        e.name
        for e in metadata.entry_points(group="console_scripts")
        if e.value.startswith("agent_telemetry")
    ]
    assert dockerfile_json_array("ENTRYPOINT") == scripts


def test_the_demo_exports_to_the_collector_service_on_the_port_its_config_listens_on() -> None:
    collector_config = (REPO / "otel-collector" / "config.yaml").read_text()
    assert "endpoint: ${env:OTLP_HTTP_ENDPOINT:-0.0.0.0:4318}" in collector_config
    assert DEMO["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    assert DEMO["depends_on"] == {"otel-collector": {"condition": "service_healthy"}}


def test_the_image_installs_the_demo_extra_with_both_sdks() -> None:
    assert 'RUN pip install --no-cache-dir ".[demo]"' in DOCKERFILE
    requirements = metadata.requires("agent-telemetry") or []
    extra = {re.split(r"[<>=;]", r)[0] for r in requirements if re.search(r"extra == .demo.", r)}
    assert extra == {"openai", "anthropic"}


@pytest.mark.install  # builds the wheel (pip fetches hatchling)
def test_the_files_the_dockerfile_copies_build_a_wheel_with_the_cli_and_start_up_hook(tmp_path: Path) -> None:
    """`pip install .` sees only what the Dockerfile copies: it must be enough to build the package."""
    context = tmp_path / "context"
    context.mkdir()
    for source in re.findall(r"^COPY (.+) \S+$", DOCKERFILE, re.MULTILINE):
        for name in source.split():
            path = REPO / name
            (shutil.copytree if path.is_dir() else shutil.copy)(path, context / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(context)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("agent_telemetry-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "agent_telemetry_bootstrap.pth" in names
    assert "agent_telemetry/tooling/demo/cli.py" in names


def test_the_compose_alert_log_receives_the_committed_webhooks_on_alertmanagers_loopback() -> None:
    service = COMPOSE["services"]["alert-log"]
    alertmanager_yml = yaml.safe_load((REPO / "prometheus" / "alertmanager" / "alertmanager.yml").read_text())
    webhook_ports = {
        config["url"].split("//", 1)[1].split("/", 1)[0]
        for receiver in alertmanager_yml["receivers"]
        for config in receiver.get("webhook_configs", [])
    }
    assert service["network_mode"] == "service:alertmanager"
    assert webhook_ports == {f"127.0.0.1:{service['command'][service['command'].index('--port') + 1]}"}


def test_the_compose_alert_log_command_is_one_its_module_accepts() -> None:
    from agent_telemetry.tooling.stack import alert_log

    service = COMPOSE["services"]["alert-log"]
    assert service["entrypoint"] == ["python", "-m", alert_log.__name__]
    assert alert_log.parse_args(service["command"]).file == Path("-")
