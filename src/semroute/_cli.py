"""The ``semroute`` console script: one sub-command per job, each a small function."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from semroute._version import __version__


def _cmd_encode(args: argparse.Namespace) -> int:
    import numpy as np

    from semroute.encoder.encoder import Encoder

    started = time.perf_counter()
    encoder = Encoder(model_dir=args.model_dir, threads=args.threads)
    loaded = time.perf_counter()
    vectors = encoder.encode(args.text)
    done = time.perf_counter()
    for text, vector in zip(args.text, vectors, strict=True):
        print(
            f"{text!r}: dim={vector.shape[0]} norm={float(np.linalg.norm(vector)):.4f} "
            f"load={1e3 * (loaded - started):.1f} ms encode={1e3 * (done - loaded):.2f} ms"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="semroute", description="Semantic cache, router and context pruning for LLM calls."
    )
    parser.add_argument("--version", action="version", version=f"semroute {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    encode = commands.add_parser("encode", help="embed text and print dim, norm and timing")
    encode.add_argument("text", nargs="+", help="one or more texts to embed")
    encode.add_argument("--model-dir", default=None, help="encoder directory (default: shipped)")
    encode.add_argument("--threads", type=int, default=None, help="onnxruntime intra-op threads")
    encode.set_defaults(handler=_cmd_encode)

    # Each job's sub-command lives beside its code; importing them is cheap.
    from semroute._bench_cli import register as register_bench
    from semroute.analysis.analyze import register as register_analyze
    from semroute.cache.calibrate_cli import register as register_calibrate
    from semroute.ledger._cli import register as register_report
    from semroute.pruning.cli import register as register_prune
    from semroute.router.cli import register as register_route

    register_analyze(commands)
    register_bench(commands)
    register_calibrate(commands)
    register_prune(commands)
    register_report(commands)
    register_route(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 2
    from semroute.errors import SemrouteError

    try:
        return int(args.handler(args))
    except SemrouteError as exc:
        print(f"semroute: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
