"""One self-contained HTML page for an ``AnalysisReport``, plots as inline SVG.

A report from a ledger (``report.measured`` set) gets measured wording, an outcome
table and per-tag tables; everything else is drawn the same way for both sources.

matplotlib is optional (the ``semroute[report]`` extra) and imported only here.
"""

from __future__ import annotations

import io
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from semroute.analysis.report import AnalysisReport, Measured
from semroute.errors import ConfigError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["check_available", "render_html", "write_html"]

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}
td,th{padding:.2rem .6rem;border-bottom:1px solid #ddd}
td.n,th.n{text-align:right}.big{font-size:1.2rem;font-weight:600}.dim{color:#777}
svg{max-width:100%;height:auto}
"""


def _figure() -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ConfigError(
            "the HTML report needs matplotlib: pip install 'semroute[report]'"
        ) from exc
    return Figure(figsize=(8, 3.2), layout="constrained")


def check_available() -> None:
    """Raise ``ConfigError`` naming the ``report`` extra when matplotlib is missing."""
    _figure()


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    # No date in the metadata: the same report renders to the same bytes.
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _hit_rate_plot(report: AnalysisReport) -> str:
    figure = _figure()
    axes = figure.add_subplot()
    buckets = report.cache.over_time
    xs = list(range(len(buckets)))
    exact = [100 * b.hits_exact / b.requests if b.requests else 0.0 for b in buckets]
    semantic = [100 * b.hits_semantic / b.requests if b.requests else 0.0 for b in buckets]
    axes.bar(xs, exact, label="exact", color="#4c72b0")
    axes.bar(xs, semantic, bottom=exact, label="semantic", color="#55a868")
    step = max(1, len(xs) // 10)
    axes.set_xticks(xs[::step], [b.label for b in buckets][::step], rotation=30, ha="right")
    axes.set_ylabel("hit rate (%)")
    axes.set_ylim(0, 100)
    threshold = report.cache.threshold
    axes.set_title(
        "Cache hit rate over time (as served)"
        if threshold is None
        else f"Cache hit rate as it warms (threshold {threshold:.2f})"
    )
    axes.legend(loc="upper left")
    return _svg(figure)


def _cost_over_time_plot(report: AnalysisReport) -> str:
    figure = _figure()
    axes = figure.add_subplot()
    buckets = report.cache.over_time
    xs = list(range(len(buckets)))
    before = "without semroute" if report.measured is not None else "as logged"
    axes.plot(xs, [b.cost_before for b in buckets], marker="o", color="#999999", label=before)
    axes.plot(
        xs, [b.cost_after for b in buckets], marker="o", color="#55a868", label="with semroute"
    )
    step = max(1, len(xs) // 10)
    axes.set_xticks(xs[::step], [b.label for b in buckets][::step], rotation=30, ha="right")
    axes.set_ylabel("US$ per bucket")
    axes.set_title("Cost over time: cache, routing and pruning together")
    axes.set_ylim(0, 1.3 * max((b.cost_before for b in buckets), default=0.0) or 1.0)
    axes.legend(loc="upper right", ncols=2)
    return _svg(figure)


def _cost_plot(report: AnalysisReport) -> str:
    figure = _figure()
    axes = figure.add_subplot()
    t = report.totals
    first = "without semroute" if report.measured is not None else "as logged"
    labels = [first, "cache", "routing", "pruning", "all three"]
    values = [
        t.bill_before,
        t.bill_before - report.cache.default.dollars_saved,
        report.routing.bill_after,
        t.bill_before - report.pruning.dollars_saved,
        t.bill_after,
    ]
    colors = ["#999999", "#4c72b0", "#dd8452", "#8172b3", "#55a868"]
    bars = axes.bar(labels, values, color=colors)
    axes.bar_label(bars, labels=[f"${v:,.2f}" for v in values])
    axes.set_ylabel("US$ over the ledger" if report.measured is not None else "US$ over the log")
    axes.set_title("Bill before and after, per lever and together")
    axes.margins(y=0.15)
    return _svg(figure)


def _row(cells: list[Any], numeric_from: int = 1) -> str:
    tds = "".join(
        f'<td class="n">{escape(str(c))}</td>'
        if i >= numeric_from
        else f"<td>{escape(str(c))}</td>"
        for i, c in enumerate(cells)
    )
    return f"<tr>{tds}</tr>"


def _measured_html(measured: Measured) -> list[str]:
    parts = ["<h2>Calls by cache outcome</h2><table>"]
    parts.append(
        "<tr><th>outcome</th><th class=n>calls</th><th class=n>paid</th><th class=n>saved</th></tr>"
    )
    for o in measured.outcomes:
        parts.append(_row([o.outcome, f"{o.calls:,}", f"${o.cost:,.4f}", f"${o.saved:,.4f}"]))
    parts.append("</table>")
    if measured.bypass_reasons:
        reasons = ", ".join(f"{r} ({n:,})" for r, n in measured.bypass_reasons)
        parts.append(f"<p>Bypassed: {escape(reasons)}</p>")
    if measured.unpriced_calls:
        parts.append(
            f"<p>{measured.unpriced_calls:,} calls have no known price: they are left out "
            "of the sums, not counted as free.</p>"
        )
    return parts


def _groups_html(measured: Measured) -> list[str]:
    parts = []
    for group in measured.groups:
        parts.append(f"<h2>By {escape(group.by)}</h2><table>")
        parts.append(
            f"<tr><th>{escape(group.by)}</th><th class=n>calls</th><th class=n>hit rate</th>"
            "<th class=n>paid</th><th class=n>saved</th><th class=n>unpriced</th></tr>"
        )
        for r in group.rows:
            parts.append(
                _row(
                    [
                        r.key,
                        f"{r.calls:,}",
                        f"{100 * r.hit_rate:.1f}%",
                        f"${r.cost:,.4f}",
                        f"${r.saved:,.4f}",
                        r.unpriced,
                    ]
                )
            )
        parts.append("</table>")
    return parts


def _opening(report: AnalysisReport) -> list[str]:
    if report.measured is None:
        return [
            "<!doctype html><html lang=en><meta charset=utf-8>",
            f"<title>semroute analyze: {escape(report.source)}</title><style>{_CSS}</style>",
            f"<h1>What semroute would save on {escape(report.source)}</h1>",
            f"<p>{report.records:,} calls replayed, "
            f"{report.malformed_count:,} malformed lines skipped.",
        ]
    return [
        "<!doctype html><html lang=en><meta charset=utf-8>",
        f"<title>semroute report: {escape(report.source)}</title><style>{_CSS}</style>",
        f"<h1>What semroute saved, from the ledger {escape(report.source)}</h1>",
        f"<p>{report.records:,} calls recorded.",
    ]


def render_html(report: AnalysisReport) -> str:
    """The report as one HTML document (no external resources)."""
    t = report.totals
    parts = _opening(report)
    if report.first_ts and report.last_ts:
        parts.append(
            f" From {report.first_ts:%Y-%m-%d %H:%M} to {report.last_ts:%Y-%m-%d %H:%M} UTC."
        )
    parts.append(
        f'</p><p class="big">Bill ${t.bill_before:,.2f} → ${t.bill_after:,.2f}: '
        f"saved ${t.saved:,.2f} ({100 * t.saved_share:.1f}%)</p>"
    )
    if t.projected_monthly_saving is not None and t.projected_monthly_bill is not None:
        parts.append(
            f'<p class="big">Projected per 30 days: bill ${t.projected_monthly_bill:,.2f}, '
            f"saving ${t.projected_monthly_saving:,.2f}</p>"
        )
    if report.measured is not None:
        parts += _measured_html(report.measured)
    parts.append(_cost_plot(report))
    if report.cache.over_time:
        parts.append(_cost_over_time_plot(report))
    if report.cache.over_time:
        parts.append("<h2>Semantic cache</h2>" + _hit_rate_plot(report))
    parts.append(
        "<table><tr><th>threshold</th><th class=n>exact hits</th><th class=n>semantic hits</th>"
        "<th class=n>hit rate</th><th class=n>$ saved</th></tr>"
    )
    for row in report.cache.thresholds:
        parts.append(
            _row(
                [
                    "as served" if row.threshold is None else f"{row.threshold:.2f}",
                    row.hits_exact,
                    row.hits_semantic,
                    f"{100 * row.hit_rate:.1f}%",
                    f"{row.dollars_saved:,.4f}",
                ]
            )
        )
    parts.append("</table><h2>Top repeated intents</h2><table>")
    parts.append("<tr><th>cached query</th><th class=n>hits</th><th>also asked as</th></tr>")
    for intent in report.cache.top_intents:
        parts.append(
            f"<tr><td>{escape(intent.query)}</td><td class=n>{intent.hits:,}</td>"
            f"<td>{escape(' | '.join(intent.examples))}</td></tr>"
        )
    parts.append("</table><h2>Routing</h2><table>")
    parts.append(
        "<tr><th>tier</th><th class=n>calls</th><th class=n>share</th><th class=n>cost</th>"
    )
    for tier in report.routing.tiers:
        parts.append(
            _row([tier.model, f"{tier.calls:,}", f"{100 * tier.share:.1f}%", f"${tier.cost:,.4f}"])
        )
    p = report.pruning
    parts.append(
        f"</table><h2>Pruning</h2><p>{p.records_with_context:,} calls with context at ratio "
        f"{p.ratio:g}: context tokens {p.tokens_before:,} → {p.tokens_after:,}, "
        f"saved ${p.dollars_saved:,.4f}.</p>"
    )
    if p.errors:
        parts.append(
            f"<p>The pruner failed on {p.errors:,} contexts (billed unpruned); first at "
            f"{escape(p.first_error or '')}.</p>"
        )
    if report.malformed:
        parts.append("<h2>Malformed lines</h2><ul>")
        parts += [f"<li>line {m.line}: {escape(m.reason)}</li>" for m in report.malformed]
        parts.append("</ul>")
    if report.measured is not None:
        parts += _groups_html(report.measured)
    command = "report" if report.measured is not None else "analyze"
    parts.append(f'<p class="dim">Generated by semroute {command}.</p></html>\n')
    return "\n".join(parts)


def write_html(report: AnalysisReport, path: str | Path) -> None:
    """Write ``render_html(report)`` to ``path``."""
    Path(path).write_text(render_html(report), encoding="utf-8")
