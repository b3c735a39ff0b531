"""OpenTelemetry GenAI spans and metrics from CallInfo, through the SDK's in-memory exporters."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from semroute.chat.info import CallInfo, CallObserver
from semroute.integrations.otel import CAPTURE_CONTENT_ENV, SpanEmitter
from tests.call_infos import info, routed


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    return tracer_provider


def _span(
    provider: TracerProvider, exporter: InMemorySpanExporter, call: CallInfo, **kw: object
) -> ReadableSpan:
    SpanEmitter(tracer_provider=provider, **kw).on_call(call)  # type: ignore[arg-type]
    (span,) = exporter.get_finished_spans()
    return span


GENAI_TYPES = {
    "gen_ai.operation.name": str,
    "gen_ai.provider.name": str,
    "gen_ai.request.model": str,
    "gen_ai.response.model": str,
    "gen_ai.request.temperature": float,
    "gen_ai.request.max_tokens": int,
    "gen_ai.response.id": str,
    "gen_ai.response.finish_reasons": tuple,
    "gen_ai.usage.input_tokens": int,
    "gen_ai.usage.output_tokens": int,
    "semroute.cache.outcome": str,
    "semroute.pruned_tokens": int,
    "semroute.saved_usd": float,
    "semroute.cost_usd": float,
    "semroute.namespace": str,
    "semroute.stream": bool,
    "semroute.tag.feature": str,
    "semroute.tag.user": str,
}


def test_miss_span_name_kind_times_and_attribute_types(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    call = info("miss", saved_usd=0.0)
    span = _span(provider, exporter, call)
    assert span.name == "chat gpt-4o"
    assert span.kind is SpanKind.CLIENT
    assert (span.start_time, span.end_time) == (call.start_ns, call.end_ns)
    assert span.instrumentation_scope is not None and span.instrumentation_scope.name == "semroute"
    attrs = dict(span.attributes or {})
    assert set(attrs) == set(GENAI_TYPES)
    for name, kind in GENAI_TYPES.items():
        assert type(attrs[name]) is kind, name
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (1000, 100)
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert span.status.status_code is StatusCode.UNSET


@pytest.mark.parametrize("outcome", ["exact", "semantic"])
def test_hit_span_reports_no_usage_and_its_saving(
    provider: TracerProvider, exporter: InMemorySpanExporter, outcome: str
) -> None:
    attrs = dict(
        _span(provider, exporter, info(outcome, input_tokens=900, output_tokens=90)).attributes
        or {}
    )
    assert "gen_ai.usage.input_tokens" not in attrs and "gen_ai.usage.output_tokens" not in attrs
    assert attrs["semroute.cache.outcome"] == outcome
    assert isinstance(attrs["semroute.cache.similarity"], float)
    assert attrs["semroute.saved_usd"] == pytest.approx(0.0035)


def test_routed_span_carries_route_and_pruning(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    span = _span(provider, exporter, routed())
    attrs = dict(span.attributes or {})
    assert span.name == "chat auto"
    assert (attrs["gen_ai.request.model"], attrs["gen_ai.response.model"]) == (
        "auto",
        "gpt-4o-mini",
    )
    assert attrs["semroute.route.model"] == "gpt-4o-mini"
    assert type(attrs["semroute.route.score"]) is float
    assert attrs["semroute.pruned_tokens"] == 2000


def test_bypass_span_says_why(provider: TracerProvider, exporter: InMemorySpanExporter) -> None:
    attrs = dict(_span(provider, exporter, info("bypass")).attributes or {})
    assert (attrs["semroute.cache.outcome"], attrs["semroute.cache.reason"]) == (
        "bypass",
        "tool_calls",
    )
    assert attrs["gen_ai.usage.input_tokens"] == 800


def test_error_span_has_error_status_and_type(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    span = _span(provider, exporter, info("error"))
    assert span.status.status_code is StatusCode.ERROR
    attrs = dict(span.attributes or {})
    assert attrs["error.type"] == "RateLimitError"
    assert "gen_ai.response.model" not in attrs and "gen_ai.usage.input_tokens" not in attrs


def test_request_parameters_map_to_typed_genai_attributes(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    params = {
        "temperature": 1,  # an int from the caller is still a double attribute
        "top_p": 0.9,
        "max_completion_tokens": 64,
        "frequency_penalty": 0.5,
        "presence_penalty": 0,
        "seed": 7,
        "n": 2,
        "stop": "END",
        "user": "end-user-42",
    }
    attrs = dict(_span(provider, exporter, info("miss", request_params=params)).attributes or {})
    assert (
        attrs["gen_ai.request.temperature"] == 1.0
        and type(attrs["gen_ai.request.temperature"]) is float
    )
    assert attrs["gen_ai.request.top_p"] == 0.9
    assert (
        attrs["gen_ai.request.max_tokens"] == 64 and type(attrs["gen_ai.request.max_tokens"]) is int
    )
    assert type(attrs["gen_ai.request.presence_penalty"]) is float
    assert attrs["gen_ai.request.seed"] == 7
    assert attrs["gen_ai.request.choice.count"] == 2
    assert attrs["gen_ai.request.stop_sequences"] == ("END",)
    assert "end-user-42" not in str(attrs)


def test_responses_operation_is_named_chat(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    span = _span(provider, exporter, info("miss", operation="responses"))
    assert span.name == "chat gpt-4o"


def test_message_content_only_on_opt_in(
    provider: TracerProvider, exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CAPTURE_CONTENT_ENV, raising=False)
    default = dict(_span(provider, exporter, info("miss")).attributes or {})
    assert "gen_ai.input.messages" not in default and "password" not in str(default)
    exporter.clear()
    opted = dict(_span(provider, exporter, info("miss"), capture_content=True).attributes or {})
    assert '"content": "How do I reset my password?"' in str(opted["gen_ai.input.messages"])
    exporter.clear()
    monkeypatch.setenv(CAPTURE_CONTENT_ENV, "true")
    by_env = dict(_span(provider, exporter, info("miss")).attributes or {})
    assert "gen_ai.input.messages" in by_env


def test_span_is_a_child_of_the_callers_span(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    tracer = provider.get_tracer("app")
    emitter = SpanEmitter(tracer_provider=provider)
    with tracer.start_as_current_span("handle request") as parent:
        emitter.on_call(info("miss"))
    child = next(s for s in exporter.get_finished_spans() if s.name == "chat gpt-4o")
    assert child.parent is not None and child.parent.span_id == parent.get_span_context().span_id


def test_emitter_is_an_observer_and_never_raises(provider: TracerProvider) -> None:
    emitter = SpanEmitter(tracer_provider=provider)
    assert isinstance(emitter, CallObserver)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("exporter down")

    emitter._tracer.start_span = broken  # type: ignore[method-assign]
    emitter.on_call(info("miss"))
    assert emitter.failed == 1


def test_metrics_count_hits_misses_and_savings(provider: TracerProvider) -> None:
    reader = InMemoryMetricReader()
    emitter = SpanEmitter(
        tracer_provider=provider, meter_provider=MeterProvider(metric_readers=[reader])
    )
    for call in (info("exact"), info("semantic"), info("miss"), info("bypass"), info("error")):
        emitter.on_call(call)
    data = reader.get_metrics_data()
    assert data is not None
    points: dict[str, list[object]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                points[metric.name] = list(metric.data.data_points)
    assert sum(p.value for p in points["semroute.cache.hits"]) == 2  # type: ignore[attr-defined]
    assert sum(p.value for p in points["semroute.cache.misses"]) == 2  # type: ignore[attr-defined]
    assert sum(p.value for p in points["semroute.saved_usd"]) == pytest.approx(2 * 0.0035)  # type: ignore[attr-defined]
    assert sum(p.count for p in points["gen_ai.client.operation.duration"]) == 5  # type: ignore[attr-defined]
    token_types = {p.attributes["gen_ai.token.type"] for p in points["gen_ai.client.token.usage"]}  # type: ignore[attr-defined]
    assert token_types == {"input", "output"}


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_default_observer_follows_the_global_providers() -> None:
    out = _run(
        """
        from semroute.integrations.otel import SpanEmitter, default_observer
        assert default_observer() is None          # proxy provider: nothing configured
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        trace.set_tracer_provider(TracerProvider())
        first = default_observer()
        assert isinstance(first, SpanEmitter) and first is default_observer()
        assert first._metrics is None               # no meter provider set
        print("ok")
        """
    )
    assert out == "ok"


def test_without_opentelemetry_nothing_changes_and_nothing_is_imported() -> None:
    out = _run(
        """
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "opentelemetry" or name.startswith("opentelemetry."):
                    raise ImportError(f"blocked {name}")
                return None
        sys.meta_path.insert(0, Block())
        import semroute, semroute.ledger
        from semroute.integrations.otel import default_observer
        assert default_observer() is None
        from semroute.ledger import Ledger
        with Ledger("memory://") as ledger:
            ledger.record(model="gpt-4o", input_tokens=10, output_tokens=1)
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
        """
    )
    assert out == "[]"


def test_import_semroute_and_the_ledger_import_no_opentelemetry() -> None:
    out = _run(
        """
        import sys, semroute, semroute.ledger, semroute.integrations.otel
        print(sorted(m for m in sys.modules if m.startswith(("opentelemetry", "litellm"))))
        """
    )
    assert out == "[]"
