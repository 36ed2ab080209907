"""A finished provider call's data points: held as one record, expanded when a reader collects.

A call ends with up to eight data points (requests, duration, time to first token, tokens by type,
cost, and the conventions' gen_ai.client.* histograms). Recording each at once means eight trips
through our instruments while the CPU caches are cold from the SDK call; the call appends one tuple to
its ``CallMetrics`` backlog instead, and ``expand`` turns a collection's worth of them into the same
sums and histogram values, each series counted once per batch. Readers see exactly what they would
have seen: the backlog is drained at the start of every collection, before any sum or histogram is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from opentelemetry.trace import SpanContext

from agent_telemetry import contract
from agent_telemetry.contract import Attr
from agent_telemetry.core.aggregation import SeriesKey, SeriesKeys, backlog
from agent_telemetry.core.labels import LabelLimits
from agent_telemetry.usage import Usage

EMBEDDINGS = "embeddings"  # gen_ai.operation.name

# What identifies a call's gen_ai.client.* attribute set: operation, provider, request model (as the
# agent.* series has it, bounded), response model, server address and port.
GenAiValues: TypeAlias = tuple[str, str, str, str | None, object, object]

# One finished call, a plain tuple (the cheapest record to make), in this order:
#   series         SeriesKey      the call's agent.* attributes
#   elapsed        float          seconds
#   span_context   SpanContext | None   the exemplar's span (None: not recorded)
#   ttft           float | None   time to the first token
#   billed         bool           the call spends tokens (tokens, cost, unreported usage count)
#   usage          Usage | None
#   failed         bool
#   cost           float | None   USD; None with usage: no price for the model
#   gen_ai         GenAiValues | None   None when the gen_ai.client.* metrics are off
#   error_type     str | None
#   first_chunk    float | None   time to a stream's first chunk
#   chunk_gaps     list[float] | None   time between a stream's chunks (opt-in metric)
FinishedCall: TypeAlias = tuple[
    SeriesKey,
    float,
    SpanContext | None,
    float | None,
    bool,
    Usage | None,
    bool,
    float | None,
    GenAiValues | None,
    str | None,
    float | None,
    list[float] | None,
]

# agent.tokens' token types, in the order of a series' sums in ``expand``.
_TOKEN_TYPES = ("input", "output", "cache_read", "cache_write")

# Histogram values: (amount, attributes, the exemplar's span).
_Values: TypeAlias = list[tuple[float, Mapping[str, str], SpanContext | None]]


def _count(sums: dict[SeriesKey, int | float], series: SeriesKey, amount: int | float) -> None:
    sums[series] = sums.get(series, 0) + amount


class GenAiInstruments:
    """The gen_ai.client.* histograms (semantic conventions)."""

    __slots__ = ("duration", "time_per_output_chunk", "time_to_first_chunk", "token_usage")

    def __init__(self, made: dict[contract.Metric, Any]) -> None:
        self.duration = made[contract.GEN_AI_OPERATION_DURATION]
        self.token_usage = made[contract.GEN_AI_TOKEN_USAGE]
        self.time_to_first_chunk = made[contract.GEN_AI_TIME_TO_FIRST_CHUNK]
        # None unless opted in (AGENT_TELEMETRY_METRICS=...,gen_ai_chunks): one value per stream chunk.
        self.time_per_output_chunk = made.get(contract.GEN_AI_TIME_PER_OUTPUT_CHUNK)


class CallMetrics:
    """The instruments a finished call records into, and the calls not yet expanded into them."""

    __slots__ = (
        "_backlog",
        "cost",
        "duration",
        "gen_ai",
        "gen_ai_series",
        "labels",
        "requests",
        "time_to_first_token",
        "tokens",
        "unpriced_requests",
        "unreported_usage_requests",
    )

    def __init__(self, made: dict[contract.Metric, Any], labels: LabelLimits, gen_ai: bool) -> None:
        self.requests = made[contract.REQUESTS]
        self.duration = made[contract.REQUEST_DURATION]
        self.time_to_first_token = made[contract.TIME_TO_FIRST_TOKEN]
        self.tokens = made[contract.TOKENS]
        self.cost = made[contract.COST]
        self.unpriced_requests = made[contract.UNPRICED_REQUESTS]
        self.unreported_usage_requests = made[contract.UNREPORTED_USAGE_REQUESTS]
        # The semantic conventions' gen_ai.client.* histograms, or None when switched off.
        self.gen_ai = GenAiInstruments(made) if gen_ai else None
        # Their attribute sets, hashed once per distinct set.
        self.gen_ai_series = SeriesKeys()
        self.labels = labels
        self._backlog = backlog(self.expand)

    def add(self, call: FinishedCall) -> None:
        """Record ``call``: held until the next collection (or at once, when too many are held)."""
        self._backlog.add(call)

    def gen_ai_attributes(self, values: GenAiValues) -> SeriesKey:
        """The attributes of a call's gen_ai.client.* data points (semantic conventions): operation
        and provider, and those of model, response model, server address and port that are known;
        bounded like the agent.* series (a set with a folded value is not remembered, so each fold
        counts)."""
        keys = self.gen_ai_series
        series = keys.get(values)
        if series is not None:
            return series
        operation, provider, model, response_model, address, port = values
        attributes: dict[str, str] = {Attr.OPERATION_NAME: operation, Attr.PROVIDER_NAME: provider}
        if model:
            attributes[Attr.REQUEST_MODEL] = model
        if response_model:
            attributes[Attr.RESPONSE_MODEL] = response_model
        if isinstance(address, str) and address:
            attributes[Attr.SERVER_ADDRESS] = address
            if isinstance(port, int):
                attributes[Attr.SERVER_PORT] = port  # type: ignore[assignment]  # an int, as the conventions say
        bounded = self.labels.bound(attributes)
        if bounded is attributes:
            return keys.remember(values, attributes)
        return SeriesKey(bounded)

    def expand(self, calls: list[FinishedCall]) -> None:
        """Record ``calls``' data points into the instruments."""
        requests: dict[SeriesKey, int | float] = {}
        unreported: dict[SeriesKey, int | float] = {}
        unpriced: dict[SeriesKey, int | float] = {}
        costs: dict[SeriesKey, int | float] = {}
        # Per series, its input, output, cache read and cache write tokens: summed here, labelled once.
        token_sums: dict[SeriesKey, list[int]] = {}
        # Per gen_ai series, the attributes of its input and output token values.
        token_attributes: dict[SeriesKey, tuple[Mapping[str, str], Mapping[str, str]]] = {}
        durations: _Values = []
        ttfts: _Values = []
        gen_durations: _Values = []
        gen_tokens: _Values = []
        gen_first_chunks: _Values = []
        gen_chunk_gaps: _Values = []
        instruments = self.gen_ai
        per_chunk = instruments.time_per_output_chunk if instruments is not None else None
        for (
            series,
            elapsed,
            span_context,
            ttft,
            billed,
            usage,
            failed,
            cost,
            gen_ai,
            error_type,
            first_chunk,
            chunk_gaps,
        ) in calls:
            _count(requests, series, 1)
            attributes = series.attributes
            durations.append((elapsed, attributes, span_context))
            if ttft is not None:
                ttfts.append((ttft, attributes, span_context))
            if billed:
                if usage is None:
                    # A failed call bills nothing; a successful one whose usage never reached us counts.
                    if not failed:
                        _count(unreported, series, 1)
                else:
                    sums = token_sums.get(series)
                    if sums is None:
                        sums = token_sums[series] = [0, 0, 0, 0]
                    sums[0] += usage.input_tokens
                    sums[1] += usage.output_tokens
                    sums[2] += usage.cache_read_tokens
                    sums[3] += usage.cache_write_tokens
                    if cost is None:
                        _count(unpriced, series, 1)
                    else:
                        _count(costs, series, cost)
            if gen_ai is None:
                continue
            gen_series = self.gen_ai_attributes(gen_ai)
            gen_attributes = gen_series.attributes
            failed_series = gen_series.with_label(Attr.ERROR_TYPE, error_type) if error_type else gen_series
            gen_durations.append((elapsed, failed_series.attributes, span_context))
            if usage is not None and billed:
                typed = token_attributes.get(gen_series)
                if typed is None:
                    typed = token_attributes[gen_series] = (
                        gen_series.with_label(Attr.TOKEN_TYPE, "input").attributes,
                        gen_series.with_label(Attr.TOKEN_TYPE, "output").attributes,
                    )
                # The conventions' input tokens include cached ones (as gen_ai.usage.input_tokens
                # does). No exemplars on token counts and chunk gaps (they link latency to traces):
                # an exemplar costs the SDK's reservoir work on every replayed value.
                gen_tokens.append(
                    (usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens, typed[0], None)
                )
                if gen_ai[0] != EMBEDDINGS:  # embeddings have no output tokens at all
                    gen_tokens.append((usage.output_tokens, typed[1], None))
            if first_chunk is not None:
                gen_first_chunks.append((first_chunk, gen_attributes, span_context))
            if chunk_gaps and per_chunk is not None:
                gen_chunk_gaps.extend((gap, gen_attributes, None) for gap in chunk_gaps)
        tokens: dict[SeriesKey, int | float] = {}
        for series, sums in token_sums.items():
            for token_type, count in zip(_TOKEN_TYPES, sums, strict=True):
                if count:
                    tokens[series.with_label(Attr.TOKEN_TYPE, token_type)] = count
        self.requests.add_all(requests)
        self.duration.extend(durations)
        if ttfts:
            self.time_to_first_token.extend(ttfts)
        for counter, sums in (
            (self.tokens, tokens),
            (self.cost, costs),
            (self.unpriced_requests, unpriced),
            (self.unreported_usage_requests, unreported),
        ):
            if sums:
                counter.add_all(sums)
        if instruments is not None:
            for histogram, values in (
                (instruments.duration, gen_durations),
                (instruments.token_usage, gen_tokens),
                (instruments.time_to_first_chunk, gen_first_chunks),
                (per_chunk, gen_chunk_gaps),
            ):
                if values:
                    histogram.extend(values)
