"""The soak suite: concurrency, kills, outages and fuzzing, sized by SEMROUTE_SOAK.

Quick mode (the default, run by CI with the rest of the tests) keeps the whole folder
under two minutes; ``SEMROUTE_SOAK=long pytest tests/soak`` runs the long mode whose
figures BENCHMARKS.md quotes.
"""

from __future__ import annotations

import os

import pytest

LONG = os.environ.get("SEMROUTE_SOAK", "quick") == "long"


def scaled(quick: int, long: int) -> int:
    """``quick`` in CI, ``long`` under ``SEMROUTE_SOAK=long``."""
    return long if LONG else quick


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/soak/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.soak)
