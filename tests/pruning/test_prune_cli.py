"""The ``semroute prune`` sub-command, wired to a parser here with the fake encoder."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

import pytest

from semroute.errors import InputError
from semroute.pruning import cli as _prune_cli
from semroute.pruning.prune import Pruner
from tests.fakes import FakeEncoder


@pytest.fixture
def parser(monkeypatch: pytest.MonkeyPatch) -> argparse.ArgumentParser:
    monkeypatch.setattr(_prune_cli, "Pruner", functools.partial(Pruner, encoder=FakeEncoder()))
    parser = argparse.ArgumentParser(prog="semroute")
    _prune_cli.register(parser.add_subparsers())
    return parser


def test_prints_the_pruned_text_and_stats(parser, tmp_path: Path, capsys) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("Paris is in France. Cats purr loudly at night. Rome is in Italy.")
    args = parser.parse_args(
        ["prune", str(doc), "-q", "Where is Paris?", "--ratio", "0.4", "--stats"]
    )
    assert args.handler(args) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "Paris is in France."
    assert "kept 4 of 13 tokens" in err


def test_ratio_and_target_are_exclusive_and_bad_ratio_is_an_input_error(parser, tmp_path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("One two. Three four.")
    with pytest.raises(SystemExit):
        parser.parse_args(["prune", str(doc), "--ratio", "0.5", "--target-tokens", "3"])
    args = parser.parse_args(["prune", str(doc), "--ratio", "2"])
    with pytest.raises(InputError):
        args.handler(args)


def test_fine_follows_the_library_default_unless_given(monkeypatch, tmp_path: Path) -> None:
    built: list[Pruner] = []

    def spy(**kwargs):
        built.append(Pruner(encoder=FakeEncoder(), **kwargs))
        return built[-1]

    monkeypatch.setattr(_prune_cli, "Pruner", spy)
    parser = argparse.ArgumentParser(prog="semroute")
    _prune_cli.register(parser.add_subparsers())
    doc = tmp_path / "doc.txt"
    doc.write_text("Paris is in France. Cats purr loudly at night. Rome is in Italy.")
    for argv, fine in ((["--ratio", "0.5"], 0.0), (["--ratio", "0.5", "--fine", "0.3"], 0.3)):
        args = parser.parse_args(["prune", str(doc), *argv])
        assert args.handler(args) == 0
        assert built[-1].options.fine == fine
