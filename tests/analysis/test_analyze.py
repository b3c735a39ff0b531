"""semroute.analyze on small logs, with the fake encoder and a router fitted on the spot."""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from semroute.analysis.analyze import AnalyzeOptions, analyze, register
from semroute.analysis.cost import DEFAULT_OUTPUT_TOKENS, PriceTable, load_prices
from semroute.analysis.report import SCHEMA, SCHEMA_VERSION, AnalysisReport
from semroute.errors import ConfigError, InputError
from semroute.router.router import Router, Tier
from tests.fakes import FakeEncoder

EASY = ["hi there", "thanks a lot", "where is my order", "opening hours", "reset password"]
HARD = [
    "prove the theorem by induction step by step",
    "derive the integral and show every step",
    "write a python function with a proof of its complexity",
    "prove that the series converges formally",
]
T0 = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
PRICES = {"mini": [0.15, 0.60], "big": [2.50, 10.00]}


def make_router(encoder: FakeEncoder, tiers: Sequence[Tier] | None = None) -> Router:
    """A router that sends the HARD kind of question to the strong tier."""
    tiers = tiers or [Tier("mini", 0.15, 0.60), Tier("big", 2.50, 10.00)]
    router = Router(tiers=tiers, encoder=encoder, model=None, threshold=0.5)
    return router.fit(EASY + HARD, [0] * len(EASY) + [1] * len(HARD))


def run(records: Any, **kwargs: Any) -> AnalysisReport:
    encoder = kwargs.pop("encoder", None) or FakeEncoder()
    router = kwargs.pop("router", None) or make_router(encoder)
    return analyze(records, encoder=encoder, router=router, **kwargs)


def rec(query: str, **fields: Any) -> dict[str, Any]:
    return {"query": query, "cost_usd": 0.01, **fields}


def cosine(a: str, b: str) -> float:
    encoder = FakeEncoder()
    va, vb = encoder.encode([a, b])
    return float(va @ vb)


def test_repeats_hit_the_cache_and_save_their_cost() -> None:
    log = [rec("How do I reset my password?")] * 3 + [
        rec("how do i reset my password"),
        rec("Where can I buy a red umbrella?"),
    ]
    report = run(log)
    default = report.cache.default
    assert report.records == 5
    assert (default.hits_exact, default.hits_semantic, default.calls_saved) == (3, 0, 3)
    assert default.dollars_saved == pytest.approx(0.03)
    assert default.hit_rate == pytest.approx(0.6)
    assert report.totals.bill_before == pytest.approx(0.05)


def test_reworded_query_is_a_semantic_hit() -> None:
    # Same words in another order: the fake encoder gives cosine 1, the exact key differs.
    report = run([rec("please reset my password now"), rec("now please reset my password")])
    assert [(t.hits_exact, t.hits_semantic) for t in report.cache.thresholds] == [(0, 1)] * 4


def test_each_threshold_has_its_own_cache() -> None:
    a = "what are the opening hours of the shop in the city centre on a normal weekday"
    b = "what are the opening hours of the shop in the city centre on a normal saturday"
    sim = cosine(a, b)
    assert 0.90 < sim < 0.97, sim  # the fixture must sit between the thresholds
    report = run([rec(a), rec(b)], thresholds=[0.90, 0.97])
    by_t = {t.threshold: t.calls_saved for t in report.cache.thresholds}
    assert by_t == {0.90: 1, 0.95: int(sim >= 0.95), 0.97: 0}


def test_namespace_by_partitions_the_cache() -> None:
    log = [rec("reset my password", feature="shop"), rec("reset my password", feature="tutor")]
    assert run(log).cache.default.calls_saved == 1
    split = run(log, namespace_by="feature")
    assert split.cache.default.calls_saved == 0
    assert (
        run(
            [*log, rec("reset my password", feature="tutor")], namespace_by="feature"
        ).cache.default.calls_saved
        == 1
    )


def test_top_intents_cluster_by_the_serving_entry() -> None:
    log = (
        [rec("how do i reset my password")]
        + [rec("How do I reset my password?")] * 3
        + [rec("reset my password how do i")]
        + [rec("what are your opening hours")] * 2
    )
    intents = run(log).cache.top_intents
    assert [(i.query, i.hits) for i in intents] == [
        ("how do i reset my password", 4),
        ("what are your opening hours", 1),
    ]
    # Case variants are not shown as new ways of asking; a rewording is.
    assert intents[0].examples == ("reset my password how do i",)
    assert intents[0].dollars_saved == pytest.approx(0.04)


