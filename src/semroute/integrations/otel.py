"""OpenTelemetry GenAI spans and metrics for every call a semroute wrapper handles.

Install ``semroute[otel]`` (``opentelemetry-api`` only; bring your own SDK and
exporter). When the application has set a tracer provider, ``default_observer()``
returns a :class:`SpanEmitter` and each wrapped call becomes one span following the
OpenTelemetry GenAI client conventions: named ``"{operation} {model}"``, kind
CLIENT, timed from the call's own ``start_ns``/``end_ns`` (so the span is emitted
after the fact and nothing wraps the call), with ``gen_ai.*`` request and response
attributes plus semroute's own ``semroute.*`` ones. Usage tokens are what was billed:
a cache hit reports none, its savings go to ``semroute.saved_usd``. Message contents
are recorded only on opt-in (``capture_content=True`` or
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true``). When a meter provider
is set too, counters of hits, misses and dollars saved are kept.

Attribute names are literal strings here: the semantic-conventions package is
pre-release and renames things between versions. Nothing in this module imports
OpenTelemetry until ``default_observer()`` or ``SpanEmitter`` is used, and without it
installed ``default_observer()`` returns ``None``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from semroute.chat.info import CallInfo

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

__all__ = ["CAPTURE_CONTENT_ENV", "SpanEmitter", "default_observer", "span_attributes"]

CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_SCOPE = "semroute"
_HITS = ("exact", "semantic")

# Request parameter -> GenAI attribute, with the type the conventions give it.
_REQUEST_ATTRIBUTES: dict[str, tuple[str, type]] = {
    "temperature": ("gen_ai.request.temperature", float),
    "top_p": ("gen_ai.request.top_p", float),
    "top_k": ("gen_ai.request.top_k", float),
    "max_tokens": ("gen_ai.request.max_tokens", int),
    "max_completion_tokens": ("gen_ai.request.max_tokens", int),
    "max_output_tokens": ("gen_ai.request.max_tokens", int),
    "frequency_penalty": ("gen_ai.request.frequency_penalty", float),
    "presence_penalty": ("gen_ai.request.presence_penalty", float),
    "seed": ("gen_ai.request.seed", int),
    "n": ("gen_ai.request.choice.count", int),
}
# The Responses API is a chat operation in the conventions' vocabulary.
_OPERATIONS = {"responses": "chat"}


def _capture_default() -> bool:
    return os.environ.get(CAPTURE_CONTENT_ENV, "").strip().lower() in ("1", "true", "yes")


def _request_attributes(params: Mapping[str, object]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, (attribute, kind) in _REQUEST_ATTRIBUTES.items():
        value = params.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if name == "n" and value == 1:
            continue  # the conventions record the choice count only when it is not 1
        out[attribute] = kind(value)
    stop = params.get("stop")
    if isinstance(stop, str):
        out["gen_ai.request.stop_sequences"] = [stop]
    elif isinstance(stop, list | tuple) and all(isinstance(s, str) for s in stop):
        out["gen_ai.request.stop_sequences"] = list(stop)
    return out


def span_attributes(info: CallInfo, *, capture_content: bool = False) -> dict[str, Any]:
    """The span attributes of one call: GenAI conventions first, then ``semroute.*``.

    >>> info = CallInfo(operation="chat", provider="openai", namespace="ns",
    ...                 model_requested="gpt-4o-mini", model_used="gpt-4o-mini",
    ...                 outcome="semantic", similarity=0.97, saved_usd=0.001)
    >>> attrs = span_attributes(info)
    >>> attrs["semroute.cache.outcome"], "gen_ai.usage.input_tokens" in attrs
    ('semantic', False)
    """
    operation = _OPERATIONS.get(info.operation, info.operation)
    attrs: dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": info.provider,
        "gen_ai.request.model": info.model_requested,
    }
    attrs.update(_request_attributes(info.request_params))
    if info.model_used:
        attrs["gen_ai.response.model"] = info.model_used
    if info.response_id:
        attrs["gen_ai.response.id"] = info.response_id
    if info.finish_reason:
        attrs["gen_ai.response.finish_reasons"] = [info.finish_reason]
    hit = info.outcome in _HITS
    # Only what was billed: a hit paid for no tokens, so it reports none.
    if not hit and info.input_tokens is not None:
        attrs["gen_ai.usage.input_tokens"] = int(info.input_tokens)
    if not hit and info.output_tokens is not None:
        attrs["gen_ai.usage.output_tokens"] = int(info.output_tokens)
    if info.error_type:
        attrs["error.type"] = info.error_type
    attrs["semroute.cache.outcome"] = info.outcome
    if info.reason:
        attrs["semroute.cache.reason"] = info.reason
    if info.similarity is not None:
        attrs["semroute.cache.similarity"] = float(info.similarity)
    if info.route_model:
        attrs["semroute.route.model"] = info.route_model
    if info.route_score is not None:
        attrs["semroute.route.score"] = float(info.route_score)
    attrs["semroute.pruned_tokens"] = int(info.pruned_tokens)
    if info.saved_usd is not None:
        attrs["semroute.saved_usd"] = float(info.saved_usd)
    if info.cost_usd is not None:
        attrs["semroute.cost_usd"] = float(info.cost_usd)
    if info.tokens_estimated:
        attrs["semroute.tokens_estimated"] = True
    attrs["semroute.namespace"] = info.namespace
    attrs["semroute.stream"] = bool(info.stream)
    for key, value in info.tags.items():
        attrs[f"semroute.tag.{key}"] = str(value)
    if capture_content and info.query is not None:
        message = {"role": "user", "parts": [{"type": "text", "content": info.query}]}
        attrs["gen_ai.input.messages"] = json.dumps([message], ensure_ascii=False)
    return attrs


class SpanEmitter:
    """A ``CallObserver`` that turns each call into a span (and metrics, with a meter).

    ``tracer_provider`` and ``meter_provider`` default to the global ones.

    >>> from opentelemetry.sdk.trace import TracerProvider
    >>> from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    >>> from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    ...     InMemorySpanExporter)
    >>> exporter = InMemorySpanExporter()
    >>> provider = TracerProvider()
    >>> provider.add_span_processor(SimpleSpanProcessor(exporter))
    >>> emitter = SpanEmitter(tracer_provider=provider)
    >>> emitter.on_call(CallInfo(operation="chat", provider="openai", namespace="ns",
    ...                          model_requested="gpt-4o", model_used="gpt-4o", outcome="miss",
    ...                          input_tokens=12, output_tokens=30, start_ns=1, end_ns=2))
    >>> [(s.name, s.kind.name) for s in exporter.get_finished_spans()]
    [('chat gpt-4o', 'CLIENT')]
    """

    def __init__(
        self,
        *,
        tracer_provider: TracerProvider | None = None,
        meter_provider: MeterProvider | None = None,
        capture_content: bool | None = None,
    ) -> None:
        from opentelemetry import trace
        from opentelemetry.trace import SpanKind, Status, StatusCode

        from semroute._version import __version__

        self._kind = SpanKind.CLIENT
        self._error = Status(StatusCode.ERROR)
        self._tracer = trace.get_tracer(_SCOPE, __version__, tracer_provider=tracer_provider)
        self.capture_content = _capture_default() if capture_content is None else capture_content
        #: Calls whose span could not be emitted (an exporter or attribute error).
        self.failed = 0
        self._metrics: _Metrics | None = None
        if meter_provider is not None:
            self._metrics = _Metrics(meter_provider)

    def on_call(self, info: CallInfo) -> None:
        """Emit the span of one finished call. Never raises."""
        try:
            attrs = span_attributes(info, capture_content=self.capture_content)
            name = f"{attrs['gen_ai.operation.name']} {info.model_requested}"
            span = self._tracer.start_span(
                name, kind=self._kind, attributes=attrs, start_time=info.start_ns or None
            )
            if info.outcome == "error":
                span.set_status(self._error)
            span.end(end_time=info.end_ns or None)
            if self._metrics is not None:
                self._metrics.record(info, attrs)
        except Exception:  # tracing must never break the traced call
            self.failed += 1


class _Metrics:
    """Counters of hits, misses and dollars saved; GenAI duration and billed tokens."""

    def __init__(self, meter_provider: MeterProvider) -> None:
        from semroute._version import __version__

        meter = meter_provider.get_meter(_SCOPE, __version__)
        self.hits = meter.create_counter(
            "semroute.cache.hits", unit="{call}", description="calls served from the cache"
        )
        self.misses = meter.create_counter(
            "semroute.cache.misses",
            unit="{call}",
            description="calls that reached the provider (misses and bypasses)",
        )
        self.saved = meter.create_counter(
            "semroute.saved_usd", unit="USD", description="dollars semroute avoided"
        )
        self.duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="GenAI operation duration"
        )
        self.tokens = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}", description="billed tokens per call"
        )

    def record(self, info: CallInfo, attrs: Mapping[str, Any]) -> None:
        common = {
            k: attrs[k]
            for k in ("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model")
        }
        if info.outcome in _HITS:
            self.hits.add(1, {**common, "semroute.cache.outcome": info.outcome})
        elif info.outcome in ("miss", "bypass"):
            self.misses.add(1, {**common, "semroute.cache.outcome": info.outcome})
        if info.saved_usd:
            self.saved.add(float(info.saved_usd), common)
        timed = dict(common)
        if info.error_type:
            timed["error.type"] = info.error_type
        self.duration.record(info.latency_s, timed)
        for kind in ("input", "output"):
            key = f"gen_ai.usage.{kind}_tokens"
            if key in attrs:
                self.tokens.record(int(attrs[key]), {**common, "gen_ai.token.type": kind})


_cached: tuple[object, object, SpanEmitter | None] | None = None


def default_observer() -> SpanEmitter | None:
    """A ``SpanEmitter`` on the global providers, or ``None`` when there is nothing to feed.

    ``None`` when OpenTelemetry is not installed or no tracer provider has been set
    (the API's proxy or no-op provider). Cheap enough to call per request: the
    emitter is reused while the global providers stay the same.

    >>> default_observer() is None     # no tracer provider configured in this process
    True
    """
    global _cached
    try:
        from opentelemetry import metrics, trace
    except ImportError:
        return None
    tracer_provider = trace.get_tracer_provider()
    meter_provider = metrics.get_meter_provider()
    cached = _cached
    if cached is not None and cached[0] is tracer_provider and cached[1] is meter_provider:
        return cached[2]
    emitter: SpanEmitter | None = None
    if not isinstance(tracer_provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        configured_meter = not (
            isinstance(meter_provider, metrics.NoOpMeterProvider)
            or type(meter_provider).__name__ == "_ProxyMeterProvider"
        )
        emitter = SpanEmitter(
            tracer_provider=tracer_provider,
            meter_provider=meter_provider if configured_meter else None,
        )
    _cached = (tracer_provider, meter_provider, emitter)
    return emitter
