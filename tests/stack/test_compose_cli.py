"""docker-compose.yml as the real Docker Compose CLI reads it, for the default and every other profile.

`docker-compose config` resolves profiles, anchors, variables and relative paths exactly as `docker compose
up` does, and needs no Docker engine. The binary is built from the Go module proxy by
scripts/build-compose.sh (minutes the first time, then cached; scripts/test.sh builds it).
"""

from __future__ import annotations

import json
import os
import posixpath
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent_telemetry.tooling.stack.paths import ProjectFiles
from agent_telemetry.tooling.stack.receiver_files import load_compose_file

REPO = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = REPO / "scripts" / "build-compose.sh"
# docker-compose.yml alone, and with each override file next to it (docker-compose.<name>.yml).
FILE_SETS = [
    ("docker-compose.yml",),
    *(("docker-compose.yml", p.name) for p in sorted(REPO.glob("docker-compose.*.yml"))),
]
PROFILES = sorted(
    {
        profile
        for name in {n for names in FILE_SETS for n in names}
        for service in (load_compose_file(REPO / name).get("services") or {}).values()
        for profile in (service or {}).get("profiles", [])
    }
)
# Each file set without a profile (what `docker compose up` starts) and with each profile.
CASES = [(files, profile) for files in FILE_SETS for profile in [None, *PROFILES]]
ALL_PROFILES = pytest.mark.parametrize(
    ("files", "profile"),
    CASES,
    ids=["+".join(f.removesuffix(".yml") for f in files) + f"[{p or 'default'}]" for files, p in CASES],
)

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
    binary: Path,
    env_file: Path,
    files: tuple[str, ...],
    profiles: list[str],
    *args: str,
    password: str | None = "pw",
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_", "GRAFANA_", "DEMO_"))
    }
    if password is not None:
        env["GRAFANA_ADMIN_PASSWORD"] = password
    argv = [str(binary), "--env-file", str(env_file)]
    argv += [arg for name in files for arg in ("-f", str(REPO / name))]
    argv += [arg for profile in profiles for arg in ("--profile", profile)]
    return subprocess.run([*argv, *args], capture_output=True, text=True, env=env, timeout=120)


