"""Spans exported as OTLP over HTTP to a receiver started by the test, decoded with opentelemetry-proto.

An optional slow test sends the same spans to a local Arize Phoenix (``phoenix serve``,
offline) when it is installed; it is skipped otherwise.
"""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

from semroute.integrations.otel import SpanEmitter
from tests.call_infos import info, routed


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, dict[str, str], bytes]]]]:
    received: list[tuple[str, dict[str, str], bytes]] = []
    handler = type("Handler", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _value(any_value: object) -> object:
    kind = any_value.WhichOneof("value")  # type: ignore[attr-defined]
    if kind == "array_value":
        return [_value(v) for v in any_value.array_value.values]  # type: ignore[attr-defined]
    return getattr(any_value, kind)


def _export(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> SpanExportResult:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    results: list[SpanExportResult] = []
    exporter = OTLPSpanExporter(endpoint=endpoint, timeout=10)
    original = exporter.export

    def export(spans: object) -> SpanExportResult:
        result = original(spans)  # type: ignore[arg-type]
        results.append(result)
        return result

    exporter.export = export  # type: ignore[method-assign]
    provider = TracerProvider(resource=Resource.create({"service.name": "ledger-test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    emitter = SpanEmitter(tracer_provider=provider)
    emitter.on_call(info("miss"))
    emitter.on_call(info("semantic"))
    emitter.on_call(routed())
    provider.shutdown()
    assert emitter.failed == 0
    assert results and all(r is SpanExportResult.SUCCESS for r in results)
    return results[0]


def test_otlp_http_export_arrives_with_genai_attributes(
    receiver: tuple[str, list[tuple[str, dict[str, str], bytes]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, received = receiver
    _export(f"{url}/v1/traces", monkeypatch)
    assert {path for path, _, _ in received} == {"/v1/traces"}
    assert all(h["content-type"] == "application/x-protobuf" for _, h, _ in received)
    spans = []
    for _, _, body in received:
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource_spans in request.resource_spans:
            resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
            assert resource["service.name"] == "ledger-test"
            for scope_spans in resource_spans.scope_spans:
                assert scope_spans.scope.name == "semroute"
                spans += list(scope_spans.spans)
    assert [s.name for s in spans] == ["chat gpt-4o", "chat gpt-4o", "chat auto"]
    miss, hit, route = ({a.key: _value(a.value) for a in s.attributes} for s in spans)
    assert all(s.kind == s.SPAN_KIND_CLIENT for s in spans)
    assert spans[0].end_time_unix_nano - spans[0].start_time_unix_nano == 250_000_000
    assert miss["gen_ai.usage.input_tokens"] == 1000 and miss["gen_ai.usage.output_tokens"] == 100
    assert miss["gen_ai.request.temperature"] == pytest.approx(0.2)
    assert miss["gen_ai.response.finish_reasons"] == ["stop"]
    assert "gen_ai.usage.input_tokens" not in hit
    assert hit["semroute.cache.outcome"] == "semantic"
    assert hit["semroute.cache.similarity"] == pytest.approx(0.96)
    assert hit["semroute.saved_usd"] == pytest.approx(0.0035)
    assert route["semroute.route.model"] == "gpt-4o-mini"
    assert route["semroute.pruned_tokens"] == 2000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_phoenix_accepts_the_spans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    phoenix = shutil.which("phoenix")
    if phoenix is None:
        pytest.skip("Arize Phoenix is not installed (pip install arize-phoenix)")
    port = _free_port()
    env = {
        **os.environ,
        "PHOENIX_PORT": str(port),
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_GRPC_PORT": str(_free_port()),
        "PHOENIX_WORKING_DIR": str(tmp_path),
    }
    server = subprocess.Popen(
        [phoenix, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("phoenix serve did not start within 60 s")
        _export(f"http://127.0.0.1:{port}/v1/traces", monkeypatch)
    finally:
        server.terminate()
        server.wait(timeout=30)
