"""The public surface: names, laziness, version, the error tree, the CLI entry."""

from __future__ import annotations

import subprocess
import sys

import pytest

import semroute
from semroute import errors
from semroute._cli import main


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert semroute.__all__ == sorted(semroute.__all__)
    for name in semroute.__all__:
        assert getattr(semroute, name) is not None, name


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = semroute.DoesNotExist  # type: ignore[attr-defined]


def test_import_is_cheap_and_loads_no_model_runtime() -> None:
    code = (
        "import sys, semroute; "
        "heavy = [m for m in ('onnxruntime', 'hnswlib', 'tokenizers') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (errors.ConfigError, ValueError),
        (errors.InputError, ValueError),
        (errors.InputTypeError, TypeError),
        (errors.EncoderError, RuntimeError),
        (errors.EncoderInputTypeError, TypeError),
        (errors.BackendError, OSError),
        (errors.CorruptStoreError, errors.BackendError),
    ],
)
def test_each_error_is_a_semroute_error_and_its_builtin(error: type, builtin: type) -> None:
    assert issubclass(error, errors.SemrouteError)
    assert issubclass(error, builtin)


def test_every_error_is_drawn_in_the_tree_docstring() -> None:
    assert errors.__doc__ is not None
    for name in errors.__all__:
        assert name in errors.__doc__, name


def test_cli_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"semroute {semroute.__version__}"


def test_cli_without_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: semroute" in capsys.readouterr().out
