"""``semroute report LEDGER``: what semroute did and saved, drawn like ``semroute analyze``."""

from __future__ import annotations

import argparse
import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from semroute.errors import ConfigError

__all__ = ["parse_since", "register"]

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")
_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, *, now: float | None = None) -> float:
    """``7d``, ``12h``, ``30m``, ``2w`` back from now, or an ISO date/time (UTC if naive).

    >>> parse_since("1d", now=86400.0 * 3) / 86400, parse_since("1970-01-02")
    (2.0, 86400.0)
    """
    match = _SPAN.match(text)
    if match:
        amount, unit = match.groups()
        return (time.time() if now is None else now) - float(amount) * _SECONDS[unit]
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"--since takes a span like 7d, 12h, 30m, 2w or an ISO date, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _run(args: argparse.Namespace) -> int:
    try:
        from rich.console import Console
    except ImportError as exc:
        raise ConfigError(
            "semroute report needs rich for its tables: pip install 'semroute[report]'"
        ) from exc
    from semroute.analysis.render import print_summary
    from semroute.ledger._ledger import Ledger
    from semroute.ledger._report import ledger_report
    from semroute.ledger._store import parse_url

    if args.html is not None:
        from semroute.analysis.html import check_available

        check_available()
    path = parse_url(args.ledger)
    if path is None or not Path(path).is_file():
        # Opening a missing file would create an empty ledger: say what is wrong instead.
        raise ConfigError(f"no ledger at {args.ledger!r}: give the path of a ledger database")
    since = None if args.since is None else parse_since(args.since)
    with Ledger(path) as ledger:
        report = ledger_report(ledger, since=since, by=args.by)
    print_summary(report, Console())
    if args.json is not None:
        text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    if args.html is not None:
        from semroute.analysis.html import write_html

        write_html(report, args.html)
    return 0


def register(subparsers: Any) -> None:
    """Add ``semroute report LEDGER ...`` to the CLI's sub-parsers."""
    parser = subparsers.add_parser(
        "report",
        help="report spend, savings per lever, hit rate and per-tag tables from a ledger",
        description="Report what semroute did and saved on the calls recorded in LEDGER.",
    )
    parser.add_argument("ledger", metavar="LEDGER", help="ledger.db or sqlite:///ledger.db")
    parser.add_argument(
        "--since", metavar="WHEN", help="only calls since: 7d, 12h, 30m, 2w or an ISO date"
    )
    parser.add_argument(
        "--by",
        metavar="TAG",
        action="append",
        help="per-tag table (feature, user, tenant..., or model); repeat for more "
        "(default: every tag, then model)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON")
    parser.add_argument("--html", metavar="FILE", help="also write an HTML report with plots")
    parser.set_defaults(handler=_run)
