"""One version set: versions.env names the releases that compose runs and that native runs build."""

from __future__ import annotations

import re
import subprocess

import yaml

from agent_telemetry.tooling.stack.binaries import engine_tool, read_versions

IMAGES = {
    "prom/prometheus": "PROMETHEUS_VERSION",
    "prom/alertmanager": "ALERTMANAGER_VERSION",
    "quay.io/thanos/thanos": "THANOS_VERSION",  # the scale-out profile
}


def test_compose_runs_exactly_the_versions_native_runs_build(project_files):
    versions = read_versions(project_files)
    services = yaml.safe_load((project_files.root / "docker-compose.yml").read_text())["services"]
    pinned = {
        name: service["image"]
        for name, service in services.items()
        if service["image"].split(":")[0] in {*IMAGES, "otel/opentelemetry-collector-contrib"}
    }
    assert {"prometheus", "alertmanager", "otel-collector", "thanos-query"} <= set(pinned)
    for name, image in pinned.items():
        repository, tag = image.split(":")
        want = versions[IMAGES.get(repository, "OTELCOL_VERSION")]
        assert tag == (want if repository.startswith("otel/") else f"v{want}"), name


def test_the_collector_manifest_builds_the_pinned_collector_version(project_files):
    manifest = project_files.collector_manifest.read_text()
    assert set(re.findall(r"gomod: \S+ v(\d+\.\d+\.\d+)", manifest)) == {
        read_versions(project_files)["OTELCOL_VERSION"]
    }


def test_native_tools_report_the_pinned_versions(project_files):
    versions = read_versions(project_files)
    for tool, key in (
        ("prometheus", "PROMETHEUS_VERSION"),
        ("promtool", "PROMETHEUS_VERSION"),
        ("alertmanager", "ALERTMANAGER_VERSION"),
        ("amtool", "ALERTMANAGER_VERSION"),
        ("thanos", "THANOS_VERSION"),
    ):
        path = engine_tool(project_files, tool)
        assert path is not None, f"{tool} {versions[key]} missing: run scripts/setup.sh"
        result = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=True)
        assert f"{tool}, version {versions[key]} " in result.stdout + result.stderr


def test_a_second_build_builds_nothing_and_the_stack_finds_its_output(project_files):
    result = subprocess.run(
        [str(project_files.build_engines_script)], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stderr == ""  # no "building ..." progress: everything came from the cache
    prometheus, alertmanager = (engine_tool(project_files, name) for name in ("prometheus", "alertmanager"))
    assert result.stdout.split() == [str(prometheus.parent), str(alertmanager.parent)]
