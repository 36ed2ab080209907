"""The previous major of each SDK (openai 2.x, anthropic 1.x), and the oldest OpenTelemetry that
pyproject allows: the instrumentation suite, run against them.

Each suite runs in its own virtual environment (cached between runs), with the same fake provider and
the same exact assertions as for the current versions.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.compat

ROOT = Path(__file__).resolve().parents[2]
PREVIOUS_MAJORS = ("openai>=2,<3", "anthropic>=1.14,<2")
CACHE = Path(os.environ.get("AGENT_TELEMETRY_CACHE", Path.home() / ".cache" / "agent-telemetry"))


def oldest_allowed_opentelemetry() -> tuple[str, ...]:
    """Each OpenTelemetry (and prometheus-client) dependency pinned to pyproject's lower bound."""
    text = (ROOT / "pyproject.toml").read_text()
    dependencies = text[text.index("dependencies = [") : text.index("]", text.index("dependencies = ["))]
    pins = []
    for name, bound in re.findall(r'"((?:opentelemetry|prometheus-client)[\w-]*)>=([\w.]+)"', dependencies):
        # "1.30" means the 1.30 line; "0.51b0" is one release.
        pins.append(f"{name}=={bound}.*" if re.fullmatch(r"\d+\.\d+", bound) else f"{name}=={bound}")
    return tuple(pins)


def compat_venv(pins: tuple[str, ...] = PREVIOUS_MAJORS) -> Path:
    key = hashlib.sha256(
        # The checkout's path too: the venv installs this checkout editable, and another clone has its own.
        (str(ROOT) + (ROOT / "pyproject.toml").read_text() + repr(pins)).encode()
    ).hexdigest()[:16]
    venv = CACHE / "compat-venv" / key
    python = venv / "bin" / "python"
    if not (venv / ".ready").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "-e", str(ROOT), *pins,
             "pytest", "pytest-timeout", "anyio"],
            check=True,
        )  # fmt: skip
        (venv / ".ready").touch()
    return python


def test_the_instrumentation_suite_passes_on_the_previous_majors():
    python = compat_venv()
    versions = subprocess.run(
        [str(python), "-c", "import openai, anthropic; print(openai.__version__, anthropic.__version__)"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert versions[0].startswith("2.") and versions[1].startswith("1.")
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/instrumentation", "tests/agents",
         "--deselect", "tests/instrumentation/test_zero_code.py",
         # The SDKs' tool runners and computer toolsets measured there are openai 3.x and anthropic 2.x
         # helpers: the previous majors do not have them (their modules do not even import).
         "--ignore", "tests/agents/test_sdk_tool_runners.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout[-4000:]
    assert " passed" in summary and "failed" not in summary and "skipped" not in summary


@pytest.mark.timeout(1800)  # a fresh venv, then the suite in fresh interpreters
def test_the_suite_passes_on_the_oldest_allowed_opentelemetry():
    """SDKs before 1.4x set no service.instance.id, export differently at shutdown and log differently."""
    pins = oldest_allowed_opentelemetry()
    assert "opentelemetry-sdk==1.30.*" in pins and "opentelemetry-instrumentation==0.51b0" in pins
    python = compat_venv((*pins, "openai>=3", "anthropic>=2"))
    version = subprocess.run(
        [str(python), "-c", "from importlib.metadata import version; print(version('opentelemetry-sdk'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert version.startswith("1.30.")
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/instrumentation", "tests/agents",
         "tests/test_lifecycle.py", "tests/test_config.py",
         # Events: before 1.35 the Logs API has no event name or context; the SDK's LogRecord is used.
         "tests/events",
         # SDKs before 1.4x set no service.instance.id: here ours is what keeps two processes apart.
         "tests/stack/test_instances_e2e.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout[-4000:]
    assert " passed" in summary and "failed" not in summary and "skipped" not in summary
