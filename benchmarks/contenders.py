"""The instrumentations under test: what to install, and how to switch each on and off.

Each contender runs in a fresh subprocess; ``setup`` imports it and returns a ``Switch``. Switching off
and on again between measured blocks lets every block of instrumented calls be paired with a block of
bare calls made moments before, in the same process, which cancels most of the drift of a busy machine.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

# Traces sampled at 1 %, as production fleets run: the standard variables, read by the SDK's
# TracerProvider that every contender exports to (its sampler decides for peers and ours alike).
SAMPLED_ENV = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.01"}
SAMPLED = "@sampled"  # suffix of a result key measured with SAMPLED_ENV

# Content capture off for every contender, through each one's own switch.
CONTENT_OFF_ENV = {
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "false",  # ours and the official ones
    "TRACELOOP_TRACE_CONTENT": "false",  # OpenLLMetry
    "TRACELOOP_TELEMETRY": "false",
    "AGENT_TELEMETRY_ENABLED": "false",  # no start-up hook: the harness instruments by hand
}


@dataclass(slots=True)
class Switch:
    """Turns a contender's instrumentation on and off. ``off`` is None when it cannot be undone."""

    on: Callable[[], None]
    off: Callable[[], None] | None
    sdks: tuple[str, ...]  # the SDKs it instruments here
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Contender:
    key: str
    label: str
    # pip requirement specifiers; empty for ours (installed editable by run.sh).
    packages: tuple[str, ...]
    setup: Callable[[TracerProvider, MeterProvider], Switch]
    peer: bool = True  # False for ours and for the reference floor: not in "best peer"
    # Packages it imports without declaring them: installed into its own venv only, never beside the
    # other contenders (``httpx`` there would change what they import).
    needs: tuple[str, ...] = ()
    # Its requirements whose version pins are ignored (its packages go in with --no-deps, then the
    # rest of their requirements): it is measured against our pinned SDKs in its own venv.
    relax: tuple[str, ...] = ()

    @property
    def own_venv(self) -> bool:
        return bool(self.needs or self.relax)


def _instrumentors(instrumentors: list[tuple[str, Any]], **kwargs: Any) -> Switch:
    """A switch over ``BaseInstrumentor`` objects, one per SDK: ``[(sdk, instrumentor), ...]``."""

    def on() -> None:
        for _, instrumentor in instrumentors:
            instrumentor.instrument(**kwargs)

    def off() -> None:
        for _, instrumentor in instrumentors:
            instrumentor.uninstrument()

    return Switch(on, off, tuple(sdk for sdk, _ in instrumentors))


_MISSING = object()


def _sdk_attributes(sdks: tuple[str, ...]) -> dict[tuple[int, str], tuple[Any, Any]]:
    """Every attribute of the SDKs' modules and of the classes they define: ``{(id(owner), name):
    (owner, value)}``, where an instrumentation puts its wrappers."""
    import sys

    found: dict[tuple[int, str], tuple[Any, Any]] = {}
    for module_name, module in list(sys.modules.items()):
        if module is None or module_name.split(".", 1)[0] not in sdks:
            continue
        for name, value in list(vars(module).items()):
            found[(id(module), name)] = (module, value)
            if isinstance(value, type) and value.__module__ == module_name:
                for attr, member in list(vars(value).items()):
                    found[(id(value), attr)] = (value, member)
    return found


def _wraps(patched: Any, original: Any) -> bool:
    """``patched`` is a wrapper (``__wrapped__``, as wrapt's and functools' set it), of ``original`` at
    its core: what an instrumentation replaced, not what importing or first use changed."""
    inner = patched
    while inner is not original:
        inner = getattr(inner, "__wrapped__", _MISSING)
        if inner is _MISSING:
            return False
    return patched is not original


def _by_swapping(switch: Switch) -> Switch:
    """A switch for a contender whose own way back does not take it out (or that has none): switched on
    once, then switched off and on by putting back the SDK attributes it replaced, and its replacements.

    Only what was there before is swapped (the harness's calls import the SDK modules first), and what
    it changed outside the SDKs' modules stays on while off: a check on every worker (no span while
    off, one layer when on again) tells whether that is enough; if not it is measured unpaired.
    """
    swaps: list[tuple[Any, str, Any, Any]] = []  # (owner, name, original, wrapper)
    instrumented = False

    def on() -> None:
        nonlocal instrumented
        if not instrumented:
            before = _sdk_attributes(switch.sdks)
            switch.on()
            instrumented = True
            for key, (owner, patched) in _sdk_attributes(switch.sdks).items():
                if key in before and _wraps(patched, before[key][1]):
                    swaps.append((owner, key[1], before[key][1], patched))
            return
        for owner, name, _, patched in swaps:
            setattr(owner, name, patched)

    def off() -> None:
        for owner, name, original, _ in swaps:
            setattr(owner, name, original)

    note = "switched off and on by swapping the SDK methods it wrapped with their originals"
    return Switch(on, off, switch.sdks, [*switch.notes, note])


