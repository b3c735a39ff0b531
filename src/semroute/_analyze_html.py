"""One self-contained HTML page for an ``AnalysisReport``, plots as inline SVG.

matplotlib is optional (the ``semroute[report]`` extra) and imported only here.
"""

from __future__ import annotations

import io
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from semroute._analyze_report import AnalysisReport
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
    axes.set_title(f"Cache hit rate as it warms (threshold {report.cache.threshold:.2f})")
    axes.legend(loc="upper left")
    return _svg(figure)


def _cost_over_time_plot(report: AnalysisReport) -> str:
    figure = _figure()
    axes = figure.add_subplot()
    buckets = report.cache.over_time
    xs = list(range(len(buckets)))
    axes.plot(xs, [b.cost_before for b in buckets], marker="o", color="#999999", label="as logged")
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
    labels = ["as logged", "cache", "routing", "pruning", "all three"]
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
    axes.set_ylabel("US$ over the log")
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


def render_html(report: AnalysisReport) -> str:
    """The report as one HTML document (no external resources)."""
    t = report.totals
    parts = [
        "<!doctype html><html lang=en><meta charset=utf-8>",
        f"<title>semroute analyze: {escape(report.source)}</title><style>{_CSS}</style>",
        f"<h1>What semroute would save on {escape(report.source)}</h1>",
        f"<p>{report.records:,} calls replayed, "
        f"{report.malformed_count:,} malformed lines skipped.",
    ]
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
                    f"{row.threshold:.2f}",
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
    parts.append('<p class="dim">Generated by semroute analyze.</p></html>\n')
    return "\n".join(parts)


def write_html(report: AnalysisReport, path: str | Path) -> None:
    """Write ``render_html(report)`` to ``path``."""
    Path(path).write_text(render_html(report), encoding="utf-8")
