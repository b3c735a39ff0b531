"""The adapters' overhead benchmark in quick mode, so it cannot rot (no timing asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_frameworks_overhead_quick(tmp_path: Path) -> None:
    out = tmp_path / "frameworks_overhead.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.integrations.frameworks_overhead",
            "--quick",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["quick"] is True and record["environment"]["versions"]["litellm"]
    for part in ("langchain", "litellm", "langchain_fake_encoder", "litellm_fake_encoder"):
        # every miss round stored its answer, or the "miss" timings time something else
        assert record[part]["entries_stored"] == 2 + record["rounds"], part
        assert record[part]["exact_hit"]["n"] == record["rounds"]
