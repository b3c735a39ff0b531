"""The shipped sample log is what its seeded generator writes, byte for byte."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from types import ModuleType

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample_log"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sample_log_generate", SAMPLE / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_same_seed_same_bytes_and_the_shipped_file_is_current(tmp_path: Path) -> None:
    gen = generator()
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    gen.write(first)
    gen.write(second)
    assert first.read_bytes() == second.read_bytes() == (SAMPLE / "queries.jsonl").read_bytes()


def test_another_seed_gives_another_log(tmp_path: Path) -> None:
    gen = generator()
    gen.write(tmp_path / "a.jsonl", seed=1, records=200)
    gen.write(tmp_path / "b.jsonl", seed=2, records=200)
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "b.jsonl").read_bytes()


def test_sample_has_the_promised_shape() -> None:
    text = (SAMPLE / "queries.jsonl").read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == 3000
    required = {
        "ts",
        "query",
        "model",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "user",
        "feature",
    }
    assert all(required <= set(r) for r in records)
    assert [r["ts"] for r in records] == sorted(r["ts"] for r in records)
    assert records[0]["ts"].startswith("2026-11-02") and records[-1]["ts"].startswith("2026-11-15")
    with_context = [r for r in records if "context" in r]
    assert 0.05 < len(with_context) / len(records) < 0.2
    counts = Counter(r["query"] for r in records).most_common()
    # Skewed repeats: the top query is common, and there is a long tail of one-offs.
    assert counts[0][1] > 50
    assert sum(1 for _, n in counts if n == 1) > 500
    assert Counter(r["feature"] for r in records).keys() == {
        "support_chat",
        "tutor_chat",
        "help_search",
    }