# -- ours -----------------------------------------------------------------------------------------
class _StubPriceBook:
    """Stands in while ``agent_telemetry.pricing`` cannot be imported: a flat, made-up price."""

    def cost(self, provider: str, model: str, usage: Any) -> float:
        return (usage.input_tokens + usage.output_tokens) * 1e-6

    def warn_unpriced_once(self, provider: str, model: str) -> None:
        pass


def _price_book(notes: list[str]) -> Any:
    try:
        from agent_telemetry.pricing import load_price_book
    except ImportError as exc:
        notes.append(f"agent_telemetry.pricing not importable ({exc}): a stub price book was used")
        return _StubPriceBook()
    return load_price_book()


def _event_logger_provider() -> Any:
    """Ours emits events by default (log records through a batch processor, as init() sets up): the
    batch processor only queues each one on the calling thread; its exporter here drops them."""
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogExportResult

    class Dropped:
        def export(self, batch: Any) -> LogExportResult:
            return LogExportResult.SUCCESS

        def shutdown(self) -> None:
            pass

        def force_flush(self, timeout_millis: int = 30000) -> bool:
            return True

    provider = LoggerProvider(shutdown_on_exit=False)
    provider.add_log_record_processor(BatchLogRecordProcessor(Dropped()))  # type: ignore[arg-type]
    return provider


def setup_ours(
    tracer_provider: TracerProvider, meter_provider: MeterProvider, *, gen_ai_metrics: bool = True
) -> Switch:
    import agent_telemetry

    notes: list[str] = []
    switch = _instrumentors(
        [
            ("openai", agent_telemetry.OpenAIInstrumentor()),
            ("anthropic", agent_telemetry.AnthropicInstrumentor()),
        ],
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        logger_provider=_event_logger_provider(),
        settings=agent_telemetry.Settings(agent_name="bench", gen_ai_metrics=gen_ai_metrics),
        # Loaded once and passed every time: re-instrumenting then reuses the same Telemetry.
        price_book=_price_book(notes),
    )
    switch.notes.extend(notes)
    return switch


# -- the floor ------------------------------------------------------------------------------------
_FLOOR_TARGETS = (
    ("openai.resources.chat.completions", "Completions.create", False),
    ("openai.resources.chat.completions", "AsyncCompletions.create", True),
    ("openai.resources.responses", "Responses.create", False),
    ("openai.resources.responses", "AsyncResponses.create", True),
    ("anthropic.resources.messages", "Messages.create", False),
    ("anthropic.resources.messages", "AsyncMessages.create", True),
)


