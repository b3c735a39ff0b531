"""benchmarks/_stamp.py: pytest-benchmark files lose their raw rounds but keep their tails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import _stamp


def test_raw_rounds_are_replaced_by_their_tails() -> None:
    body = {
        "benchmarks": [{"stats": {"median": 50.0, "rounds": 100, "data": list(range(100, 0, -1))}}]
    }
    _stamp.summarise_samples(body)
    stats = body["benchmarks"][0]["stats"]
    assert "data" not in stats
    assert (stats["p95"], stats["p99"], stats["rounds"]) == (96, 100, 100)


def test_stamp_file_stamps_and_trims(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_stamp, "environment", lambda: {"commit": "abc"})
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"benchmarks": [{"stats": {"data": [3.0, 1.0, 2.0]}}]}))
    _stamp.stamp_file(path)
    body = json.loads(path.read_text())
    assert body["environment"] == {"commit": "abc"}
    assert body["benchmarks"][0]["stats"] == {"p95": 3.0, "p99": 3.0}
