"""docker-compose.yml as the real Docker Compose CLI reads it, for the default and every other profile.

`docker-compose config` resolves profiles, anchors, variables and relative paths exactly as `docker compose
up` does, and needs no Docker engine. The binary is built from the Go module proxy by
scripts/build-compose.sh (minutes the first time, then cached; scripts/setup.sh builds it).
"""

from __future__ import annotations

import json
import os
import posixpath
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
BUILD_SCRIPT = REPO / "scripts" / "build-compose.sh"
PROFILES = sorted(
    {p for s in yaml.safe_load(COMPOSE_FILE.read_text())["services"].values() for p in s.get("profiles", [])}
)
# None: no --profile, the services `docker compose up` starts by default.
ALL_PROFILES = pytest.mark.parametrize("profile", [None, *PROFILES], ids=["default", *PROFILES])

# The first test may build docker-compose (minutes on a cold machine).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]


@pytest.fixture(scope="session")
def compose_binary() -> Path:
    built = subprocess.run([str(BUILD_SCRIPT)], stdout=subprocess.PIPE, text=True, check=True)
    return Path(built.stdout.splitlines()[-1])


@pytest.fixture(scope="session")
def empty_env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Instead of a developer's .env next to the compose file, so only the test sets variables."""
    path = tmp_path_factory.mktemp("compose") / "empty.env"
    path.write_text("")
    return path


def compose(
    binary: Path, env_file: Path, profile: str | None, *args: str, password: str | None = "pw"
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_", "GRAFANA_", "DEMO_"))
    }
    if password is not None:
        env["GRAFANA_ADMIN_PASSWORD"] = password
    profile_args = ["--profile", profile] if profile else []
    argv = [str(binary), "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *profile_args, *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


def rendered(binary: Path, env_file: Path, profile: str | None) -> dict[str, Any]:
    result = compose(binary, env_file, profile, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def bind_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> host path of each bind mount."""
    return {v["target"]: Path(v["source"]) for v in service.get("volumes", []) if v["type"] == "bind"}


def flag(command: list[str], name: str) -> str:
    (value,) = [arg.split("=", 1)[1] for arg in command if arg.startswith(f"{name}=")]
    return value


@ALL_PROFILES
def test_compose_accepts_the_file(compose_binary, empty_env_file, profile) -> None:
    result = compose(compose_binary, empty_env_file, profile, "config", "-q")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@ALL_PROFILES
def test_a_profile_adds_its_services_to_the_default_ones(compose_binary, empty_env_file, profile) -> None:
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    expected = {name for name, s in services.items() if not s.get("profiles") or profile in s["profiles"]}
    assert set(rendered(compose_binary, empty_env_file, profile)["services"]) == expected


@ALL_PROFILES
def test_without_the_grafana_password_compose_refuses_and_says_what_to_set(
    compose_binary, empty_env_file, profile
) -> None:
    result = compose(compose_binary, empty_env_file, profile, "config", "-q", password=None)
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        "required variable GRAFANA_ADMIN_PASSWORD is missing a value: set GRAFANA_ADMIN_PASSWORD (or put it in .env)"
    )


def native_files() -> dict[str, Path]:
    """What the native stack runs (stack.py: the committed configs as they are, rules and templates
    beside them), and the Grafana files `agent-telemetry dashboards generate` writes."""
    from agent_telemetry.tooling.stack.paths import ProjectFiles

    files = ProjectFiles(REPO)
    prometheus_yml = yaml.safe_load(files.prometheus_config.read_text())
    alertmanager_yml = yaml.safe_load(files.alertmanager_config.read_text())
    (rules_glob,) = prometheus_yml["rule_files"]
    (templates_glob,) = alertmanager_yml["templates"]
    return {
        "collector config": files.collector_config,
        "prometheus.yml": files.prometheus_config,
        "rules": files.prometheus_config.parent / Path(rules_glob).parent,
        "alertmanager.yml": files.alertmanager_config,
        "templates": files.alertmanager_config.parent / Path(templates_glob).parent,
        "secrets": REPO / "secrets",
        "grafana provisioning": REPO / "grafana" / "provisioning",
        "grafana dashboards": REPO / "grafana" / "dashboards",
    }


def expected_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Where a service of each image must find the native stack's files, from its own command line and
    the paths the configs themselves name (relative ones resolve against the config file's directory)."""
    native, image, command = native_files(), service["image"], service.get("command") or []
    if image.startswith("prom/prometheus:"):
        config = flag(command, "--config.file")
        (rules_glob,) = yaml.safe_load(native["prometheus.yml"].read_text())["rule_files"]
        rules = posixpath.join(posixpath.dirname(config), posixpath.dirname(rules_glob))
        return {config: native["prometheus.yml"], rules: native["rules"]}
    if image.startswith("prom/alertmanager:"):
        config = flag(command, "--config.file")
        (templates_glob,) = yaml.safe_load(native["alertmanager.yml"].read_text())["templates"]
        templates = posixpath.join(posixpath.dirname(config), posixpath.dirname(templates_glob))
        # Every *_file the config reads lies under this mount (tests/stack/test_stack_check.py).
        secrets = posixpath.join(posixpath.dirname(config), "secrets")
        return {
            config: native["alertmanager.yml"],
            templates: native["templates"],
            secrets: native["secrets"],
        }
    if image.startswith("otel/opentelemetry-collector"):
        return {flag(command, "--config"): native["collector config"]}
    if image.startswith("grafana/grafana:"):
        provisioning = "/etc/grafana/provisioning"
        provider = yaml.safe_load(
            (native["grafana provisioning"] / "dashboards" / "dashboards.yaml").read_text()
        )
        (dashboards,) = [p["options"]["path"] for p in provider["providers"]]
        return {provisioning: native["grafana provisioning"], dashboards: native["grafana dashboards"]}
    return {}


@ALL_PROFILES
def test_each_service_mounts_read_only_exactly_the_files_its_native_counterpart_uses(
    compose_binary, empty_env_file, profile
) -> None:
    services = rendered(compose_binary, empty_env_file, profile)["services"]
    for name, service in services.items():
        assert bind_mounts(service) == expected_mounts(service), name
        writable = [
            v["target"] for v in service.get("volumes", []) if v["type"] == "bind" and not v.get("read_only")
        ]
        assert writable == [], name


@ALL_PROFILES
def test_together_the_services_mount_every_native_file(compose_binary, empty_env_file, profile) -> None:
    services = rendered(compose_binary, empty_env_file, profile)["services"]
    mounted = {path for service in services.values() for path in bind_mounts(service).values()}
    assert mounted == set(native_files().values())
    assert all(path.exists() for path in mounted)


def test_a_second_build_reuses_the_cached_binary(compose_binary) -> None:
    again = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, check=True)
    assert (Path(again.stdout.splitlines()[-1]), again.stderr) == (compose_binary, "")
