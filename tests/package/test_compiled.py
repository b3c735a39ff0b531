"""The compiled core is the one in use: no silent pure-Python fallback."""

import importlib
import importlib.machinery
from pathlib import Path

import pytest

NATIVE_MODULES = sorted(
    f"semroute.{path.stem}" for path in (Path(__file__).parents[2] / "csrc").glob("*.pyx")
)


@pytest.mark.parametrize("name", NATIVE_MODULES)
def test_native_module_is_a_compiled_extension(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert module.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)), module.__file__


def test_the_native_core_was_found() -> None:
    assert "semroute._text" in NATIVE_MODULES and len(NATIVE_MODULES) >= 2