def test_hit_rate_over_time_warms_up() -> None:
    log = [
        rec(f"question number {i % 5} about shipping", ts=(T0 + timedelta(hours=i)).isoformat())
        for i in range(48)
    ]
    buckets = run(log).cache.over_time
    assert sum(b.requests for b in buckets) == 48
    assert buckets[0].start == T0
    assert buckets[0].hit_rate < buckets[-1].hit_rate == 1.0
    assert all(b.label.startswith("2026-11-0") for b in buckets)


def test_without_time_stamps_buckets_count_records_and_nothing_is_projected() -> None:
    report = run([rec(f"item {i % 3} please") for i in range(250)])
    assert [b.label for b in report.cache.over_time] == [
        "records 1-100",
        "records 101-200",
        "records 201-300",
    ]
    assert report.totals.projected_monthly_saving is None
    assert report.totals.span_days is None


def test_routing_sends_hard_questions_to_the_strong_tier_and_bills_both() -> None:
    log = [
        rec(q, model="big", input_tokens=1000, output_tokens=100, cost_usd=None)
        for q in EASY + HARD
    ]
    routing = run(log, thresholds=[0.95]).routing
    by_model = {t.model: t for t in routing.tiers}
    assert by_model["big"].calls == len(HARD) and by_model["mini"].calls == len(EASY)
    assert sum(t.share for t in routing.tiers) == pytest.approx(1.0)
    big_cost = (1000 * 2.50 + 100 * 10.00) / 1e6
    mini_cost = (1000 * 0.15 + 100 * 0.60) / 1e6
    assert routing.bill_before == pytest.approx(9 * big_cost)
    assert routing.bill_after == pytest.approx(len(HARD) * big_cost + len(EASY) * mini_cost)
    assert routing.saved == pytest.approx(routing.bill_before - routing.bill_after)


CONTEXT = (
    "Returns are accepted within 30 days of delivery. Items must be unused and in their box. "
    "Our warehouse is in Leeds and was opened in 1998. The founders like cycling and jazz. "
    "Refunds reach your card within 5 business days. Gift cards cannot be refunded. "
    "The company newsletter comes out every second Tuesday with recipes and puzzles."
)


def test_pruning_saves_context_tokens_at_the_ratio() -> None:
    log = [
        rec("how long do refunds take", context=CONTEXT, model="big", input_tokens=400),
        rec("can I return opened items", context=CONTEXT, model="big", input_tokens=400),
        rec("no context here", model="big", input_tokens=400),
    ]
    pruning = run(log, prune_ratio=0.5).pruning
    assert pruning.records_with_context == 2
    assert 0 < pruning.tokens_after < pruning.tokens_before
    assert pruning.tokens_after <= 0.6 * pruning.tokens_before
    assert pruning.dollars_saved == pytest.approx(pruning.tokens_saved * 2.50 / 1e6)


def test_missing_costs_are_estimated_from_tokens_or_the_tokenizer() -> None:
    log = [
        {"query": "one two three", "model": "mini", "input_tokens": 1000, "output_tokens": 10},
        {"query": "four five six seven", "model": "unknown-model"},
        {"query": "eight nine", "cost_usd": 0.5},
    ]
    report = run(log)
    assert report.costs_estimated == 2
    expected = (
        (1000 * 0.15 + 10 * 0.60) / 1e6 + (4 * 2.50 + DEFAULT_OUTPUT_TOKENS * 10.0) / 1e6 + 0.5
    )
    assert report.totals.bill_before == pytest.approx(expected)


def test_all_three_together_and_the_monthly_projection() -> None:
    log = [
        rec(
            "reset my password", ts=T0.isoformat(), model="big", input_tokens=100, output_tokens=50
        ),
        rec("reset my password", ts=(T0 + timedelta(days=2)).isoformat(), model="big"),
    ]
    totals = run(log).totals
    assert totals.span_days == pytest.approx(2.0)
    # The second call is a cache hit; the first is routed to the mini tier.
    assert totals.bill_after == pytest.approx((100 * 0.15 + 50 * 0.60) / 1e6)
    assert totals.saved == pytest.approx(0.02 - totals.bill_after)
    assert totals.projected_monthly_bill == pytest.approx(0.02 * 15)
    assert totals.projected_monthly_saving == pytest.approx(totals.saved * 15)


def test_queries_the_encoder_refuses_are_reported_not_fatal() -> None:
    report = run([rec("fine question"), rec("?!?"), {"query": 3}, rec("fine question")])
    assert report.records == 2
    assert report.malformed_count == 2
    assert [(m.line, m.reason) for m in report.malformed] == [
        (2, "the encoder refused the query"),
        (3, "query is not a string: int"),
    ]
    assert report.cache.default.calls_saved == 1