def rendered(binary: Path, env_file: Path, files: tuple[str, ...], profiles: list[str]) -> dict[str, Any]:
    result = compose(binary, env_file, files, profiles, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def bind_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> host path of each bind mount."""
    return {v["target"]: Path(v["source"]) for v in service.get("volumes", []) if v["type"] == "bind"}


def flag_values(command: list[str], name: str) -> list[str]:
    """Every value of ``name=VALUE`` or ``name VALUE`` in a command line."""
    values = [arg.split("=", 1)[1] for arg in command if arg.startswith(f"{name}=")]
    return values + [command[i + 1] for i, arg in enumerate(command[:-1]) if arg == name]


@ALL_PROFILES
def test_compose_accepts_the_files(compose_binary, empty_env_file, files, profile) -> None:
    result = compose(compose_binary, empty_env_file, files, [profile] if profile else [], "config", "-q")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@ALL_PROFILES
def test_a_profile_adds_its_services_to_the_default_ones(
    compose_binary, empty_env_file, files, profile
) -> None:
    merged: dict[str, dict[str, Any]] = {}
    for name in files:
        for service_name, service in (load_compose_file(REPO / name)["services"] or {}).items():
            merged.setdefault(service_name, {}).update(service or {})
    expected = {name for name, s in merged.items() if not s.get("profiles") or profile in s["profiles"]}
    services = rendered(compose_binary, empty_env_file, files, [profile] if profile else [])["services"]
    assert set(services) == expected


@ALL_PROFILES
def test_without_the_grafana_password_compose_refuses_and_says_what_to_set(
    compose_binary, empty_env_file, files, profile
) -> None:
    profiles = [profile] if profile else []
    result = compose(compose_binary, empty_env_file, files, profiles, "config", "-q", password=None)
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        "required variable GRAFANA_ADMIN_PASSWORD is missing a value: set GRAFANA_ADMIN_PASSWORD (or put it in .env)"
    )


def _file_settings(node: Any) -> Iterator[str]:
    """Every ``*_file`` value in a config (Alertmanager's receiver URLs and keys)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and str(key).endswith("_file"):
                yield value
            else:
                yield from _file_settings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _file_settings(item)


def _named_globs(config: Path) -> list[str]:
    """The rule files and templates a Prometheus or Alertmanager config names."""
    content = yaml.safe_load(config.read_text()) or {}
    return [*(content.get("rule_files") or []), *(content.get("templates") or [])]


HA_DATASOURCES = REPO / "grafana" / "provisioning-ha" / "datasources"
HA_DATASOURCES_TARGET = "/etc/grafana/provisioning/datasources"
# The scale-out profile's Grafana: the same place, the data source pointing at the Thanos querier.
SCALE_OUT_DATASOURCES = REPO / "grafana" / "provisioning-scale-out" / "datasources"
# Thanos: the options naming files (--rule-file: a glob; its directory is mounted).
THANOS_FILE_OPTIONS = ("--receive.hashrings-file",)


def native_files() -> set[Path]:
    """What the native stack runs: each ``*_config`` of ProjectFiles as committed (stack.py) but the
    native-only static gateway list, the rule and template directories those name, the secrets dir the receivers read; and the Grafana provisioning and
    dashboards `agent-telemetry dashboards generate` writes (Grafana runs under compose only)."""
    files = ProjectFiles(REPO)
    configs = {getattr(files, name) for name in dir(ProjectFiles) if name.endswith("_config")}
    named_dirs = {config.parent / Path(glob).parent for config in configs for glob in _named_globs(config)}
    grafana = {
        REPO / "grafana" / "provisioning",
        REPO / "grafana" / "dashboards",
        HA_DATASOURCES,  # the HA override's data sources (both Prometheus replicas)
        SCALE_OUT_DATASOURCES,  # the scale-out profile's (the Thanos querier)
    }
    thanos = {files.thanos_hashring}  # stack up --scale-out
    # Native only: `stack up --gateways` lists its gateways statically; compose finds them by DNS
    # (agent.yaml's own resolver), so it never mounts the static overlay.
    native_only = {files.collector_gateways_static_config}
    return (configs - native_only) | named_dirs | {REPO / "secrets"} | grafana | thanos


def expected_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """The bind mounts a service needs, from its own command line and what its configs name (relative
    paths in a config resolve against the config file's directory, as in native runs)."""
    image, command, binds = service["image"], service.get("command") or [], bind_mounts(service)
    if image.startswith("grafana/grafana:"):
        provider = yaml.safe_load(
            (REPO / "grafana" / "provisioning" / "dashboards" / "dashboards.yaml").read_text()
        )
        (dashboards,) = [p["options"]["path"] for p in provider["providers"]]
        expected = {
            "/etc/grafana/provisioning": REPO / "grafana" / "provisioning",
            dashboards: REPO / "grafana" / "dashboards",
        }
        if HA_DATASOURCES_TARGET in binds:  # the HA override and the scale-out profile swap data sources
            assert binds[HA_DATASOURCES_TARGET] in {HA_DATASOURCES, SCALE_OUT_DATASOURCES}
            expected[HA_DATASOURCES_TARGET] = binds[HA_DATASOURCES_TARGET]
        return expected
    if image.startswith("quay.io/thanos/thanos:"):
        expected = {}
        for target in [v for option in THANOS_FILE_OPTIONS for v in flag_values(command, option)]:
            expected[target] = binds.get(target)
        for glob in flag_values(command, "--rule-file"):
            expected[posixpath.dirname(glob)] = binds.get(posixpath.dirname(glob))
        assert set(expected.values()) <= native_files(), (
            f"{image}: mounts a file the native stack does not run"
        )
        return expected
    # The option each engine's image takes its config files from.
    options = {
        "prom/prometheus:": "--config.file",
        "prom/alertmanager:": "--config.file",
        "otel/opentelemetry-collector": "--config",
        "jaegertracing/jaeger:": "--config",
    }
    option = next((o for prefix, o in options.items() if image.startswith(prefix)), None)
    if option is None:
        return {}
    expected: dict[str, Path] = {}
    for target in flag_values(command, option):
        source = binds.get(target)
        assert source in native_files(), f"{image}: {target} is not mounted from a file the native stack runs"
        expected[target] = source
        base = posixpath.dirname(target)
        for glob in _named_globs(source):
            expected[posixpath.join(base, posixpath.dirname(glob))] = source.parent / Path(glob).parent
        for path in _file_settings(yaml.safe_load(source.read_text())):  # receiver URLs and keys
            expected[posixpath.dirname(posixpath.join(base, path))] = REPO / "secrets"
    return expected


@ALL_PROFILES
def test_each_service_mounts_read_only_exactly_the_files_its_native_counterpart_uses(
    compose_binary, empty_env_file, files, profile
) -> None:
    services = rendered(compose_binary, empty_env_file, files, [profile] if profile else [])["services"]
    for name, service in services.items():
        assert bind_mounts(service) == expected_mounts(service), name
        binds = [v for v in service.get("volumes", []) if v["type"] == "bind"]
        assert [v["target"] for v in binds if not v.get("read_only")] == [], name


def test_together_the_compose_files_and_profiles_mount_every_file_the_native_stack_runs(
    compose_binary, empty_env_file
) -> None:
    mounted = {
        path
        for files in FILE_SETS
        for service in rendered(compose_binary, empty_env_file, files, PROFILES)["services"].values()
        for path in bind_mounts(service).values()
    }
    assert mounted == native_files()
    assert all(path.exists() for path in mounted)


def test_a_second_build_reuses_the_cached_binary(compose_binary) -> None:
    again = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, check=True)
    assert (Path(again.stdout.splitlines()[-1]), again.stderr) == (compose_binary, "")
