"""The Helm chart under test, the helm / kubeconform / promtool binaries, and the schemas to validate with.

Kubernetes schemas come from the `kubernetes-validate` PyPI package (a dev dependency: JSON schemas per
Kubernetes release); the prometheus-operator CRD schemas from the operator's API types (its Go module, through
controller-gen, as upstream makes its CRD manifests): no network beyond the package registries.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent_telemetry.tooling.stack.binaries import engine_tool, read_versions
from agent_telemetry.tooling.stack.paths import ProjectFiles

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "agent-telemetry"
# The newest Kubernetes release kubernetes-validate ships schemas for; -strict: unknown fields are errors.
KUBERNETES_SCHEMAS = files("kubernetes_validate") / "kubernetes-json-schema" / "v1.37.0-local-strict"
OPERATOR_API_MODULE = "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring"
# kubeconform's schema file name: <kind>-<first part of the group>-<version>.json, e.g.
# prometheusrule-monitoring-v1.json (its {{ .ResourceKind }}{{ .KindSuffix }}).
SCHEMA_NAME = "{{ .ResourceKind }}{{ .KindSuffix }}.json"


def tool(name: str) -> str:
    """helm, kubeconform, controller-gen or promtool at the version in versions.env (build-engines.sh)."""
    path = engine_tool(ProjectFiles(ROOT), name)
    if path is None:
        engine = {"promtool": "prometheus", "controller-gen": "controller_gen"}.get(name, name)
        pytest.fail(
            f"{name} at the version in versions.env is missing: run scripts/build-engines.sh {engine}"
        )
    return str(path)


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=ROOT, capture_output=True, text=True, timeout=240)


def template(*flags: str | Path) -> str:
    """`helm template` of the chart (release agent-telemetry, namespace monitoring) with value flags."""
    result = run(tool("helm"), "template", "agent-telemetry", CHART, "--namespace", "monitoring", *flags)
    assert result.returncode == 0, result.stderr
    return result.stdout


def objects(manifests: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(manifests) if doc]


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


class _CrdLoader(yaml.SafeLoader):
    """PyYAML reads a bare `=` (matchType enums) as YAML 1.1's `value` tag, which it cannot construct."""


_CrdLoader.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_yaml_str)


def validation_schemas(out: Path) -> Path:
    """The Kubernetes and prometheus-operator JSON schemas for kubeconform, written to `out`."""
    _kubernetes_schemas(out)
    _operator_crd_schemas(out)
    return out


def _kubernetes_schemas(out: Path) -> None:
    """kubernetes-validate's schemas refer to their shared definitions as /api/_definitions.json (its own
    registry); kubeconform resolves references as URLs, so they become file:// URLs of the copies."""
    definitions = f'"{(out / "_definitions.json").as_uri()}#'
    for schema in KUBERNETES_SCHEMAS.iterdir():
        if schema.name.endswith(".json"):
            (out / schema.name).write_text(
                schema.read_text().replace('"/api/_definitions.json#', definitions)
            )


def _operator_crd_schemas(out: Path) -> None:
    """The operator's CRDs at PROMETHEUS_OPERATOR_VERSION, made as upstream makes them (controller-gen
    over its API types, a module the Go proxy serves), as kubeconform JSON schemas: strict like
    kubeconform's openapi2jsonschema, no field outside the schema."""
    version = read_versions(ProjectFiles(ROOT))["PROMETHEUS_OPERATOR_VERSION"]
    download = run("go", "mod", "download", "-json", f"{OPERATOR_API_MODULE}@v{version}")
    assert download.returncode == 0, download.stdout + download.stderr
    with tempfile.TemporaryDirectory() as scratch:
        module, crds = Path(scratch) / "module", Path(scratch) / "crds"
        shutil.copytree(json.loads(download.stdout)["Dir"], module)  # read-only in the module cache
        generate = subprocess.run(
            [tool("controller-gen"), "crd:crdVersions=v1", "paths=./v1/.", "paths=./v1alpha1/.",
             f"output:crd:dir={crds}"],
            cwd=module, env={**os.environ, "GOWORK": "off", "GOFLAGS": "-mod=mod"},
            capture_output=True, text=True, timeout=240,
        )  # fmt: skip
        assert generate.returncode == 0, generate.stderr
        for manifest in sorted(crds.glob("*.yaml")):
            crd = yaml.load(manifest.read_text(), Loader=_CrdLoader)
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for served in crd["spec"]["versions"]:
                schema = _strict(served["schema"]["openAPIV3Schema"])
                name = f"{kind.lower()}-{group.split('.')[0]}-{served['name']}.json"
                (out / name).write_text(json.dumps(schema))


def _strict(schema: Any) -> Any:
    """additionalProperties: false on every object schema that lists its properties and allows no others."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    strict = {
        key: {name: _strict(sub) for name, sub in value.items()} if key == "properties" else _strict(value)
        for key, value in schema.items()
    }
    open_ended = "additionalProperties" in schema or schema.get("x-kubernetes-preserve-unknown-fields")
    if "properties" in schema and not open_ended:
        strict["additionalProperties"] = False
    return strict


def kubeconform(manifests: str, schemas: Path) -> subprocess.CompletedProcess[str]:
    """kubeconform over rendered manifests, with local schemas only (a kind without one is an error)."""
    return subprocess.run(
        [tool("kubeconform"), "-strict", "-summary", "-output", "json",
         "-schema-location", f"{schemas}/{SCHEMA_NAME}", "-"],
        input=manifests, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
