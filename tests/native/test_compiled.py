"""The compiled core is the one in use: no silent pure-Python fallback."""

import importlib
import importlib.machinery

import pytest

NATIVE_MODULES = ["semroute._text", "semroute._pool"]


@pytest.mark.parametrize("name", NATIVE_MODULES)
def test_native_module_is_a_compiled_extension(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert module.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)), module.__file__
