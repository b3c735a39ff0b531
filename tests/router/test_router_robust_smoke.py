"""benchmarks/router/router_robust.py end to end, so the fusion table behind issue 17 cannot rot.

Needs the development data (../shared/data, or SEMROUTE_DATA), the router embedding
cache that train_router.py or router_eval.py writes and the leave-one-group-out logits a
first run of router_robust caches (about 3 minutes); skips, saying which, when one is
missing, as on a fresh clone. About 30 s on an idle 2-core machine with them.
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
DATA = Path(os.environ.get("SEMROUTE_DATA") or ROOT.parent / "shared" / "data")


def test_router_robust_reports_each_recipes_worst_group_and_sanity_shares(
    tmp_path: Path,
) -> None:
    if not (DATA / "routing" / "mmlu").is_dir():
        pytest.skip(f"development data not found under {DATA}")
    cache = ROOT / "benchmarks" / ".cache"
    if not any(cache.glob("router_all-*.npz")):
        pytest.skip("no router embedding cache in benchmarks/.cache (run train_router.py once)")
    if not (cache / "router_robust_logo_soft.npz").exists():
        # The 64 leave-one-group-out fits take about 3 minutes on a 2-core machine: too
        # much for every CI run on a fresh clone, so this checks the report, not the fits.
        pytest.skip("no cached LOGO logits (run python -m benchmarks.router.router_robust once)")
    out = tmp_path / "robust.json"
    command = ["-m", "benchmarks.router.router_robust", "--data", str(DATA), "--reuse"]
    proc = subprocess.run(
        [sys.executable, *command, "--out", str(out)],
        cwd=ROOT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    body = json.loads(out.read_text(encoding="utf-8"))
    recipes = body["recipes"]
    length = recipes["prompt length"]
    # Length against itself: margin 0 everywhere, so it is never below itself.
    assert length["worst_margin"] == 0.0 and length["groups_below_length"] == []
    assert set(length["per_group_margin"].values()) == {0.0}
    assert len(length["per_group_margin"]) == body["groups_reported"] >= 30
    for name, r in recipes.items():
        margins = r["per_group_margin"]
        assert r["worst_margin"] == min(margins.values()), name
        assert margins[r["worst_group"]] == r["worst_margin"], name
        assert sorted(g for g, m in margins.items() if m < 0) == r["groups_below_length"], name
        assert set(r["groups_below_length_beyond_ci90"]) <= set(r["groups_below_length"]), name
        lo, hi = r["worst_margin_ci90"]
        assert lo <= hi, name
        hard, n_hard = map(int, r["sanity_heldout_third"]["hard_strong"].split("/"))
        assert n_hard == 55 and 0 <= hard <= 55, name
    assert any(name.startswith("(a) band") for name in recipes)
    assert any(name.startswith("(b) gate") for name in recipes)
    assert any(name.startswith("(c) stack") for name in recipes)
    assert body["environment"]["git_commit"]
