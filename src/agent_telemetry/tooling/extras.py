"""The optional extras tooling commands need, and the one line that says which one is missing."""

from __future__ import annotations

import importlib

# Extra (pyproject's optional-dependencies) -> the modules that tell it is installed.
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "demo": ("openai", "anthropic"),
    "dashboards": ("grafana_foundation_sdk",),
}


def missing_extra(extra: str, command: str) -> str | None:
    """None when ``extra`` is installed; else one line for stderr telling ``command``'s user what to do."""
    absent = []
    for module in EXTRA_MODULES[extra]:
        try:
            importlib.import_module(module)
        except ImportError:
            absent.append(module)
    if not absent:
        return None
    return (
        f"{command}: needs {' and '.join(absent)}, which a plain install leaves out: "
        f"pip install 'agent-telemetry[{extra}]'"
    )
