"""OpenTelemetry instrumentation of the ``openai`` SDK (2.x and 3.x): chat, responses, embeddings."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from agent_telemetry.instrumentation._call import NOT_BILLED
from agent_telemetry.instrumentation._instrumentor import MethodPatch, SdkInstrumentor
from agent_telemetry.instrumentation._retries import retry_patches
from agent_telemetry.instrumentation._wrap import Operation
from agent_telemetry.instrumentation.openai import _extract as x
from agent_telemetry.instrumentation.openai._tool_runners import PATCHES as TOOL_RUNNER_PATCHES

PROVIDER = "openai"

_CHAT = Operation(
    PROVIDER,
    "chat",
    x.read_request,
    x.read_chat_completion,
    x.chat_stream_observer,
    x.prepare_chat_stream,
    input_content=x.CHAT_INPUT,
    output_content=x.chat_output,
    read_params=x.REQUEST_PARAMS,
)
_CHAT_PARSE = Operation(
    PROVIDER,
    "chat",
    x.read_request,
    x.read_chat_completion,
    input_content=x.CHAT_INPUT,
    output_content=x.chat_output,
    read_params=x.REQUEST_PARAMS,
)
_RESPONSES = Operation(
    PROVIDER,
    "chat",
    x.read_request,
    x.read_response,
    x.responses_stream_observer,
    input_content=x.RESPONSES_INPUT,
    output_content=x.responses_output,
    observe_request=x.observe_responses_request,
    read_params=x.REQUEST_PARAMS,
)
_RESPONSES_RETRIEVE = Operation(
    PROVIDER,
    "retrieve",
    x.read_retrieve_request,
    x.read_response,
    x.responses_stream_observer,
    billing=NOT_BILLED,
)
_EMBEDDINGS = Operation(
    PROVIDER, "embeddings", x.read_request, x.read_embeddings, read_params=x.REQUEST_PARAMS
)

_CHAT_MODULE = "openai.resources.chat.completions"
_RESPONSES_MODULE = "openai.resources.responses"
_EMBEDDINGS_MODULE = "openai.resources.embeddings"

PATCHES: tuple[MethodPatch, ...] = (
    tuple(
        MethodPatch(module, f"{prefix}{cls}", method, op, is_async=bool(prefix))
        for prefix in ("", "Async")
        for module, cls, method, op in (
            (_CHAT_MODULE, "Completions", "create", _CHAT),
            (_CHAT_MODULE, "Completions", "parse", _CHAT_PARSE),
            (_RESPONSES_MODULE, "Responses", "create", _RESPONSES),
            (_RESPONSES_MODULE, "Responses", "parse", _RESPONSES),
            (_RESPONSES_MODULE, "Responses", "retrieve", _RESPONSES_RETRIEVE),
            (_EMBEDDINGS_MODULE, "Embeddings", "create", _EMBEDDINGS),
        )
    )
    + TOOL_RUNNER_PATCHES
    + retry_patches("openai")
)


class OpenAIInstrumentor(SdkInstrumentor):
    """Spans and ``agent.*`` metrics for every call made through the ``openai`` SDK."""

    patches = PATCHES

    def instrumentation_dependencies(self) -> Collection[str]:
        return ("openai >= 2.0",)

    def _instrument(self, **kwargs: Any) -> None:
        self._apply_patches(**kwargs)

    def _uninstrument(self, **kwargs: Any) -> None:
        self._remove_patches()
