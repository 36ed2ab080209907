"""One version set: versions.env names the releases that compose runs and that native runs build."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

from agent_telemetry.tooling.stack.binaries import engine_tool, read_versions

# Image -> (versions.env key, the tag's prefix before the version).
IMAGES = {
    "prom/prometheus": ("PROMETHEUS_VERSION", "v"),
    "prom/alertmanager": ("ALERTMANAGER_VERSION", "v"),
    "otel/opentelemetry-collector-contrib": ("OTELCOL_VERSION", ""),
    "victoriametrics/victoria-logs": ("VICTORIALOGS_VERSION", "v"),
    "jaegertracing/jaeger": ("JAEGER_VERSION", ""),
    "quay.io/thanos/thanos": ("THANOS_VERSION", "v"),  # the scale-out profile
}


def test_compose_runs_exactly_the_versions_native_runs_build(project_files):
    versions = read_versions(project_files)
    services = yaml.safe_load((project_files.root / "docker-compose.yml").read_text())["services"]
    pinned = {
        name: service["image"]
        for name, service in services.items()
        if service["image"].split(":")[0] in IMAGES
    }
    assert {"prometheus", "alertmanager", "otel-collector", "victorialogs", "jaeger", "thanos-query"} <= set(
        pinned
    )
    for name, image in pinned.items():
        repository, tag = image.split(":")
        key, prefix = IMAGES[repository]
        assert tag == f"{prefix}{versions[key]}", name


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


def test_native_victorialogs_reports_the_pinned_version(project_files):
    version = read_versions(project_files)["VICTORIALOGS_VERSION"]
    path = engine_tool(project_files, "victoria-logs")
    assert path is not None, f"victoria-logs {version} missing: run scripts/setup.sh"
    result = subprocess.run([str(path), "-version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith(f"victoria-logs-v{version}")


def test_native_jaeger_reports_the_pinned_release(project_files):
    jaeger = engine_tool(project_files, "jaeger")
    assert jaeger is not None, "jaeger missing: run scripts/setup.sh"
    result = subprocess.run([str(jaeger), "--version"], capture_output=True, text=True, check=True)
    assert result.stdout == f"jaeger version v{read_versions(project_files)['JAEGER_VERSION']}\n"


def test_the_jaeger_module_version_is_the_pinned_release(project_files):
    """Jaeger's Go module keeps v1 numbers: its changelog pairs each with the v2 release it is."""
    versions = read_versions(project_files)
    module = f"github.com/jaegertracing/jaeger@v{versions['JAEGER_MODULE_VERSION']}"
    download = subprocess.run(
        ["go", "mod", "download", "-json", module], capture_output=True, text=True, check=True, timeout=300
    )
    changelog = (Path(json.loads(download.stdout)["Dir"]) / "CHANGELOG.md").read_text()
    release = f"v{versions['JAEGER_MODULE_VERSION']} / v{versions['JAEGER_VERSION']} "
    assert re.search(rf"^{re.escape(release)}\(\d{{4}}-\d{{2}}-\d{{2}}\)$", changelog, re.MULTILINE)


def test_a_second_build_builds_nothing_and_the_stack_finds_its_output(project_files):
    result = subprocess.run(
        [str(project_files.build_engines_script)], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stderr == ""  # no "building ..." progress: everything came from the cache
    tools = ("prometheus", "alertmanager", "victoria-logs", "jaeger")
    assert result.stdout.split() == [str(engine_tool(project_files, name).parent) for name in tools]
