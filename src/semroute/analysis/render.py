"""The terminal summary of an ``AnalysisReport``, drawn with rich tables.

The same tables serve ``semroute analyze`` (a replayed estimate) and ``semroute
report`` (measured from a ledger: ``report.measured`` is set); the titles say which.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from semroute.analysis.report import AnalysisReport, Measured

__all__ = ["print_summary"]

_BAR = 20
_EXAMPLES_SHOWN = 2  # the terminal is narrow; the JSON and HTML reports carry them all


def _usd(value: float) -> str:
    return f"${value:,.2f}" if abs(value) >= 100 else f"${value:,.4f}"


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _short(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _threshold(value: float | None) -> str:
    return "as served" if value is None else f"{value:.2f}"


def _header(report: AnalysisReport) -> Text:
    if report.measured is not None:
        return _measured_header(report, report.measured)
    line = Text(f"semroute analyze: {report.source}\n", style="bold")
    span = ""
    if report.first_ts is not None and report.last_ts is not None:
        days = report.totals.span_days or 0.0
        span = (
            f" · {report.first_ts:%Y-%m-%d %H:%M} → {report.last_ts:%Y-%m-%d %H:%M}"
            f" ({days:.1f} days)"
        )
    line.append(
        f"{report.records:,} records replayed · {report.malformed_count:,} malformed{span} · "
        f"bill as logged {_usd(report.totals.bill_before)}"
    )
    if report.costs_estimated:
        line.append(f" ({report.costs_estimated:,} costs estimated from tokens)", style="dim")
    return line


def _measured_header(report: AnalysisReport, measured: Measured) -> Text:
    line = Text(f"semroute report: {report.source}\n", style="bold")
    span = ""
    if report.first_ts is not None and report.last_ts is not None:
        span = f" · {report.first_ts:%Y-%m-%d %H:%M} → {report.last_ts:%Y-%m-%d %H:%M}"
    since = "" if measured.since is None else f" since {measured.since:%Y-%m-%d %H:%M}"
    t = report.totals
    line.append(
        f"{report.records:,} calls recorded{since}{span} · paid {_usd(t.bill_after)} · "
        f"saved {_usd(t.saved)}"
    )
    if measured.unpriced_calls:
        line.append(
            f"\n{measured.unpriced_calls:,} calls have no known price: left out of the sums",
            style="yellow",
        )
    if report.costs_estimated:
        line.append(f" ({report.costs_estimated:,} token counts estimated)", style="dim")
    return line


def _outcome_table(measured: Measured) -> Table:
    table = Table(title="Calls by cache outcome", title_justify="left")
    table.add_column("outcome")
    for name in ("calls", "paid", "saved"):
        table.add_column(name, justify="right")
    for row in measured.outcomes:
        table.add_row(row.outcome, f"{row.calls:,}", _usd(row.cost), _usd(row.saved))
    if measured.bypass_reasons:
        table.caption = "bypassed: " + ", ".join(f"{r} ({n:,})" for r, n in measured.bypass_reasons)
    return table


def _group_tables(measured: Measured) -> list[Table]:
    tables = []
    for group in measured.groups:
        table = Table(title=f"By {group.by}", title_justify="left")
        table.add_column(group.by)
        for name in ("calls", "hit rate", "paid", "saved", "unpriced"):
            table.add_column(name, justify="right")
        for row in group.rows:
            table.add_row(
                _short(row.key, 40),
                f"{row.calls:,}",
                _pct(row.hit_rate),
                _usd(row.cost),
                _usd(row.saved),
                f"{row.unpriced:,}" if row.unpriced else "",
            )
        tables.append(table)
    return tables


def _cache_table(report: AnalysisReport) -> Table:
    measured = report.cache.threshold is None
    title = "Semantic cache (as served)" if measured else "Semantic cache (replayed in memory)"
    table = Table(title=title, title_justify="left")
    for name in ("threshold", "exact hits", "semantic hits", "hit rate", "calls saved", "saved"):
        table.add_column(name, justify="right")
    if not measured:
        table.caption = "* the operating threshold: it drives the time series and the totals"
    for row in report.cache.thresholds:
        mark = " *" if row.threshold == report.cache.threshold and not measured else ""
        table.add_row(
            f"{_threshold(row.threshold)}{mark}",
            f"{row.hits_exact:,}",
            f"{row.hits_semantic:,}",
            _pct(row.hit_rate),
            f"{row.calls_saved:,}",
            _usd(row.dollars_saved),
            style="bold" if mark else None,
        )
    return table


def _time_table(report: AnalysisReport) -> Table:
    title = (
        "Hit rate over time"
        if report.cache.threshold is None
        else f"Hit rate as the cache warms (threshold {report.cache.threshold:.2f})"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("from")
    for name in ("requests", "exact", "semantic", "hit rate"):
        table.add_column(name, justify="right")
    table.add_column("")
    for bucket in report.cache.over_time:
        bar = "█" * round(_BAR * bucket.hit_rate)
        table.add_row(
            bucket.label,
            f"{bucket.requests:,}",
            f"{bucket.hits_exact:,}",
            f"{bucket.hits_semantic:,}",
            _pct(bucket.hit_rate),
            Text(bar, style="green"),
        )
    return table


def _intent_table(report: AnalysisReport) -> Table:
    table = Table(
        title="Top repeated intents (by the cache entry that served them)", title_justify="left"
    )
    table.add_column("cached query")
    if any(i.namespace for i in report.cache.top_intents):
        table.add_column("namespace")
    table.add_column("hits", justify="right")
    table.add_column("saved", justify="right")
    table.add_column("also asked as")
    for intent in report.cache.top_intents:
        cells = [_short(intent.query, 48)]
        if len(table.columns) == 5:
            cells.append(intent.namespace or "")
        cells += [
            f"{intent.hits:,}",
            _usd(intent.dollars_saved),
            "\n".join(_short(e, 48) for e in intent.examples[:_EXAMPLES_SHOWN]),
        ]
        table.add_row(*cells)
    return table


def _routing_table(report: AnalysisReport) -> Table:
    routing = report.routing
    title = (
        "Routing (calls that reached a provider)"
        if report.measured is not None
        else "Routing (every call, cache aside)"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("tier")
    for name in ("calls", "share", "cost"):
        table.add_column(name, justify="right")
    for tier in routing.tiers:
        table.add_row(tier.model, f"{tier.calls:,}", _pct(tier.share), _usd(tier.cost))
    table.caption = (
        f"bill {_usd(routing.bill_before)} → {_usd(routing.bill_after)}, "
        f"saved {_usd(routing.saved)}"
    )
    return table


def _pruning_text(report: AnalysisReport) -> Text:
    p = report.pruning
    if not p.records_with_context:
        return Text("Pruning: no record carries a context; nothing to prune.", style="dim")
    share = p.tokens_saved / p.tokens_before if p.tokens_before else 0.0
    if report.measured is not None:
        return Text(
            f"Pruning: {p.records_with_context:,} calls pruned, input tokens "
            f"{p.tokens_before:,} → {p.tokens_after:,} ({_pct(share)} fewer), "
            f"saved {_usd(p.dollars_saved)}"
        )
    text = Text(
        f"Pruning at ratio {p.ratio:g}: {p.records_with_context:,} calls with context, "
        f"context tokens {p.tokens_before:,} → {p.tokens_after:,} ({_pct(share)} fewer), "
        f"saved {_usd(p.dollars_saved)}"
    )
    if p.errors:
        text.append(
            f"\nThe pruner failed on {p.errors:,} contexts (billed unpruned); "
            f"first at {p.first_error}",
            style="yellow",
        )
    return text


def _totals_text(report: AnalysisReport) -> Text:
    t = report.totals
    bill = "bill without semroute" if report.measured is not None else "bill"
    text = Text(
        f"All three together: {bill} {_usd(t.bill_before)} → {_usd(t.bill_after)}, "
        f"saved {_usd(t.saved)} ({_pct(t.saved_share)})",
        style="bold",
    )
    if t.projected_monthly_saving is not None and t.projected_monthly_bill is not None:
        text.append(
            f"\nProjected per 30 days: bill {_usd(t.projected_monthly_bill)}, "
            f"saving {_usd(t.projected_monthly_saving)}",
            style="bold green",
        )
    elif report.measured is None:
        text.append("\nNo time stamps in the log: no monthly projection.", style="dim")
    return text


def _malformed_text(report: AnalysisReport) -> Text | None:
    if not report.malformed_count:
        return None
    shown = ", ".join(f"line {m.line}: {m.reason}" for m in report.malformed[:5])
    more = report.malformed_count - min(5, len(report.malformed))
    tail = f" and {more:,} more" if more > 0 else ""
    return Text(
        f"Skipped {report.malformed_count:,} malformed lines: {shown}{tail}", style="yellow"
    )


def print_summary(report: AnalysisReport, console: Console | None = None) -> None:
    """Print the human summary of ``report`` (to stdout unless a console is given)."""
    console = console or Console()
    parts: list[Text | Table] = [_header(report)]
    if report.measured is not None:
        parts.append(_outcome_table(report.measured))
    parts.append(_cache_table(report))
    if report.cache.over_time:
        parts.append(_time_table(report))
    if report.cache.top_intents:
        parts.append(_intent_table(report))
    parts += [_routing_table(report), _pruning_text(report), _totals_text(report)]
    if report.measured is not None:
        parts += _group_tables(report.measured)
    malformed = _malformed_text(report)
    if malformed is not None:
        parts.append(malformed)
    console.print(Group(*parts))