def test_limit_and_empty_logs() -> None:
    assert run([rec(f"q {i}") for i in range(10)], limit=4).records == 4
    empty = run([])
    assert empty.records == 0 and empty.totals.saved == 0 and empty.cache.default.hit_rate == 0


def test_prices_override_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps({"cheap": {"input_per_mtok": 0.1, "output_per_mtok": 0.2}, "dear": [1.0, 2.0]})
    )
    table = load_prices(path)
    assert [p.model for p in table.prices] == ["cheap", "dear"]
    encoder = FakeEncoder()
    router = make_router(encoder, [Tier("cheap", 0.1, 0.2), Tier("dear", 1.0, 2.0)])
    log = [{"query": q, "input_tokens": 1000, "output_tokens": 0} for q in EASY + HARD]
    report = analyze(log, encoder=encoder, router=router, prices=path)
    assert [t.model for t in report.routing.tiers] == ["cheap", "dear"]
    assert report.totals.bill_before == pytest.approx(
        9 * 1000 * 1.0 / 1e6
    )  # unknown model: dearest


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"m": {"input_per_mtok": -1, "output_per_mtok": 0}},
        {"m": "cheap"},
        {"m": {"input_per_mtok": 1}},
    ],
)
def test_bad_price_tables_are_config_errors(bad: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        load_prices(bad)


def test_bad_prices_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text("{nope")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_prices(path)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"threshold": 1.5}, ConfigError),
        ({"thresholds": (0.9, "x")}, ConfigError),
        ({"prune_ratio": 0}, InputError),
        ({"namespace_by": "colour"}, ConfigError),
        ({"limit": 0}, ConfigError),
        ({"max_entries": -1}, ConfigError),
    ],
)
def test_options_are_validated(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        AnalyzeOptions(**kwargs)


def test_default_threshold_is_always_replayed() -> None:
    options = AnalyzeOptions(threshold=0.93, thresholds=(0.97, 0.9))
    assert options.thresholds == (0.9, 0.93, 0.97)


def test_json_form_is_stable_and_serialisable() -> None:
    log = [
        rec("reset my password", ts=T0.isoformat(), context=CONTEXT),
        rec("reset my password", ts=(T0 + timedelta(hours=5)).isoformat()),
        {"oops": 1},
    ]
    data = json.loads(json.dumps(run(log).to_dict()))
    assert data["schema"] == SCHEMA and data["version"] == SCHEMA_VERSION == 1
    assert set(data) == {
        "schema",
        "version",
        "source",
        "records",
        "malformed_count",
        "malformed",
        "costs_estimated",
        "first_ts",
        "last_ts",
        "cache",
        "routing",
        "pruning",
        "totals",
    }
    assert data["malformed"] == [{"line": 3, "reason": "missing query"}]
    assert set(data["cache"]) == {"threshold", "thresholds", "default", "over_time", "top_intents"}
    assert data["cache"]["default"]["calls_saved"] == 1
    assert set(data["cache"]["thresholds"][0]) == {
        "threshold",
        "hits_exact",
        "hits_semantic",
        "hit_rate",
        "calls_saved",
        "dollars_saved",
    }
    assert set(data["cache"]["over_time"][0]) == {
        "label",
        "start",
        "requests",
        "hits_exact",
        "hits_semantic",
        "cost_before",
        "cost_after",
        "hit_rate",
    }
    assert set(data["cache"]["top_intents"][0]) == {
        "query",
        "namespace",
        "hits",
        "dollars_saved",
        "examples",
    }
    assert set(data["routing"]) == {"tiers", "bill_before", "bill_after", "saved"}
    assert set(data["routing"]["tiers"][0]) == {"model", "calls", "share", "cost"}
    assert set(data["pruning"]) == {
        "ratio",
        "records_with_context",
        "tokens_before",
        "tokens_after",
        "tokens_saved",
        "dollars_saved",
        "errors",
        "first_error",
    }
    assert set(data["totals"]) == {
        "bill_before",
        "bill_after",
        "saved",
        "saved_share",
        "span_days",
        "projected_monthly_bill",
        "projected_monthly_saving",
    }
    assert data["first_ts"] == T0.isoformat()


def test_html_report_is_one_self_contained_file(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from semroute.analysis.html import write_html

    log = [rec("reset my <password>", ts=(T0 + timedelta(hours=i)).isoformat()) for i in range(30)]
    path = tmp_path / "report.html"
    write_html(run(log), path)
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert page.count("<svg") == 3
    assert "reset my &lt;password&gt;" in page
    assert "<script" not in page and "<link" not in page and "<img" not in page


def test_html_without_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from semroute.analysis.html import render_html

    report = run([rec("hello there")])
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ConfigError, match=r"semroute\[report\]"):
        render_html(report)


# -- the CLI sub-command ----------------------------------------------------------------


def cli(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> int:
    encoder = FakeEncoder()
    router = make_router(encoder)
    import semroute.analysis.analyze as module

    real = module.analyze
    monkeypatch.setattr(
        module, "analyze", lambda *a, **k: real(*a, **{**k, "encoder": encoder, "router": router})
    )
    parser = argparse.ArgumentParser(prog="semroute")
    register(parser.add_subparsers())
    args = parser.parse_args(["analyze", *argv])
    return int(args.handler(args))


def test_cli_writes_summary_json_and_html(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    log = tmp_path / "log.jsonl"
    lines = [
        json.dumps(rec("how do I reset my password", ts=(T0 + timedelta(hours=i)).isoformat()))
        for i in range(6)
    ]
    log.write_text("\n".join([*lines, "garbage"]) + "\n")
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    code = cli(
        monkeypatch, [str(log), "--json", str(out_json), "--html", str(out_html), "--no-progress"]
    )
    assert code == 0
    shown = capsys.readouterr().out
    assert "6 records replayed" in shown and "1 malformed" in shown
    assert "line 7: invalid JSON" in shown
    data = json.loads(out_json.read_text())
    assert data["records"] == 6 and data["cache"]["default"]["calls_saved"] == 5
    assert out_html.read_text().count("<svg") == 3


def test_cli_reads_csv_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    payload = b"query,feature\nreset password,a\nreset password,b\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(payload)))
    out = tmp_path / "r.json"
    assert (
        cli(monkeypatch, ["-", "--namespace-by", "feature", "--json", str(out), "--limit", "5"])
        == 0
    )
    data = json.loads(out.read_text())
    assert data["source"] == "<stdin>" and data["records"] == 2
    assert data["cache"]["default"]["calls_saved"] == 0
    assert "<stdin>" in capsys.readouterr().out


def test_cli_exit_code_on_a_log_without_usable_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "empty.jsonl"
    log.write_text("")
    assert cli(monkeypatch, [str(log), "--no-progress"]) == 1
    assert "no usable record" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [["x", "--prune-ratio", "0"], ["x", "--limit", "-2"], ["x", "--thresholds", "2"]]
)
def test_cli_rejects_bad_options(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as exc:
        cli(monkeypatch, argv)
    assert exc.value.code == 2


def test_price_table_defaults_to_its_strongest_tier() -> None:
    table = PriceTable(tuple(load_prices(PRICES).prices))
    assert table.price("nobody").model == "big"
    assert table.price("mini").model == "mini"


def test_a_failing_pruner_is_reported_and_the_call_still_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import semroute.pruning.prune as prune_module

    def broken(self: object, *args: object, **kwargs: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(prune_module.Pruner, "prune", broken)
    log = [rec("how long do refunds take", context=CONTEXT)] * 2 + [rec("plain")]
    report = run(log)
    assert report.records == 3 and report.cache.default.calls_saved == 1
    assert report.pruning.errors == 2  # a failure is not memoised: each call tries again
    assert report.pruning.first_error == "line 1: ValueError: boom"
    assert report.pruning.tokens_saved == 0 and report.pruning.dollars_saved == 0


def test_rejections_are_all_counted_but_only_the_first_are_kept() -> None:
    report = run([rec("?!?")] * 30 + [rec("a real question")])
    assert report.records == 1
    assert report.malformed_count == 30
    assert [m.line for m in report.malformed] == list(range(1, 21))


def test_cli_html_without_matplotlib_fails_before_the_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps(rec("hello")) + "\n")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    import semroute.analysis.analyze as module

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the replay ran")

    monkeypatch.setattr(module, "analyze", never)
    parser = argparse.ArgumentParser(prog="semroute")
    register(parser.add_subparsers())
    args = parser.parse_args(["analyze", str(log), "--html", str(tmp_path / "r.html")])
    with pytest.raises(ConfigError, match=r"semroute\[report\]"):
        args.handler(args)
    assert not (tmp_path / "r.html").exists()


def test_cli_without_rich_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps(rec("hello")) + "\n")
    for name in ("rich", "rich.console", "rich.progress"):
        monkeypatch.setitem(sys.modules, name, None)
    parser = argparse.ArgumentParser(prog="semroute")
    register(parser.add_subparsers())
    args = parser.parse_args(["analyze", str(log)])
    with pytest.raises(ConfigError, match=r"semroute\[report\]"):
        args.handler(args)
