"""A running native stack (collector + Prometheus + Alertmanager + Jaeger) on free ports, shared by a session.

``running_stack`` is session-scoped and meant to move to the top-level conftest for every e2e test:
its traces go to its own Jaeger (``urls["jaeger"]``, read with tests/stack/jaeger.py) and
Alertmanager's webhook receivers post to ``alert_webhook``; Prometheus scrapes and evaluates rules
every second.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_telemetry.tooling.stack import Ports, ProjectFiles, Stack, build_collector, find_project_root
from tests.support.sinks import OtlpSink, WebhookSink


@pytest.fixture(scope="session")
def project_files() -> ProjectFiles:
    return find_project_root(Path(__file__).parent)


@pytest.fixture(scope="session")
def collector_binary(project_files: ProjectFiles) -> Path:
    """Builds the collector the first time (minutes), then reuses the cached binary."""
    return build_collector(project_files)


@pytest.fixture(scope="session")
def trace_sink() -> Iterator[OtlpSink]:
    with OtlpSink() as sink:
        yield sink


@pytest.fixture(scope="session")
def alert_webhook() -> Iterator[WebhookSink]:
    with WebhookSink() as sink:
        yield sink


@pytest.fixture(scope="session")
def running_stack(
    tmp_path_factory: pytest.TempPathFactory,
    project_files: ProjectFiles,
    collector_binary: Path,
    alert_webhook: WebhookSink,
) -> Iterator[Stack]:
    with Stack.start(
        tmp_path_factory.mktemp("stack"),
        Ports.free(),
        webhook_url=f"{alert_webhook.url}/alerts",
        evaluation_interval="1s",
        scrape_interval="1s",
        files=project_files,
    ) as stack:
        yield stack
