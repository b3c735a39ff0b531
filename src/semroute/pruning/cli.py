"""``semroute prune``: prune a file (or stdin) for a query and print what is kept."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from semroute.pruning.prune import Pruner


def _cmd_prune(args: argparse.Namespace) -> int:
    if args.file == "-":
        text = sys.stdin.read()
    else:
        with open(args.file, encoding="utf-8") as handle:
            text = handle.read()
    options = {} if args.fine is None else {"fine": args.fine}
    pruner = Pruner(keep=args.keep, granularity=args.granularity, **options)
    r = pruner.prune(text, query=args.query, ratio=args.ratio, target_tokens=args.target_tokens)
    print(r.text)
    if args.stats:
        print(
            f"kept {r.kept_tokens} of {r.original_tokens} tokens ({r.ratio:.1%}), "
            f"{r.units_kept}/{r.units_total} units, encoder {r.encoder_ms:.1f} ms, "
            f"total {r.elapsed_ms:.1f} ms",
            file=sys.stderr,
        )
    return 0


def register(subparsers: Any) -> None:
    """Add the ``prune`` sub-command to the ``semroute`` parser's subparsers.

    >>> parser = argparse.ArgumentParser(prog="semroute")
    >>> register(parser.add_subparsers())
    >>> parser.parse_args(["prune", "doc.txt", "--ratio", "0.25"]).ratio
    0.25
    """
    p = subparsers.add_parser("prune", help="cut a long context to a token budget for a query")
    p.add_argument("file", help="text file to prune, or - for stdin")
    p.add_argument("--query", "-q", default=None, help="the question the context must answer")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--ratio", type=float, default=None, help="share of tokens to keep (0, 1]")
    size.add_argument("--target-tokens", type=int, default=None, help="token budget")
    p.add_argument("--keep", action="append", default=[], help="regex never dropped (repeatable)")
    p.add_argument("--granularity", choices=["sentence", "passage"], default="sentence")
    p.add_argument(
        "--fine", type=float, default=None, help="share won by dropping words (default 0: none)"
    )
    p.add_argument("--stats", action="store_true", help="print token counts and timing to stderr")
    p.set_defaults(handler=_cmd_prune)
