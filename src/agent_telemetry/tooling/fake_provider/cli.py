"""``agent-telemetry fake-provider``: run the fake OpenAI + Anthropic server in the foreground."""

from __future__ import annotations

import argparse
import signal
from typing import Any

from agent_telemetry.tooling.fake_provider.behaviour import Behaviour
from agent_telemetry.tooling.fake_provider.server import FakeProviderServer
from agent_telemetry.tooling.signals import SignalStop

# A bare ``--error-rate R`` splits R evenly over the two faults agents most often meet.
_DEFAULT_FAULTS = (429, 500)


def parse_error_rates(text: str) -> dict[int, float]:
    """``"0.1"`` -> {429: 0.05, 500: 0.05}; ``"429=0.05,529=0.02"`` -> exactly those."""
    try:
        if "=" not in text:
            rate = float(text)
            return {status: rate / len(_DEFAULT_FAULTS) for status in _DEFAULT_FAULTS}
        rates = {}
        for item in text.split(","):
            status, _, rate = item.partition("=")
            rates[int(status)] = float(rate)
        return rates
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected RATE or STATUS=RATE[,STATUS=RATE...], got {text!r}"
        ) from None


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fake-provider",
        help="run a fake OpenAI + Anthropic API server for demos and tests",
        description="Serve the OpenAI and Anthropic HTTP APIs locally with deterministic replies and faults.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=0, help="port to bind; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the fault injection (default: %(default)s)"
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds added before each reply (default: 0)"
    )
    parser.add_argument(
        "--error-rate",
        type=parse_error_rates,
        default={},
        metavar="RATE|STATUS=RATE,...",
        help="fraction of requests that fail: a bare rate is split over 429 and 500 (default: none)",
    )
    parser.add_argument("--log-requests", action="store_true", help="log each request to stderr")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        behaviour = Behaviour(seed=args.seed, error_rates=args.error_rate, latency_s=args.latency)
    except ValueError as exc:
        print(f"fake-provider: {exc}")
        return 2
    done = SignalStop()
    # SIGTERM (docker stop, CI teardown) should stop as cleanly as Ctrl-C.
    previous = signal.signal(signal.SIGTERM, done.request)
    try:
        with FakeProviderServer(
            args.host, args.port, behaviour=behaviour, log_requests=args.log_requests
        ) as server:
            print(f"OPENAI_BASE_URL={server.openai_base_url}", flush=True)
            print(f"ANTHROPIC_BASE_URL={server.anthropic_base_url}", flush=True)
            try:
                while not done.wait(0.5):
                    pass
            except KeyboardInterrupt:
                pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
