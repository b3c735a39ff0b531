"""Stamp and place benchmark result files: every figure traceable to a commit and a machine.

The rule (BENCHMARKS.md, "How figures are kept"): a result file under ``benchmarks/results/``
records the commit it ran on, whether the tree was clean, the date, the machine and the
package versions; a file is never overwritten (history is kept as new dated files).

    from benchmarks._stamp import environment, write_result
    path = write_result("redis", figures)  # benchmarks/results/redis-2026-12-06.json

``python -m benchmarks._stamp FILE.json`` adds the stamp to a JSON written by another tool
(pytest-benchmark's ``--benchmark-json``), in place, before it is committed.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PACKAGES = (
    "semroute",
    "numpy",
    "onnxruntime",
    "hnswlib",
    "tokenizers",
    "redis",
    "pytest-benchmark",
)


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    """Commit, clean or dirty tree, date, machine and package versions of this run.

    ``git_dirty`` is True when tracked files differ from the commit: such a result must be
    labelled as a dirty-tree run wherever it is quoted (``label``).
    """
    status = _git("status", "--porcelain", "--untracked-files=no")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": None if status is None else bool(status),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{_cpu_model()}, {os.cpu_count()} CPUs, {platform.platform()}",
        "load_average": None if load is None else [round(x, 2) for x in load],
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
        "argv": sys.argv,
    }


def label(env: dict[str, Any]) -> str:
    """How a figure's source line names this run, e.g. ``commit 1a2b3c4d5e6f, 2026-12-06``."""
    commit = (env.get("git_commit") or "unknown")[:12]
    dirty = ", DIRTY TREE (uncommitted changes)" if env.get("git_dirty") is not False else ""
    return f"commit {commit}{dirty}, {str(env.get('date', ''))[:10]}"


def dated_path(stem: str, *, results: Path = RESULTS, today: str | None = None) -> Path:
    """A new file ``<stem>-<YYYY-MM-DD>[-N].json`` that does not exist yet."""
    day = today or datetime.now(timezone.utc).strftime("%Y-%m-%d")
    path = results / f"{stem}-{day}.json"
    n = 2
    while path.exists():
        path = results / f"{stem}-{day}-{n}.json"
        n += 1
    return path


def write_result(
    stem: str, figures: dict[str, Any], *, results: Path = RESULTS, path: Path | None = None
) -> Path:
    """Write ``figures`` with an ``environment`` stamp to a new dated file; never overwrite.

    ``path`` overrides the dated name (a scratch file outside ``benchmarks/results/``).
    """
    target = path or dated_path(stem, results=results)
    if target.exists() and target.resolve().parent == RESULTS.resolve():
        raise FileExistsError(f"{target} exists: results are history, write a new dated file")
    target.parent.mkdir(parents=True, exist_ok=True)
    body = {"environment": environment(), **figures}
    target.write_text(json.dumps(body, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return target


def summarise_samples(body: dict[str, Any]) -> None:
    """Replace pytest-benchmark's raw per-round timings by their p95 / p99, in place.

    ``--benchmark-json`` keeps every round (100k+ numbers per fast benchmark: tens of MB per
    file); the figures quoted are medians and tails, which these keep. ``rounds`` stays.
    """
    for bench in body.get("benchmarks", []):
        stats = bench.get("stats", {})
        samples = stats.pop("data", None)
        if isinstance(samples, list) and samples:
            ordered = sorted(samples)
            for name, q in (("p95", 0.95), ("p99", 0.99)):
                stats[name] = ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def stamp_file(path: Path) -> None:
    """Add an ``environment`` stamp to an existing JSON object (pytest-benchmark output)."""
    body = json.loads(path.read_text(encoding="utf-8"))
    body["environment"] = environment()
    summarise_samples(body)
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        stamp_file(Path(name))
        print(f"stamped {name}: {label(json.loads(Path(name).read_text())['environment'])}")
