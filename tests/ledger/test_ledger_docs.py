"""The runnable examples in the ledger's, budget's, report's and tracer's docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "semroute.ledger",
    "semroute.ledger._budget",
    "semroute.ledger._cli",
    "semroute.ledger._ledger",
    "semroute.ledger._prices",
    "semroute.ledger._report",
    "semroute.ledger._store",
    "semroute.integrations.otel",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0, f"{name} has no example"
