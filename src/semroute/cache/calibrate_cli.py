"""``semroute calibrate pairs.jsonl``: the threshold report from the command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from semroute.errors import InputError


def _handle(args: argparse.Namespace) -> int:
    from semroute.cache.calibrate import calibrate, load_pairs
    from semroute.cache.guards.api import Guards

    pairs = load_pairs(args.pairs)
    encoder: Any = None
    if args.model_dir is not None:
        from semroute.encoder.encoder import Encoder

        encoder = Encoder(model_dir=args.model_dir)
    guards = Guards.none() if args.no_guards else Guards()
    if args.verifier:
        from semroute.cache.calibrate_verifier import calibrate_verifier

        report = calibrate_verifier(
            pairs,
            encoder=encoder,
            candidate_threshold=args.candidate_threshold,
            target_precision=args.target_precision,
            guards=guards,
        )
    else:
        report = calibrate(
            pairs, encoder=encoder, target_precision=args.target_precision, guards=guards
        )
    print(report.format_table())
    if args.json is not None:
        try:
            Path(args.json).write_text(json.dumps(report.to_dict(), indent=1) + "\n", "utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {args.json!r}: {exc}") from exc
        print(f"wrote {args.json}")
    if args.plot is not None:
        report.save_plot(args.plot)
        print(f"wrote {args.plot}")
    return 0


def register(subparsers: Any) -> None:
    """Add the ``calibrate`` sub-command to the ``semroute`` parser."""
    parser = subparsers.add_parser(
        "calibrate",
        help="recommend a similarity threshold from labelled pairs",
        description=(
            "Embed each labelled pair, report precision, recall and false-hit rate per "
            "threshold (hit guards applied unless --no-guards), and recommend the lowest "
            "threshold that keeps the target precision."
        ),
    )
    parser.add_argument(
        "pairs", help='JSONL file, one {"a": ..., "b": ..., "duplicate": true|false} per line'
    )
    parser.add_argument(
        "--target-precision",
        type=float,
        default=0.99,
        help="precision the recommended threshold must keep (default 0.99)",
    )
    parser.add_argument("--plot", metavar="PNG", default=None, help="write the curves as a PNG")
    parser.add_argument("--json", metavar="FILE", default=None, help="write the report as JSON")
    parser.add_argument(
        "--no-guards", action="store_true", help="similarity alone, without the hit guards"
    )
    parser.add_argument("--model-dir", default=None, help="encoder directory (default: shipped)")
    parser.add_argument(
        "--verifier",
        action="store_true",
        help="calibrate the shipped pair verifier's probability threshold instead "
        "(candidates from --candidate-threshold, guards first)",
    )
    parser.add_argument(
        "--candidate-threshold",
        type=float,
        default=None,
        help="with --verifier: the cosine from which pairs are verified "
        "(default: the verifier's own)",
    )
    parser.set_defaults(handler=_handle)
