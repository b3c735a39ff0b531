"""The benchmark suite in quick mode, so it cannot rot: every bench file, scaling, quality.

Each command runs in a subprocess from the repository root, as a user would
type it; outputs go to ``tmp_path``, never to benchmarks/results/. Nothing here
asserts a timing: quick figures are smoke output.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from semroute._bench_cli import register
from semroute.errors import ConfigError

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], *, quick_env: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if quick_env:
        env["SEMROUTE_BENCH_QUICK"] = "1"
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_speed_suite_quick() -> None:
    proc = run(
        ["-m", "pytest", "benchmarks/", "--benchmark-disable", "-q", "-p", "no:cacheprovider"],
        quick_env=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    passed = re.search(r"(\d+) passed", proc.stdout)
    assert passed is not None and int(passed.group(1)) > 0, proc.stdout[-2000:]


def test_scaling_quick(tmp_path: Path) -> None:
    proc = run(["-m", "benchmarks.cache.scaling", "--quick", "--out", str(tmp_path)])
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    result = json.loads((tmp_path / "scaling.json").read_text(encoding="utf-8"))
    assert result["quick"] is True
    assert {r["index"] for r in result["cache"]} == {"exact scan", "hnsw"}
    # The probes are near duplicates (cosine 0.97): if they stop hitting, the figures time a miss.
    assert all(r["semantic_hit_rate"] > 0.9 for r in result["cache"]), result["cache"]
    assert result["text"]["encode"] and result["text"]["prune"]


# CI has the development data beside the clone; SEMROUTE_DATA points elsewhere.
DATA = Path(os.environ.get("SEMROUTE_DATA") or ROOT.parent / "shared" / "data")


def test_quality_quick(tmp_path: Path) -> None:
    from benchmarks.quality.__main__ import SETS

    proc = run(["-m", "benchmarks.quality", "--quick", "--data", str(DATA), "--out", str(tmp_path)])
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    summary = json.loads((tmp_path / "quality_summary.json").read_text(encoding="utf-8"))
    assert summary["quick"] is True
    assert set(summary["sets"]) == {
        "cache_pairs",
        "cache_quality",
        "guards",
        "router",
        "prune",
        "prune_eval",
    }
    for qs in SETS:
        body = summary["sets"][qs.name]
        # A set runs whenever its data is there; it may skip only when the data is absent.
        has_data = all((DATA / need).exists() for need in qs.needs)
        assert body["status"] == ("ok" if has_data else "skipped"), (qs.name, body)
        if has_data:
            assert Path(body["json"]).parent == tmp_path
            assert Path(body["json"]).is_file()
    for key in ("date", "git_commit", "python", "numpy", "onnxruntime", "machine"):
        assert summary["environment"][key]


def test_quality_without_data_skips_every_set(tmp_path: Path) -> None:
    proc = run(
        [
            "-m",
            "benchmarks.quality",
            "--quick",
            "--data",
            str(tmp_path / "absent"),
            "--out",
            str(tmp_path),
        ]
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    summary = json.loads((tmp_path / "quality_summary.json").read_text(encoding="utf-8"))
    assert {body["status"] for body in summary["sets"].values()} == {"skipped"}
    assert "skipped" in proc.stdout


def _bench_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="semroute")
    register(parser.add_subparsers())
    return parser.parse_args(["bench", *argv])


def test_semroute_bench_runs_the_checkout_runner(tmp_path: Path) -> None:
    args = _bench_args("--quick", "--data", str(tmp_path / "absent"), "--out", str(tmp_path))
    assert args.handler(args) == 0
    assert (tmp_path / "quality_summary.json").is_file()


def test_semroute_bench_outside_a_checkout_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import semroute._bench_cli as bench_cli

    monkeypatch.setattr(bench_cli, "find_checkout", lambda start=None: None)
    args = _bench_args("--quick")
    with pytest.raises(ConfigError, match="source checkout"):
        args.handler(args)


def test_find_checkout_from_an_unrelated_directory_uses_the_editable_install(
    tmp_path: Path,
) -> None:
    import semroute._bench_cli as bench_cli

    found = bench_cli.find_checkout(tmp_path)
    # An editable install (CI's pip install -e) resolves to the checkout; a wheel install
    # has no benchmarks/ beside the package and finds nothing.
    editable = Path(bench_cli.__file__).resolve().is_relative_to(ROOT / "src")
    assert found == (ROOT if editable else None)
