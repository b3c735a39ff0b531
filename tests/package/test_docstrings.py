"""The runnable examples in the docstrings of the cache, router and encoder run as written.

They use the shipped encoder (installed with the package), never ``tests.fakes``,
which is not installed for users.
"""

from __future__ import annotations

import doctest
import importlib

import pytest

pytestmark = pytest.mark.integration

MODULES = [
    "semroute.cache.cache",
    "semroute.cache.config",
    "semroute.encoder.encoder",
    "semroute._inputs",
    "semroute.router.router",
    "semroute.router.rules",
    "semroute.router.tiers",
    "semroute.cache.singleflight",
    "semroute._text",
    "semroute.cache.verifier",
    "semroute.cache.calibrate_verifier",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_no_docstring_imports_the_test_suite() -> None:
    for name in MODULES:
        module = importlib.import_module(name)
        finder = doctest.DocTestFinder()
        for test in finder.find(module):
            for example in test.examples:
                assert "tests." not in example.source, (test.name, example.source)
