"""Benchmark sizes: full by default, small under ``SEMROUTE_BENCH_QUICK=1`` (the CI smoke).

    SEMROUTE_BENCH_QUICK=1 pytest benchmarks/ --benchmark-disable -q

Bench files take their sizes from :func:`size` so one switch shrinks the whole
suite; what is measured stays the same, only the number of entries, tokens or
calls changes. Quick figures are smoke output, never results.
"""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

QUICK = os.environ.get("SEMROUTE_BENCH_QUICK", "").strip().lower() not in ("", "0", "false", "no")


def size(full: T, quick: T) -> T:
    """``full`` normally, ``quick`` when SEMROUTE_BENCH_QUICK is set."""
    return quick if QUICK else full
