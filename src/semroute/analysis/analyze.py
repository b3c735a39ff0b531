"""``semroute.analyze``: what would caching, routing and pruning save on my traffic?

Replays an LLM call log (JSON lines, CSV or stdin) through in-memory semantic
caches at several thresholds, the router and the pruner, and reports the hit
rate as the cache warms, the repeated intents, the routing shares, the bill
before and after, and a monthly projection. ``register`` adds the CLI's
``semroute analyze`` sub-command.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semroute._types import TextEncoder
from semroute.analysis.cost import Price, PriceTable, load_prices
from semroute.analysis.log import LogReader, Malformed
from semroute.analysis.replay import Replay, ReplaySettings
from semroute.analysis.report import AnalysisReport
from semroute.errors import ConfigError, InputError

__all__ = ["DEFAULT_THRESHOLDS", "AnalyzeOptions", "Progress", "analyze", "register"]

DEFAULT_THRESHOLDS = (0.90, 0.92, 0.95, 0.97)
_NAMESPACE_FIELDS = ("feature", "user", "model")


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a running analysis is: records replayed, bytes read of ``bytes_total``."""

    records: int
    bytes_read: int
    bytes_total: int | None


@dataclass(frozen=True, slots=True)
class AnalyzeOptions:
    """How to replay a log; validated on creation.

    ``threshold`` is the cache's operating point (it drives the combined bill and
    the time series) and is always among ``thresholds``. ``max_entries`` caps each
    replay cache, as a production cache would be capped.
    """

    threshold: float = 0.95
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    prune_ratio: float = 0.5
    namespace_by: str | None = None
    limit: int | None = None
    max_entries: int = 100_000
    top_intents: int = 10

    def __post_init__(self) -> None:
        for value in (self.threshold, *self.thresholds):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"thresholds are cosines in [-1, 1], got {value!r}")
            if not -1.0 <= value <= 1.0:
                raise ConfigError(f"thresholds are cosines in [-1, 1], got {value!r}")
        merged = tuple(sorted({float(t) for t in (*self.thresholds, self.threshold)}))
        object.__setattr__(self, "thresholds", merged)
        object.__setattr__(self, "threshold", float(self.threshold))
        ratio = self.prune_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio <= 1:
            raise InputError(f"prune_ratio must be in (0, 1], got {ratio!r}")
        if self.namespace_by is not None and self.namespace_by not in _NAMESPACE_FIELDS:
            raise ConfigError(
                f"namespace_by must be one of {', '.join(_NAMESPACE_FIELDS)}, "
                f"got {self.namespace_by!r}"
            )
        for name in ("limit", "max_entries", "top_intents"):
            value = getattr(self, name)
            if value is None and name == "limit":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")


def _tiers_of(router: Any) -> PriceTable:
    """The price table a router bills with, read from its public ``tiers``."""
    return PriceTable(
        tuple(
            Price(str(t.model), float(t.input_per_mtok), float(t.output_per_mtok))
            for t in router.tiers
        )
    )


def _components(
    options: AnalyzeOptions,
    encoder: TextEncoder,
    router: Any,
    prices: PriceTable | None,
) -> tuple[list[Any], Any, Callable[..., Any], PriceTable]:
    from semroute.cache.cache import SemanticCache
    from semroute.pruning.prune import Pruner
    from semroute.router.router import Router, Tier

    if router is None:
        if prices is None:
            router = Router(encoder=encoder)
        else:
            tiers = [Tier(p.model, p.input_per_mtok, p.output_per_mtok) for p in prices.prices]
            router = Router(tiers=tiers, encoder=encoder)
    if prices is None:
        prices = _tiers_of(router)
    caches = [
        SemanticCache(threshold=t, max_entries=options.max_entries, encoder=encoder)
        for t in options.thresholds
    ]

    return caches, router, Pruner(encoder=encoder).prune, prices


