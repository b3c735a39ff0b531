"""``ledger_report``: the analyze report model, filled from what a ledger recorded.

Every figure is an SQL aggregate, so a report over millions of rows never loads
them. Savings per lever come from the row's split (cache, routing, pruning);
"bill before" is what was paid plus what was saved. Calls whose cost is unknown
(no price for their model) are counted apart, never as free.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from semroute.analysis.replay import _BUCKET_WIDTHS_H, _MAX_BUCKETS
from semroute.analysis.report import (
    AnalysisReport,
    CacheResult,
    GroupRow,
    GroupTable,
    Intent,
    Measured,
    OutcomeCount,
    PruningResult,
    RoutingResult,
    ThresholdResult,
    TierShare,
    TimeBucket,
    Totals,
)
from semroute.errors import ConfigError
from semroute.ledger._ledger import Ledger

__all__ = ["ledger_report"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_HIT = "outcome IN ('exact', 'semantic')"
_PAID = "outcome IN ('miss', 'bypass')"  # reached the provider and got an answer


def _ts(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=timezone.utc)


class _Query:
    """The ledger with one ``WHERE`` (time window) applied to every aggregate."""

    def __init__(self, ledger: Ledger, since: float | None, until: float | None) -> None:
        self.ledger = ledger
        self.where = "1"
        self.params: list[Any] = []
        if since is not None:
            self.where += " AND ts >= ?"
            self.params.append(since)
        if until is not None:
            self.where += " AND ts < ?"
            self.params.append(until)

    def rows(
        self,
        select: str,
        tail: str = "",
        *,
        select_params: Sequence[Any] = (),
        tail_params: Sequence[Any] = (),
        source: str = "calls",
    ) -> list[tuple[Any, ...]]:
        """``SELECT select FROM source WHERE <window> tail``, parameters in that order."""
        sql = f"SELECT {select} FROM {source} WHERE {self.where} {tail}"
        return self.ledger.query(sql, [*select_params, *self.params, *tail_params])

    def one(self, select: str) -> tuple[Any, ...]:
        return self.rows(select)[0]


def _buckets(q: _Query) -> tuple[TimeBucket, ...]:
    hourly = q.rows(
        "CAST(ts / 3600 AS INTEGER) AS h, COUNT(*), SUM(outcome = 'exact'), "
        "SUM(outcome = 'semantic'), COALESCE(SUM(cost_usd), 0), "
        "COALESCE(SUM(saved_cache_usd), 0) + COALESCE(SUM(saved_route_usd), 0) "
        "+ COALESCE(SUM(saved_prune_usd), 0)",
        "GROUP BY h ORDER BY h",
    )
    if not hourly:
        return ()
    first, last = hourly[0][0], hourly[-1][0]
    width = next(
        (w for w in _BUCKET_WIDTHS_H if (last - first) // w < _MAX_BUCKETS), _BUCKET_WIDTHS_H[-1]
    )
    merged: dict[int, list[float]] = {}
    for hour, calls, exact, semantic, cost, saved in hourly:
        acc = merged.setdefault((hour - first) // width, [0, 0, 0, 0.0, 0.0])
        for i, value in enumerate((calls, exact, semantic, cost + saved, cost)):
            acc[i] += value
    out = []
    for index in sorted(merged):
        start = _EPOCH + timedelta(hours=first + index * width)
        calls, exact, semantic, before, after = merged[index]
        out.append(
            TimeBucket(
                label=start.strftime("%Y-%m-%d" if width >= 24 else "%Y-%m-%d %H:00"),
                start=start,
                requests=int(calls),
                hits_exact=int(exact),
                hits_semantic=int(semantic),
                cost_before=before,
                cost_after=after,
            )
        )
    return tuple(out)


def _intents(q: _Query, top: int) -> tuple[Intent, ...]:
    rows = q.rows(
        "intent, namespace, COUNT(*), COALESCE(SUM(saved_cache_usd), 0), MAX(matched_query)",
        f"AND intent IS NOT NULL AND {_HIT} GROUP BY intent, namespace "
        "ORDER BY COUNT(*) DESC, intent LIMIT ?",
        tail_params=[top],
    )
    intents = []
    for intent, namespace, hits, saved, matched in rows:
        asked = q.rows(
            "DISTINCT query", "AND intent = ? AND query IS NOT NULL LIMIT 5", tail_params=[intent]
        )
        examples = tuple(a for (a,) in asked if a != matched)
        # Without store_text only the hash is known: say so rather than show nothing.
        label = matched if matched else f"(text not stored) intent {intent}"
        intents.append(Intent(label, namespace, int(hits), float(saved), examples))
    return tuple(intents)


def _groups(q: _Query, by: Sequence[str] | None) -> tuple[GroupTable, ...]:
    if by is None:
        keys = q.rows("DISTINCT j.key", "ORDER BY 1", source="calls, json_each(calls.tags) AS j")
        by = [*(k for (k,) in keys), "model"]
    tables = []
    for name in by:
        if name == "model":
            key_sql, extra = "COALESCE(model_used, model_requested)", []
        else:
            if not name or '"' in name:
                raise ConfigError(f"--by takes a tag name or 'model', got {name!r}")
            key_sql, extra = "COALESCE(json_extract(tags, ?), '(none)')", [f'$."{name}"']
        rows = q.rows(
            f"{key_sql} AS k, COUNT(*), SUM({_HIT}), COALESCE(SUM(cost_usd), 0), "
            "COALESCE(SUM(saved_usd), 0), SUM(cost_usd IS NULL AND outcome != 'error')",
            "GROUP BY k ORDER BY 4 DESC, 2 DESC, k",
            select_params=extra,
        )
        tables.append(
            GroupTable(
                by=name,
                rows=tuple(
                    GroupRow(str(k), int(n), int(h), float(c), float(s), int(u))
                    for k, n, h, c, s, u in rows
                ),
            )
        )
    return tuple(tables)


def ledger_report(
    ledger: Ledger,
    *,
    since: float | None = None,
    until: float | None = None,
    by: Sequence[str] | None = None,
    top_intents: int = 10,
) -> AnalysisReport:
    """What semroute did and saved on the calls a ledger recorded in ``[since, until)``.

    ``by`` names the per-tag tables (tag names, or ``"model"``); default: every
    tag name found, then the model.

    >>> with Ledger("memory://") as ledger:
    ...     _ = ledger.record(model="gpt-4o-mini", input_tokens=1000, output_tokens=100)
    ...     _ = ledger.record(model="gpt-4o-mini", outcome="exact", saved_usd=0.0002)
    ...     ledger.flush()
    ...     report = ledger_report(ledger)
    >>> report.records, report.cache.default.hits_exact, round(report.totals.saved, 6)
    (2, 1, 0.0002)
    """
    q = _Query(ledger, since, until)
    (calls, paid, s_cache, s_route, s_prune, first, last, estimated, unpriced, errors) = q.one(
        "COUNT(*), COALESCE(SUM(cost_usd), 0), COALESCE(SUM(saved_cache_usd), 0), "
        "COALESCE(SUM(saved_route_usd), 0), COALESCE(SUM(saved_prune_usd), 0), MIN(ts), "
        "MAX(ts), COALESCE(SUM(tokens_estimated), 0), "
        "COALESCE(SUM(cost_usd IS NULL AND outcome != 'error'), 0), "
        "COALESCE(SUM(outcome = 'error'), 0)"
    )
    outcomes = tuple(
        OutcomeCount(str(o), int(n), float(c), float(s))
        for o, n, c, s in q.rows(
            "outcome, COUNT(*), COALESCE(SUM(cost_usd), 0), COALESCE(SUM(saved_usd), 0)",
            "GROUP BY outcome ORDER BY 2 DESC",
        )
    )
    count = {o.outcome: o.calls for o in outcomes}
    hits_exact, hits_semantic = count.get("exact", 0), count.get("semantic", 0)
    cache_row = ThresholdResult(
        threshold=None,
        hits_exact=hits_exact,
        hits_semantic=hits_semantic,
        hit_rate=(hits_exact + hits_semantic) / calls if calls else 0.0,
        calls_saved=hits_exact + hits_semantic,
        dollars_saved=float(s_cache),
    )
    tier_rows = q.rows(
        "COALESCE(model_used, model_requested), COUNT(*), COALESCE(SUM(cost_usd), 0)",
        f"AND {_PAID} GROUP BY 1 ORDER BY 2 DESC, 1",
    )
    reached = sum(n for _, n, _ in tier_rows)
    routed_cost = sum(c for _, _, c in tier_rows)
    tiers = tuple(
        TierShare(str(m), int(n), n / reached if reached else 0.0, float(c))
        for m, n, c in tier_rows
    )
    pruned_calls, tok_before, tok_after = q.rows(
        "COUNT(*), COALESCE(SUM(COALESCE(input_tokens, 0) + pruned_tokens), 0), "
        "COALESCE(SUM(COALESCE(input_tokens, 0)), 0)",
        "AND pruned_tokens > 0",
    )[0]
    saved = float(s_cache + s_route + s_prune)
    bill_before = float(paid) + saved
    span_days = None if first is None else (last - first) / 86400
    monthly_bill = monthly_saving = None
    if span_days:
        monthly_bill, monthly_saving = bill_before * 30 / span_days, saved * 30 / span_days
    reasons = q.rows(
        "COALESCE(reason, '(none)'), COUNT(*)",
        "AND outcome = 'bypass' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10",
    )
    return AnalysisReport(
        source=ledger.url,
        records=int(calls),
        malformed_count=0,
        malformed=(),
        costs_estimated=int(estimated),
        first_ts=_ts(first),
        last_ts=_ts(last),
        cache=CacheResult(
            threshold=None,
            thresholds=(cache_row,),
            over_time=_buckets(q),
            top_intents=_intents(q, top_intents),
        ),
        routing=RoutingResult(
            tiers=tiers,
            bill_before=float(routed_cost + s_route),
            bill_after=float(routed_cost),
            saved=float(s_route),
        ),
        pruning=PruningResult(
            ratio=tok_after / tok_before if tok_before else 1.0,
            records_with_context=int(pruned_calls),
            tokens_before=int(tok_before),
            tokens_after=int(tok_after),
            dollars_saved=float(s_prune),
        ),
        totals=Totals(
            bill_before=bill_before,
            bill_after=float(paid),
            saved=saved,
            saved_share=saved / bill_before if bill_before else 0.0,
            span_days=span_days,
            projected_monthly_bill=monthly_bill,
            projected_monthly_saving=monthly_saving,
        ),
        measured=Measured(
            since=_ts(since),
            outcomes=outcomes,
            bypass_reasons=tuple((str(r), int(n)) for r, n in reasons),
            groups=_groups(q, by),
            unpriced_calls=int(unpriced),
            errors=int(errors),
        ),
    )