def setup_span_floor(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Switch:
    """Not a peer: one empty SDK span, made current, around each call, and nothing else.

    The least that any instrumentation producing a span per call can add on this machine, measured in
    the same run as everyone else (a stream's span ends when ``create`` returns: a floor, no more).
    """
    import importlib

    import wrapt
    from opentelemetry.instrumentation.utils import unwrap
    from opentelemetry.trace import SpanKind

    tracer = tracer_provider.get_tracer("span-floor")

    def sync_wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        with tracer.start_as_current_span("chat", kind=SpanKind.CLIENT):
            return wrapped(*args, **kwargs)

    async def async_wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        with tracer.start_as_current_span("chat", kind=SpanKind.CLIENT):
            return await wrapped(*args, **kwargs)

    def on() -> None:
        for module, name, is_async in _FLOOR_TARGETS:
            wrapt.wrap_function_wrapper(module, name, async_wrapper if is_async else sync_wrapper)

    def off() -> None:
        for module, name, _ in _FLOOR_TARGETS:
            owner, method = name.split(".")
            unwrap(getattr(importlib.import_module(module), owner), method)

    return Switch(on, off, ("openai", "anthropic"))


# -- peers ----------------------------------------------------------------------------------------
def setup_openllmetry(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Switch:
    from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
    from opentelemetry.instrumentation.openai import OpenAIInstrumentor

    return _by_swapping(
        _instrumentors(
            [("openai", OpenAIInstrumentor()), ("anthropic", AnthropicInstrumentor())],
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
        )
    )


def setup_openai_v2(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Switch:
    from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

    switch = _instrumentors(
        [("openai", OpenAIInstrumentor())], tracer_provider=tracer_provider, meter_provider=meter_provider
    )
    switch.notes.append(
        "it reads server.address/port from the client's base URL only if that is an httpx.URL; "
        "openai 3's is an httpx2.URL, so it records neither here (a little less work than on openai 1/2)"
    )
    return switch


def setup_genai_openai(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Switch:
    from opentelemetry.instrumentation.genai.openai import OpenAIInstrumentor

    return _instrumentors(
        [("openai", OpenAIInstrumentor())], tracer_provider=tracer_provider, meter_provider=meter_provider
    )


def setup_openlit(tracer_provider: TracerProvider, meter_provider: MeterProvider) -> Switch:
    """OpenLIT configures itself on the global providers and offers no way back of its own.

    Its 1.45.0 pins openai<3 and anthropic<1: it runs in its own venv with those pins ignored.
    """
    import json
    import os
    import tempfile

    import openlit
    from opentelemetry import _logs, metrics, trace

    import payloads

    # Its price list, local: by default init() fetches one from GitHub (unreachable here, and a
    # missing model would skip its cost arithmetic, which ours does on every call).
    price = {"promptPrice": 0.001, "completionPrice": 0.002}
    models = (
        payloads.OPENAI_MODEL,
        payloads.OPENAI_RESPONSE_MODEL,
        payloads.ANTHROPIC_MODEL,
        payloads.ANTHROPIC_RESPONSE_MODEL,
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as prices:
        json.dump({"chat": dict.fromkeys(models, price)}, prices)

    def on() -> None:
        # Set when it is switched on, as it needs them, so that bare calls stay the others' bare calls
        # (a global tracer provider makes the anthropic SDK's native spans record).
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(meter_provider)
        # Its events go where ours go (queued, then dropped): without a logger provider it would set
        # up one that prints every event to stdout.
        _logs.set_logger_provider(_event_logger_provider())
        openlit.init(
            capture_message_content=False,
            disable_batch=True,
            collect_gpu_stats=False,
            pricing_json=prices.name,
        )
        os.unlink(prices.name)  # read by init()

    notes = [
        "OpenLIT works through the global tracer provider only: once it is set, the anthropic SDK's "
        "native tracing records a span of its own (2 spans per call on the path with that tracing on); "
        "OpenLIT's figure there includes that span, which the other peers, given a tracer provider "
        "directly, leave non-recording",
        "OpenLIT imports each of its instrumentors only if that package is installed: the web-framework "
        "and HTTP-client ones left out of its venv instrument none of the calls measured (the SDKs "
        "send through httpx2)",
    ]
    return _by_swapping(Switch(on, None, ("openai", "anthropic"), notes))


OURS = Contender("ours", "agent-telemetry (ours)", (), setup_ours, peer=False)
# Ours without the gen_ai.client.* metrics (AGENT_TELEMETRY_METRICS=agent): their cost, side by side.
OURS_AGENT_ONLY = Contender(
    "ours-agent-only",
    "agent-telemetry, agent.* only (no gen_ai)",
    (),
    functools.partial(setup_ours, gen_ai_metrics=False),
    peer=False,
)
SPAN_FLOOR = Contender(
    "span-floor", "reference: one empty SDK span per call", (), setup_span_floor, peer=False
)
CONTENDERS: tuple[Contender, ...] = (
    OURS,
    OURS_AGENT_ONLY,
    SPAN_FLOOR,
    Contender(
        "openllmetry",
        "OpenLLMetry 0.62.4",
        ("opentelemetry-instrumentation-openai==0.62.4", "opentelemetry-instrumentation-anthropic==0.62.4"),
        setup_openllmetry,
    ),
    Contender(
        "openai-v2",
        "OTel openai-v2 2.4b0",
        ("opentelemetry-instrumentation-openai-v2==2.4b0",),
        setup_openai_v2,
        # It imports httpx (an isinstance check on the base URL), which openai 3 (on httpx2) no longer
        # installs, and opentelemetry.util.genai.instruments, gone from util-genai 1.2b0 on although
        # it asks for any release >= 0.4b0.dev: 1.1b0 is the last that has it.
        needs=("httpx==0.28.1", "opentelemetry-util-genai==1.1b0"),
    ),
    Contender(
        "genai-openai",
        "OTel genai-openai 1.3b0",
        ("opentelemetry-instrumentation-genai-openai==1.3b0",),
        setup_genai_openai,
    ),
    Contender(
        "openlit", "OpenLIT 1.45.0", ("openlit==1.45.0",), setup_openlit, relax=("openai", "anthropic")
    ),
)


def by_key(key: str) -> Contender:
    return next(c for c in CONTENDERS if c.key == key)
