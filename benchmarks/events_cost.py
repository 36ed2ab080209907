"""What one event costs the calling thread, beside the "one empty SDK span" floor, in the same run.

    .venv/bin/python benchmarks/events_cost.py [--rounds 7]

Inside a run each billed call emits one event (its step, with usage); outside a run none. This
measures that event through the production path (``Events.emit`` into a ``LoggerProvider`` with the
batch processor, as ``init()`` sets it up; the exporter drops the batches) and one empty span through
a ``TracerProvider`` with a batch span processor, alternating, and prints each round's µs and the
median ratio event / span. On a shared machine read the ratio, not the µs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agent_telemetry.core.events import Events
from contenders import _event_logger_provider

# The attributes of a step event of a chat call (agent_telemetry.instrumentation._call).
STEP = {
    "gen_ai.agent.name": "bench",
    "gen_ai.provider.name": "openai",
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "gpt-4o-mini",
    "agent_telemetry.run.id": "0123456789abcdef0123456789abcdef",
    "agent_telemetry.duration": 0.84,
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "agent_telemetry.run.step": 3,
    "gen_ai.usage.input_tokens": 1000,
    "gen_ai.usage.output_tokens": 100,
    "agent_telemetry.cost.usd": 0.00021,
}
N = 5000


class _Dropped:
    def export(self, spans: object) -> SpanExportResult:
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    events = Events(_event_logger_provider(), enabled=True)
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(_Dropped()))  # type: ignore[arg-type]
    tracer = tracer_provider.get_tracer("bench")
    call_span = tracer.start_span("chat gpt-4o-mini")
    context = trace.set_span_in_context(call_span)

    def one_event() -> None:
        events.emit("agent.step", STEP, context=context)

    def one_span() -> None:
        tracer.start_span("empty").end()

    ratios = []
    for index in range(rounds):
        event_us, span_us = (_cpu_us(task) for task in (one_event, one_span))
        ratios.append(event_us / span_us)
        print(f"round {index + 1}: event {event_us:6.1f} µs, empty span {span_us:6.1f} µs, {ratios[-1]:.2f}x")
    print(f"median: one event = {statistics.median(ratios):.2f}x one empty SDK span")


def _cpu_us(task: object) -> float:
    for _ in range(500):
        task()  # type: ignore[operator]
    start = time.process_time()
    for _ in range(N):
        task()  # type: ignore[operator]
    return (time.process_time() - start) / N * 1e6


if __name__ == "__main__":
    main()
