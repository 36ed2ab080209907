"""OpenTelemetry instrumentation of the ``anthropic`` SDK (1.x and 2.x): messages and beta messages.

anthropic >= 1.14 makes a CLIENT span of its own for each call when a tracer provider exists. Two
client spans per call would double every trace query, so while we instrument, the SDK's own span is
switched off and ours (GenAI semantic conventions, usage, cost) is the one. With
AGENT_TELEMETRY_ANTHROPIC_NATIVE_SPANS=true it is the other way round: the SDK keeps its span and we
record metrics only.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from agent_telemetry.instrumentation._call import NOT_BILLED
from agent_telemetry.instrumentation._instrumentor import MethodPatch, SdkInstrumentor
from agent_telemetry.instrumentation._retries import retry_patches
from agent_telemetry.instrumentation._wrap import Operation
from agent_telemetry.instrumentation.anthropic import _extract as x
from agent_telemetry.instrumentation.anthropic import _native_spans
from agent_telemetry.instrumentation.anthropic._stream_manager import stream_wrapper
from agent_telemetry.instrumentation.anthropic._tool_runner import PATCHES as TOOL_RUNNER_PATCHES

PROVIDER = "anthropic"

_MESSAGES = Operation(
    PROVIDER,
    "chat",
    x.read_request,
    x.read_message,
    x.message_stream_observer,
    input_content=x.MESSAGES_INPUT,
    output_content=x.message_output,
    observe_request=x.observe_messages_request,
    read_params=x.REQUEST_PARAMS,
)
_COUNT_TOKENS = Operation(
    PROVIDER, "count_tokens", x.read_request, x.read_nothing, billing=NOT_BILLED, read_params=x.REQUEST_PARAMS
)

PATCHES: tuple[MethodPatch, ...] = (
    tuple(
        MethodPatch(module, f"{prefix}Messages", method, op, is_async=bool(prefix), wrapper_factory=factory)
        for prefix in ("", "Async")
        for module in ("anthropic.resources.messages", "anthropic.resources.beta.messages")
        for method, op, factory in (
            ("create", _MESSAGES, None),
            ("parse", _MESSAGES, None),
            ("count_tokens", _COUNT_TOKENS, None),
            ("stream", _MESSAGES, stream_wrapper),  # sync in both clients: it returns a manager
        )
    )
    + TOOL_RUNNER_PATCHES
    + retry_patches("anthropic")
)


class AnthropicInstrumentor(SdkInstrumentor):
    """Spans and ``agent.*`` metrics for every call made through the ``anthropic`` SDK."""

    patches = PATCHES

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("anthropic >= 1.0",)

    def _instrument(self, **kwargs: Any) -> None:
        telemetry = self._apply_patches(**kwargs)
        if not telemetry.settings.anthropic_native_spans:
            _native_spans.suppress()

    def _uninstrument(self, **kwargs: Any) -> None:
        self._remove_patches()
        _native_spans.restore()
