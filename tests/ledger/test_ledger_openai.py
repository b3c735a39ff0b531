"""End to end: the OpenAI wrapper writes a ledger, budgets gate it, and ``semroute report`` reads it.

The real openai SDK against the in-process fake API (no network); the fake encoder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

openai = pytest.importorskip("openai")

import semroute  # noqa: E402
from semroute import Router, SemanticCache, Tier  # noqa: E402
from semroute._cli import main  # noqa: E402
from semroute.errors import BudgetExceeded  # noqa: E402
from semroute.ledger import Budget, BudgetAlert, Ledger, price_of, use_prices  # noqa: E402
from tests.fakes import FakeEncoder  # noqa: E402
from tests.openai_fakes import FakeAPI  # noqa: E402

SYSTEM = {"role": "system", "content": "You are the support bot of ACME."}


def ask(client: Any, text: str, model: str = "gpt-4o-mini") -> Any:
    return client.chat.completions.create(
        model=model, messages=[SYSTEM, {"role": "user", "content": text}]
    )


def _router(encoder: FakeEncoder) -> Router:
    tiers = [Tier("gpt-4o-mini", 0.15, 0.6), Tier("gpt-4o", 2.5, 10.0)]
    router = Router(tiers=tiers, encoder=encoder, model=None, threshold=0.5)
    return router.fit(
        ["hi there", "thanks a lot", "prove the theorem formally", "derive the integral"],
        [0, 0, 1, 1],
    )


@pytest.fixture
def dated_snapshots() -> Any:
    # The fake API answers with "<model>-2024", a dated snapshot name the shipped table
    # does not know; a hit's saving is priced by the stored answer's model, so teach it.
    use_prices({"gpt-4o-mini-2024": [0.15, 0.6], "gpt-4o-2024": [2.5, 10.0]})
    yield
    use_prices(None)


@pytest.mark.usefixtures("dated_snapshots")
def test_report_renders_from_a_ledger_written_by_the_openai_wrapper(tmp_path: Path) -> None:
    api, encoder = FakeAPI(), FakeEncoder()
    path = tmp_path / "ledger.db"
    with Ledger(path, store_text=True) as ledger:
        client = semroute.wrap(
            api.client(),
            cache=SemanticCache(encoder=encoder),
            router=_router(encoder),
            ledger=ledger,
            tags={"feature": "support", "user": "u1"},
            store_text=True,
        )
        ask(client, "your shop refund policy: what is it?")  # miss
        ask(client, "your shop refund policy: what is it?")  # exact
        ask(client, "what is it, your shop refund policy?")  # semantic
        ask(client, "hi there", model="auto")  # routed to gpt-4o-mini
        api.tool_calls = True
        ask(client, "look up my order")  # bypass: tool calls
        api.tool_calls = False
        api.fail_status = 500
        with pytest.raises(openai.InternalServerError):
            ask(client, "is the shop open?")  # error
    assert api.calls == 4
    out_json, out_html = tmp_path / "report.json", tmp_path / "report.html"
    assert main(["report", str(path), "--json", str(out_json), "--html", str(out_html)]) == 0
    body = json.loads(out_json.read_text())
    outcomes = {o["outcome"]: o["calls"] for o in body["measured"]["outcomes"]}
    assert outcomes == {"miss": 2, "exact": 1, "semantic": 1, "bypass": 1, "error": 1}
    assert body["measured"]["bypass_reasons"] == [["tool_calls", 1]]
    one_call = price_of("gpt-4o-mini", 20, 7)  # the fake API's usage on every answer
    assert one_call is not None
    assert body["totals"]["bill_after"] == pytest.approx(3 * one_call, abs=1e-6)
    assert body["cache"]["default"]["dollars_saved"] == pytest.approx(2 * one_call, abs=1e-6)
    routed_saving = price_of("gpt-4o", 20, 7) - one_call  # type: ignore[operator]
    assert body["routing"]["saved"] == pytest.approx(routed_saving, abs=1e-6)
    (intent,) = body["cache"]["top_intents"]
    assert (intent["query"], intent["hits"]) == ("your shop refund policy: what is it?", 2)
    feature = body["measured"]["groups"][0]
    assert feature["by"] == "feature" and feature["rows"][0]["calls"] == 6
    html = out_html.read_text()
    assert "What semroute saved, from the ledger" in html and "tool_calls" in html


def test_a_budget_on_the_wrapper_alerts_then_blocks_before_the_api(tmp_path: Path) -> None:
    api, encoder = FakeAPI(), FakeEncoder()
    alerts: list[BudgetAlert] = []
    one_call = price_of("gpt-4o-mini", 20, 7)
    assert one_call is not None
    with Ledger(tmp_path / "ledger.db") as ledger:
        budget = Budget(
            2.5 * one_call,
            period="day",
            scope={"feature": "support"},
            ledger=ledger,
            on_alert=alerts.append,
            action="block",
            refresh_s=0,
        )

        client = semroute.wrap(
            api.client(),
            cache=SemanticCache(encoder=encoder),
            ledger=ledger,
            budgets=[budget],
            tags={"feature": "support"},
        )
        for text in ("first question here", "second question here", "third question here"):
            ask(client, text)
            ledger.flush()  # the budget reads written rows; flush so the test is exact
        # Checked before the third call: two calls spent, 80 % of the limit.
        assert [a.threshold for a in alerts] == [0.8]
        with pytest.raises(BudgetExceeded):
            ask(client, "fourth question here")
    assert [a.threshold for a in alerts] == [0.8, 1.0]
    assert api.calls == 3  # the fourth was refused before the API


def test_wrapped_calls_become_genai_spans() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from semroute.integrations.otel import SpanEmitter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    api = FakeAPI()
    client = semroute.wrap(
        api.client(),
        cache=SemanticCache(encoder=FakeEncoder()),
        observers=[SpanEmitter(tracer_provider=provider)],
    )
    ask(client, "your shop refund policy: what is it?")
    ask(client, "your shop refund policy: what is it?")
    miss, hit = exporter.get_finished_spans()
    assert miss.name == hit.name == "chat gpt-4o-mini"
    m, h = dict(miss.attributes or {}), dict(hit.attributes or {})
    assert (m["gen_ai.usage.input_tokens"], m["gen_ai.usage.output_tokens"]) == (20, 7)
    assert m["gen_ai.response.model"] == "gpt-4o-mini-2024"
    assert "gen_ai.usage.input_tokens" not in h and h["semroute.cache.outcome"] == "exact"
    assert miss.start_time is not None and miss.end_time is not None
    assert miss.end_time >= miss.start_time
