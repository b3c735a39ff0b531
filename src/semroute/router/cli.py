"""``semroute route``: print the routing decision for each query (the lead wires it in)."""

from __future__ import annotations

import argparse
from typing import Any


def _cmd_route(args: argparse.Namespace) -> int:
    from semroute.router.router import Router

    kwargs: dict[str, Any] = {}
    if args.model is not None:
        kwargs["model"] = args.model
    if args.strong_share is not None:
        kwargs["strong_share"] = args.strong_share
    router = Router(**kwargs)
    for query, d in zip(args.text, router.choose_many(args.text), strict=True):
        print(f"{d.model}\t{d.score:.3f}\t${d.estimated_cost:.6f}\t{query!r}\t{d.reason}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``route`` to the ``semroute`` CLI's sub-commands.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="semroute")
    >>> register(parser.add_subparsers())
    >>> parser.parse_args(["route", "hi"]).strong_share is None
    True
    """
    route = subparsers.add_parser("route", help="pick a model tier for each query and say why")
    route.add_argument("text", nargs="+", help="one or more queries")
    route.add_argument(
        "--strong-share",
        type=float,
        default=None,
        help="share sent to the strong tier (default 0.3 of the training mix)",
    )
    route.add_argument(
        "--model", default=None, help="router file saved by Router.save (default: shipped)"
    )
    route.set_defaults(handler=_cmd_route)
