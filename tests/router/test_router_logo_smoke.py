"""benchmarks/router/router_logo.py in quick mode, so the leave-one-group-out report cannot rot.

It needs the development data (../shared/data) and the router embedding cache that
router_eval.py or train_router.py writes (embedding ~9,000 queries from scratch takes
about 20 minutes on a 2-core machine); it skips, saying which, when either is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# CI has the development data beside the clone; SEMROUTE_DATA points elsewhere.
DATA = Path(os.environ.get("SEMROUTE_DATA") or ROOT.parent / "shared" / "data")


def test_router_logo_quick_reports_worst_group_against_length(tmp_path: Path) -> None:
    if not (DATA / "routing" / "mmlu").is_dir():
        pytest.skip(f"development data not found under {DATA}")
    if not any((ROOT / "benchmarks" / ".cache").glob("router_*.npz")):
        pytest.skip("no router embedding cache in benchmarks/.cache (run train_router.py once)")
    out = tmp_path / "logo.json"
    command = ["-m", "benchmarks.router.router_logo", "--quick", "--data", str(DATA)]
    proc = subprocess.run(
        [sys.executable, *command, "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    body = json.loads(out.read_text(encoding="utf-8"))
    assert body["quick"] is True and body["groups_held_out"] == 3
    shipped = body["summary"]["shipped"]
    length = body["summary"]["prompt length"]
    assert length["worst_margin_over_length"] == 0.0
    assert shipped["worst_group"] in body["per_group"]
    for row in body["per_group"].values():
        assert row["apgr"]["random"] == 0.5
        lo, hi = row["ci90"]
        assert lo <= hi
    sanity = body["project_written_heldout"]["sanity set, held-out third"]
    assert sanity["n"] == 110 and sanity["apgr"]["perfect"] == 0.75
    assert body["environment"]["git_commit"]
