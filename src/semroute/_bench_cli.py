"""``semroute bench``: the quality benchmarks of a source checkout, in one command.

The benchmarks live in the repository (``benchmarks/``), not in the installed
package, so this sub-command finds the checkout (the current directory or a
parent, else the one an editable install points at) and runs
``python -m benchmarks.quality`` there with the same interpreter.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

from semroute.errors import ConfigError

_RUNNER = Path("benchmarks") / "quality" / "__main__.py"


def find_checkout(start: Path | None = None) -> Path | None:
    """The semroute source checkout holding ``benchmarks/``, or ``None`` outside one.

    >>> find_checkout(Path("/")) is None or isinstance(find_checkout(Path("/")), Path)
    True
    """
    here = (start or Path.cwd()).resolve()
    # An editable install (src layout) imports semroute from <checkout>/src/semroute.
    candidates = [here, *here.parents, Path(__file__).resolve().parents[2]]
    for root in candidates:
        if (root / _RUNNER).is_file() and (root / "pyproject.toml").is_file():
            return root
    return None


def _cmd_bench(args: argparse.Namespace) -> int:
    root = find_checkout()
    if root is None:
        raise ConfigError(
            "semroute bench runs from a source checkout: benchmarks/ is not installed with "
            "the package. Clone the repository, install it (pip install -e '.[bench]') and run "
            "`semroute bench` inside it, or `python -m benchmarks.quality` there"
        )
    argv = [sys.executable, "-m", "benchmarks.quality"]
    if args.quick:
        argv.append("--quick")
    for flag, value in (("--data", args.data), ("--out", args.out), ("--sets", args.sets)):
        if value is not None:
            argv += [flag, str(Path(value).resolve()) if flag != "--sets" else value]
    return subprocess.run(argv, cwd=root, check=False).returncode


def register(subparsers: Any) -> None:
    """Add the ``bench`` sub-command to the ``semroute`` parser's subparsers.

    >>> parser = argparse.ArgumentParser(prog="semroute")
    >>> register(parser.add_subparsers())
    >>> parser.parse_args(["bench", "--quick"]).quick
    True
    """
    p = subparsers.add_parser(
        "bench",
        help="run the quality benchmarks of a source checkout (python -m benchmarks.quality)",
    )
    p.add_argument("--quick", action="store_true", help="small subsets: a smoke run, not results")
    p.add_argument(
        "--data", default=None, help="development data (default ../shared/data beside the checkout)"
    )
    p.add_argument(
        "--out",
        default=None,
        help="directory for the JSON files (default benchmarks/results/; temporary with --quick)",
    )
    p.add_argument(
        "--sets",
        default=None,
        help="comma-separated: cache_pairs,cache_quality,guards,router,prune",
    )
    p.set_defaults(handler=_cmd_bench)
