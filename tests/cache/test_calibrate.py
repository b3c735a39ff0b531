"""calibrate(): right threshold on a constructed case, clear errors on bad input."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from semroute.cache.calibrate import CalibrationReport, calibrate, default_thresholds, load_pairs
from semroute.cache.calibrate_cli import register
from semroute.cache.guards.api import Guards
from semroute.encoder import encoder as _encoder
from semroute.errors import ConfigError, InputError
from tests.fakes import FakeEncoder

FIXTURE = Path(__file__).parent / "data" / "calibration_pairs.jsonl"


class TableEncoder:
    """Embeds each pair so that its cosine is exactly the one the test asks for."""

    def __init__(self, cosines: dict[tuple[str, str], float]) -> None:
        self._dim = 2 * len(cosines)
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}
        for k, ((a, b), c) in enumerate(cosines.items()):
            va = np.zeros(self._dim, np.float32)
            va[2 * k] = 1.0
            vb = np.zeros(self._dim, np.float32)
            vb[2 * k], vb[2 * k + 1] = c, math.sqrt(1.0 - c * c)
            self._vectors[a], self._vectors[b] = va, vb

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def model_id(self) -> str:
        return "table"

    def encode(self, texts: str | Sequence[str]) -> npt.NDArray[np.float32]:
        batch = [texts] if isinstance(texts, str) else list(texts)
        return np.stack([self._vectors[t] for t in batch])

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]


# Guard-neutral texts: pair k is "question k" / "asked k"; only the cosine matters.
POSITIVE_COS = [0.97, 0.96, 0.92, 0.88, 0.82]
NEGATIVE_COS = [0.91, 0.83]


def constructed() -> tuple[list[tuple[str, str, bool]], TableEncoder]:
    pairs, cosines = [], {}
    for k, c in enumerate(POSITIVE_COS + NEGATIVE_COS):
        a, b = f"question alpha{k}", f"asked alpha{k}"
        pairs.append((a, b, k < len(POSITIVE_COS)))
        cosines[(a, b)] = c
    return pairs, TableEncoder(cosines)


SWEEP = [0.80, 0.85, 0.90, 0.95]


def test_recommends_the_lowest_threshold_reaching_the_target() -> None:
    pairs, encoder = constructed()
    report = calibrate(pairs, encoder=encoder, thresholds=SWEEP, guards=Guards.none())
    # precision per threshold: 5/7, 4/5, 3/4, 2/2
    assert [r.precision for r in report.rows] == pytest.approx([5 / 7, 0.8, 0.75, 1.0])
    assert [r.recall for r in report.rows] == pytest.approx([1.0, 0.8, 0.6, 0.4])
    assert [r.false_hit_rate for r in report.rows] == pytest.approx([1.0, 0.5, 0.5, 0.0])
    assert report.recommended == 0.95
    assert report.recommended_row is not None and report.recommended_row.hits == 2
    assert (report.positives, report.negatives) == (5, 2)


def test_lowest_qualifying_threshold_wins_even_if_a_higher_one_dips() -> None:
    pairs, encoder = constructed()
    loose = calibrate(pairs, encoder=encoder, target_precision=0.75, thresholds=SWEEP)
    assert loose.recommended == 0.85
    # 0.85 reaches 0.78 while 0.90 does not: serving at 0.85 still has precision 0.8.
    middle = calibrate(pairs, encoder=encoder, target_precision=0.78, thresholds=SWEEP)
    assert middle.recommended == 0.85
    strict = calibrate(pairs, encoder=encoder, target_precision=0.81, thresholds=SWEEP)
    assert strict.recommended == 0.95


def test_no_threshold_reaching_the_target_is_reported() -> None:
    pairs, encoder = constructed()
    pairs.append(("question beta", "asked beta", False))
    encoder = TableEncoder(
        {
            (a, b): c
            for (a, b, _), c in zip(pairs, [*POSITIVE_COS, *NEGATIVE_COS, 0.99], strict=True)
        }
    )
    report = calibrate(pairs, encoder=encoder, thresholds=SWEEP, guards=Guards.none())
    assert report.recommended is None
    assert report.recommended_row is None
    assert "no threshold reaches precision 0.99" in report.format_table()


def test_guards_are_applied_by_default() -> None:
    pairs = [
        ("convert 5 km to miles", "convert five km to miles", True),
        ("Convert 5 km to miles?", "convert 8 km to miles", False),
    ]
    encoder = TableEncoder({(a, b): c for (a, b, _), c in zip(pairs, [0.97, 0.99], strict=True)})
    guarded = calibrate(pairs, encoder=encoder, thresholds=[0.95])
    assert guarded.guards == Guards().enabled
    assert (guarded.rows[0].hits, guarded.rows[0].false_hits) == (1, 0)
    assert guarded.recommended == 0.95
    bare = calibrate(pairs, encoder=encoder, thresholds=[0.95], guards=Guards.none())
    assert bare.guards == ()
    assert (bare.rows[0].hits, bare.rows[0].false_hits) == (1, 1)
    assert bare.recommended is None


def test_fixture_file_with_fake_encoder() -> None:
    pairs = load_pairs(FIXTURE)
    assert len(pairs) == 16 and sum(d for _, _, d in pairs) == 8
    report = calibrate(pairs, encoder=FakeEncoder())
    assert [r.threshold for r in report.rows] == list(default_thresholds())
    assert report.recommended is not None
    assert report.recommended_row is not None
    assert report.recommended_row.precision is not None
    assert report.recommended_row.precision >= 0.99
    for row in report.rows:
        if row.threshold < report.recommended:
            assert row.precision is not None and row.precision < 0.99
    recalls = [r.recall for r in report.rows]
    assert recalls == sorted(recalls, reverse=True)


def test_pairs_as_dicts_and_tuples() -> None:
    pairs, encoder = constructed()
    as_dicts = [{"a": a, "b": b, "duplicate": int(d)} for a, b, d in pairs]
    assert calibrate(as_dicts, encoder=encoder, thresholds=SWEEP).rows == (
        calibrate(pairs, encoder=encoder, thresholds=SWEEP).rows
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ('{"a": "x", "b": "y", "duplicate": true}\n{"a": "x", "b": \n', "line 2: not valid JSON"),
        ('{"a": "x", "duplicate": true}\n', "line 1: missing key(s) b"),
        ('["x", "y", true]\n', "line 1: expected a JSON object"),
        ('{"a": "x", "b": "", "duplicate": true}\n', "'b' must be a non-empty string"),
        ('{"a": "x", "b": "y", "duplicate": 4.5}\n', "'duplicate' must be true/false"),
    ],
)
def test_malformed_files_give_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_pairs(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read pairs"):
        load_pairs(tmp_path / "absent.jsonl")


def test_no_positives_or_no_negatives() -> None:
    encoder = FakeEncoder()
    with pytest.raises(InputError, match="no duplicate pairs"):
        calibrate([("a b", "a c", False)], encoder=encoder)
    with pytest.raises(InputError, match="no non-duplicate pairs"):
        calibrate([("a b", "a c", True)], encoder=encoder)
    with pytest.raises(InputError, match="no pairs"):
        calibrate([], encoder=encoder)
    with pytest.raises(InputError, match="pair 0"):
        calibrate([("only two", "items")], encoder=encoder)  # type: ignore[list-item]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"target_precision": 0.0},
        {"target_precision": 1.5},
        {"target_precision": True},
        {"thresholds": []},
        {"thresholds": [0.9, 1.2]},
        {"thresholds": ["high"]},
        {"guards": "all"},
    ],
)
def test_bad_options_are_config_errors(kwargs: dict[str, object]) -> None:
    pairs, encoder = constructed()
    with pytest.raises(ConfigError):
        calibrate(pairs, encoder=encoder, **kwargs)  # type: ignore[arg-type]


def _report() -> CalibrationReport:
    pairs, encoder = constructed()
    return calibrate(pairs, encoder=encoder, thresholds=SWEEP)


def test_save_plot_writes_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "curve.png"
    _report().save_plot(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_save_plot_without_matplotlib_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ConfigError, match=r"semroute\[report\]"):
        _report().save_plot(tmp_path / "x.png")


def test_report_round_trips_through_json() -> None:
    data = json.loads(json.dumps(_report().to_dict()))
    assert data["recommended"] == 0.95
    assert [r["threshold"] for r in data["rows"]] == SWEEP


def _cli(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="semroute")
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_cli_writes_json_and_plot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(_encoder, "default_encoder", FakeEncoder)
    out_json, out_png = tmp_path / "r.json", tmp_path / "r.png"
    args = _cli(
        [
            "calibrate",
            str(FIXTURE),
            "--target-precision",
            "0.9",
            "--json",
            str(out_json),
            "--plot",
            str(out_png),
        ]
    )
    assert args.handler(args) == 0
    data = json.loads(out_json.read_text("utf-8"))
    assert data["target_precision"] == 0.9 and data["positives"] == 8
    assert data["guards"] == list(Guards().enabled)
    assert out_png.read_bytes()[:4] == b"\x89PNG"
    assert "recommended threshold" in capsys.readouterr().out


def test_cli_no_guards_and_bad_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_encoder, "default_encoder", FakeEncoder)
    out_json = tmp_path / "r.json"
    args = _cli(["calibrate", str(FIXTURE), "--no-guards", "--json", str(out_json)])
    assert args.handler(args) == 0
    assert json.loads(out_json.read_text("utf-8"))["guards"] == []
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    args = _cli(["calibrate", str(bad)])
    with pytest.raises(InputError, match="line 1"):
        args.handler(args)