def analyze(
    source: str | Path | Iterable[Mapping[str, Any]],
    *,
    threshold: float = 0.95,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    prune_ratio: float = 0.5,
    namespace_by: str | None = None,
    limit: int | None = None,
    max_entries: int = 100_000,
    prices: str | Path | Mapping[str, Any] | PriceTable | None = None,
    encoder: TextEncoder | None = None,
    router: Any = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> AnalysisReport:
    """Replay a call log through semroute and return what it would have saved.

    ``source`` is a ``.jsonl``/``.csv`` path, ``"-"`` for stdin, or an iterable of
    dicts with at least a ``query``. Costs come from each record's ``cost_usd``,
    else its tokens priced with ``prices`` (default: the router's tiers). One cache
    is replayed per value of ``thresholds`` (``threshold`` is added if missing and
    drives the totals). ``encoder`` and ``router`` default to the shipped encoder
    and ``Router()`` (with ``prices`` as its tiers when given). ``on_progress`` is
    called after every chunk of records.

    >>> log = [{"query": "How do I reset my password?", "cost_usd": 0.01}] * 3
    >>> report = analyze(log)
    >>> report.records, report.cache.default.calls_saved
    (3, 2)
    """
    options = AnalyzeOptions(
        threshold=threshold,
        thresholds=tuple(thresholds),
        prune_ratio=prune_ratio,
        namespace_by=namespace_by,
        limit=limit,
        max_entries=max_entries,
    )
    table = prices if isinstance(prices, PriceTable) or prices is None else load_prices(prices)
    reader = LogReader(source)
    if encoder is None:
        from semroute.encoder.encoder import default_encoder

        encoder = default_encoder()
    caches, router, pruner, table = _components(options, encoder, router, table)

    def chunk_done(records: int) -> None:
        if on_progress is not None:
            on_progress(Progress(records, reader.bytes_read, reader.bytes_total))

    replay = Replay(
        settings=ReplaySettings(
            thresholds=options.thresholds,
            threshold=options.threshold,
            prune_ratio=options.prune_ratio,
            namespace_by=options.namespace_by,
            limit=options.limit,
            top_intents=options.top_intents,
        ),
        encoder=encoder,
        caches=caches,
        router=router,
        pruner=pruner,
        prices=table,
        on_chunk=chunk_done,
    )
    replay.run(reader)
    rejected = [Malformed(line, reason) for line, reason in replay.rejected]
    malformed = sorted([*reader.malformed, *rejected], key=lambda m: m.line)
    return AnalysisReport(
        source=reader.label,
        records=replay.records,
        malformed_count=reader.malformed_count + replay.rejected_count,
        malformed=tuple(malformed[: reader.max_samples]),
        costs_estimated=replay.costs_estimated,
        first_ts=replay.first_ts,
        last_ts=replay.last_ts,
        cache=replay.cache_result(),
        routing=replay.routing_result(),
        pruning=replay.pruning_result(),
        totals=replay.totals(),
    )


# -- CLI ---------------------------------------------------------------------------------


def _ratio(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (0 < value <= 1 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def _cosine(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not -1 <= value <= 1:
        raise argparse.ArgumentTypeError(f"a cosine in [-1, 1], got {text}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def _encoder_for(threads: int | None) -> TextEncoder | None:
    """``None`` lets ``analyze`` take the shared default encoder when it needs one."""
    if threads is None:
        return None
    from semroute.encoder.encoder import Encoder

    return Encoder(threads=threads)


def _run(args: argparse.Namespace) -> int:
    try:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, TextColumn
        from rich.progress import Progress as Bar
    except ImportError as exc:
        raise ConfigError(
            "semroute analyze needs rich for its tables: pip install 'semroute[report]'"
        ) from exc

    from semroute.analysis.render import print_summary

    if args.html is not None:
        # Fail before a long replay, not after it.
        from semroute.analysis.html import check_available

        check_available()
    err = Console(stderr=True)
    show = not args.no_progress and err.is_terminal
    with Bar(
        TextColumn("replaying"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[records]:,} records"),
        console=err,
        disable=not show,
        transient=True,
    ) as bar:
        size = (
            None
            if args.log == "-" or not Path(args.log).is_file()
            else Path(args.log).stat().st_size
        )
        task = bar.add_task("replay", total=size, records=0)

        def tick(p: Progress) -> None:
            bar.update(task, completed=p.bytes_read, total=p.bytes_total, records=p.records)

        report = analyze(
            args.log,
            encoder=_encoder_for(args.threads),
            threshold=args.threshold,
            thresholds=args.thresholds,
            prune_ratio=args.prune_ratio,
            namespace_by=args.namespace_by,
            limit=args.limit,
            max_entries=args.max_entries,
            prices=args.prices,
            on_progress=tick,
        )
    print_summary(report, Console())
    if args.json is not None:
        text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    if args.html is not None:
        from semroute.analysis.html import write_html

        write_html(report, args.html)
    if report.records == 0:
        print("semroute: no usable record in the log", file=sys.stderr)
        return 1
    return 0


def register(subparsers: Any) -> None:
    """Add ``semroute analyze LOG ...`` to the CLI's sub-parsers."""
    parser = subparsers.add_parser(
        "analyze",
        help="replay an LLM call log and report what caching, routing and pruning would save",
        description=(
            "Replay LOG (.jsonl, .csv, or - for stdin; one LLM call per record with at least "
            "'query') through semroute and report the savings."
        ),
    )
    parser.add_argument(
        "log", metavar="LOG", help="the call log: a .jsonl or .csv file, or - for stdin"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    parser.add_argument("--html", metavar="FILE", help="also write an HTML report with plots")
    parser.add_argument(
        "--prices",
        metavar="FILE",
        help='JSON {"model": {"input_per_mtok": x, "output_per_mtok": y}, ...}, cheapest first',
    )
    parser.add_argument(
        "--prune-ratio",
        type=_ratio,
        default=0.5,
        metavar="R",
        help="share of context tokens kept (0.5)",
    )
    parser.add_argument(
        "--namespace-by",
        choices=_NAMESPACE_FIELDS,
        default=None,
        help="partition the cache by this field of each record",
    )
    parser.add_argument(
        "--threshold",
        type=_cosine,
        default=0.95,
        metavar="T",
        help="the cache's operating threshold (0.95)",
    )
    parser.add_argument(
        "--thresholds",
        type=_cosine,
        nargs="+",
        default=list(DEFAULT_THRESHOLDS),
        metavar="T",
        help="also replay at these thresholds (0.90 0.92 0.95 0.97)",
    )
    parser.add_argument(
        "--limit", type=_positive, default=None, metavar="N", help="replay only the first N"
    )
    parser.add_argument(
        "--max-entries",
        type=_positive,
        default=100_000,
        metavar="N",
        help="cap of each replay cache",
    )
    parser.add_argument(
        "--threads",
        type=_positive,
        default=None,
        metavar="N",
        help="encoder threads (default: up to 4)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=_run)
