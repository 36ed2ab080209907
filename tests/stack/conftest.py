"""A running native stack (collector + Prometheus + Alertmanager + Jaeger) on free ports, shared by a session.

``running_stack`` is session-scoped and meant to move to the top-level conftest for every e2e test:
its traces go to its own Jaeger (``urls["jaeger"]``, read with tests/stack/jaeger.py) and
Alertmanager's webhook receivers post to ``alert_webhook``; Prometheus scrapes and evaluates rules
every second.

``scale_out_stack`` is the same on the scale-out profile (``stack up --scale-out``: Thanos; its traces go
to ``trace_sink``); its ``urls["prometheus"]`` is the Thanos querier. ``profile_stack`` is either, by name,
for tests that run on both: ``@pytest.fixture(params=PROFILES)`` then ``profile_stack(request.param)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent_telemetry.tooling.stack import Ports, ProjectFiles, Stack, build_collector, find_project_root
from agent_telemetry.tooling.stack.scale_out import ScaleOutPorts
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


def start_stack(state_dir: Path, project_files: ProjectFiles, **options) -> Stack:
    """A native stack on free ports that scrapes and evaluates rules every second; ``options`` go to
    ``Stack.start``. For a module's stack of its own; the session's stacks are started with it too."""
    return Stack.start(
        state_dir,
        Ports.free(),
        evaluation_interval="1s",
        scrape_interval="1s",
        files=project_files,
        **options,
    )


def _session_stack(
    state_dir: Path, project_files: ProjectFiles, alert_webhook: WebhookSink, **options
) -> Stack:
    return start_stack(state_dir, project_files, webhook_url=f"{alert_webhook.url}/alerts", **options)


@pytest.fixture(scope="session")
def running_stack(
    tmp_path_factory: pytest.TempPathFactory,
    project_files: ProjectFiles,
    collector_binary: Path,
    alert_webhook: WebhookSink,
) -> Iterator[Stack]:
    with _session_stack(tmp_path_factory.mktemp("stack"), project_files, alert_webhook) as stack:
        yield stack


@pytest.fixture(scope="session")
def scale_out_stack(
    tmp_path_factory: pytest.TempPathFactory,
    project_files: ProjectFiles,
    collector_binary: Path,
    trace_sink: OtlpSink,
    alert_webhook: WebhookSink,
) -> Iterator[Stack]:
    state_dir = tmp_path_factory.mktemp("scale-out-stack")
    options = {"scale_out": True, "scale_out_ports": ScaleOutPorts.free(), "traces_endpoint": trace_sink.url}
    with _session_stack(state_dir, project_files, alert_webhook, **options) as stack:
        yield stack


# The storage profiles end-to-end tests run on: single Prometheus, and Thanos (stack up --scale-out).
PROFILES = ("single", "scale-out")
_PROFILE_FIXTURES = {"single": "running_stack", "scale-out": "scale_out_stack"}


@pytest.fixture(scope="session")
def profile_stack(request: pytest.FixtureRequest) -> Callable[[str], Stack]:
    """``profile_stack("scale-out")``: that profile's shared session stack, started on first use."""
    return lambda profile: request.getfixturevalue(_PROFILE_FIXTURES[profile])
