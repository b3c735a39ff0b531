"""``semroute report``: the analyze report model filled from a recorded ledger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from semroute._cli import main
from semroute.analysis.render import print_summary
from semroute.errors import ConfigError
from semroute.ledger import Ledger
from semroute.ledger._cli import parse_since
from semroute.ledger._report import ledger_report
from tests.call_infos import T0, info, routed

HOUR = 3600


def _record(ledger: Ledger) -> None:
    """Two days of calls: hits, misses, a routed+pruned miss, a bypass, an error, an unpriced one."""
    for day in range(2):
        base = T0 + day * 86400
        ledger.on_call(info("miss", at=base, tags={"feature": "support", "user": "u1"}))
        ledger.on_call(info("exact", at=base + HOUR, tags={"feature": "support", "user": "u2"}))
        ledger.on_call(
            info("semantic", at=base + 2 * HOUR, tags={"feature": "support", "user": "u1"})
        )
        ledger.on_call(routed(at=base + 3 * HOUR, tags={"feature": "search", "user": "u1"}))
        ledger.on_call(info("bypass", at=base + 4 * HOUR, tags={"feature": "search", "user": "u3"}))
        ledger.on_call(info("error", at=base + 5 * HOUR, tags={"feature": "search", "user": "u3"}))
        ledger.on_call(
            info(
                "miss",
                at=base + 6 * HOUR,
                cost_usd=None,
                model_used="house-model-7b",
                model_requested="house-model-7b",
                tags={"feature": "support", "user": "u2"},
            )
        )
    ledger.flush()


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    with Ledger(path, store_text=True) as ledger:
        _record(ledger)
    return path


def test_report_figures_from_a_ledger(recorded: Path) -> None:
    with Ledger(recorded) as ledger:
        report = ledger_report(ledger)
    assert report.records == 14
    assert report.measured is not None
    outcomes = {o.outcome: o.calls for o in report.measured.outcomes}
    assert outcomes == {"miss": 6, "exact": 2, "semantic": 2, "bypass": 2, "error": 2}
    assert report.measured.bypass_reasons == (("tool_calls", 2),)
    assert report.measured.unpriced_calls == 2 and report.measured.errors == 2
    cache = report.cache.default
    assert report.cache.threshold is None and cache.threshold is None
    assert (cache.hits_exact, cache.hits_semantic) == (2, 2)
    assert cache.hit_rate == pytest.approx(4 / 14)
    assert cache.dollars_saved == pytest.approx(4 * 0.0035)
    # Routing: the routed miss saved 0.0035 - 0.00021 each day; pruning 2,000 tokens at mini.
    assert report.routing.saved == pytest.approx(2 * (0.0035 - 0.00021))
    assert report.pruning.records_with_context == 2
    assert (report.pruning.tokens_before, report.pruning.tokens_after) == (6000, 2000)
    assert report.pruning.dollars_saved == pytest.approx(2 * 0.0003)
    paid = 2 * (0.0035 + 0.00021 + 0.0024)
    assert report.totals.bill_after == pytest.approx(paid)
    assert report.totals.saved == pytest.approx(4 * 0.0035 + 2 * (0.0035 - 0.00021) + 2 * 0.0003)
    assert report.totals.bill_before == pytest.approx(paid + report.totals.saved)
    assert report.totals.span_days == pytest.approx(1 + 6 / 24)
    tiers = {t.model: t.calls for t in report.routing.tiers}
    assert tiers == {"gpt-4o": 4, "gpt-4o-mini": 2, "house-model-7b": 2}


def test_hit_rate_over_time_and_intents(recorded: Path) -> None:
    with Ledger(recorded) as ledger:
        report = ledger_report(ledger)
    buckets = report.cache.over_time
    assert sum(b.requests for b in buckets) == 14
    assert sum(b.hits_exact + b.hits_semantic for b in buckets) == 4
    assert sum(b.cost_after for b in buckets) == pytest.approx(report.totals.bill_after)
    (intent,) = report.cache.top_intents
    assert (intent.query, intent.hits) == ("how do i reset my password", 4)
    assert intent.examples == ("How do I reset my password?",)


def test_intents_without_store_text_show_a_hash_not_text(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        _record(ledger)
        report = ledger_report(ledger)
    (intent,) = report.cache.top_intents
    assert intent.query.startswith("(text not stored) intent ") and "password" not in intent.query


def test_per_tag_tables(recorded: Path) -> None:
    with Ledger(recorded) as ledger:
        report = ledger_report(ledger)
        only_user = ledger_report(ledger, by=["user"])
    assert report.measured is not None and only_user.measured is not None
    assert [g.by for g in report.measured.groups] == ["feature", "user", "model"]
    feature = {r.key: r for r in report.measured.groups[0].rows}
    assert (feature["support"].calls, feature["support"].hits, feature["support"].unpriced) == (
        8,
        4,
        2,
    )
    assert feature["support"].hit_rate == pytest.approx(0.5)
    assert feature["search"].cost == pytest.approx(2 * (0.00021 + 0.0024))
    assert [g.by for g in only_user.measured.groups] == ["user"]
    users = {r.key: r.calls for r in only_user.measured.groups[0].rows}
    assert users == {"u1": 6, "u2": 4, "u3": 4}


def test_since_limits_the_window(recorded: Path) -> None:
    with Ledger(recorded) as ledger:
        report = ledger_report(ledger, since=T0 + 86400)
    assert report.records == 7


def test_empty_ledger_reports_zeroes(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        report = ledger_report(ledger)
    assert report.records == 0 and report.cache.over_time == () and report.totals.saved == 0.0
    console = Console(record=True, width=120)
    print_summary(report, console)
    assert "0 calls recorded" in console.export_text()


def test_json_form_names_its_schema(recorded: Path) -> None:
    with Ledger(recorded) as ledger:
        body = ledger_report(ledger).to_dict()
    assert body["schema"] == "semroute.report" and body["version"] == 1
    assert body["cache"]["threshold"] is None
    assert body["measured"]["groups"][0]["rows"][0]["hit_rate"] == pytest.approx(0.5)
    json.dumps(body)  # plain JSON, no NaN or datetimes left


def test_terminal_summary_uses_the_analyze_renderer(recorded: Path) -> None:
    console = Console(record=True, width=140)
    with Ledger(recorded) as ledger:
        print_summary(ledger_report(ledger), console)
    text = console.export_text()
    for expected in (
        "semroute report:",
        "Calls by cache outcome",
        "Semantic cache (as served)",
        "Hit rate over time",
        "Routing (calls that reached a provider)",
        "Pruning: 2 calls pruned",
        "bill without semroute",
        "By feature",
        "By user",
        "2 calls have no known price",
    ):
        assert expected in text, expected


def test_cli_writes_json_and_html(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json, out_html = tmp_path / "r.json", tmp_path / "r.html"
    code = main(
        [
            "report",
            str(recorded),
            "--by",
            "feature",
            "--json",
            str(out_json),
            "--html",
            str(out_html),
        ]
    )
    assert code == 0
    assert "By feature" in capsys.readouterr().out
    body = json.loads(out_json.read_text())
    assert body["records"] == 14 and [g["by"] for g in body["measured"]["groups"]] == ["feature"]
    html = out_html.read_text()
    assert "What semroute saved, from the ledger" in html
    assert (
        "<h2>By feature</h2>" in html and "<svg" in html and "Generated by semroute report" in html
    )


def test_cli_since_and_url(recorded: Path, tmp_path: Path) -> None:
    out_json = tmp_path / "r.json"
    assert (
        main(["report", f"sqlite:///{recorded}", "--since", "1970-01-01", "--json", str(out_json)])
        == 0
    )
    assert json.loads(out_json.read_text())["records"] == 14
    assert main(["report", str(recorded), "--since", "1d", "--json", str(out_json)]) == 0
    assert json.loads(out_json.read_text())["records"] == 0  # recorded in 2026-05, long ago


def test_cli_refuses_a_missing_ledger_without_creating_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path / "nope.db")]) == 1
    assert "no ledger" in capsys.readouterr().err
    assert not (tmp_path / "nope.db").exists()


def test_parse_since() -> None:
    assert parse_since("7d", now=10 * 86400.0) == 3 * 86400.0
    assert parse_since("12h", now=86400.0) == 43200.0
    assert parse_since("30m", now=3600.0) == 1800.0
    assert parse_since("2w", now=14 * 86400.0) == 0.0
    assert parse_since("2026-05-01T00:00:00+02:00") == parse_since("2026-04-30T22:00:00")
    with pytest.raises(ConfigError):
        parse_since("last tuesday")
