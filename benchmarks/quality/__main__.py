"""Every quality benchmark in one run, one summary, one table.

    python -m benchmarks.quality                       # full sets -> benchmarks/results/
    python -m benchmarks.quality --quick               # CI smoke -> a temporary directory
    python -m benchmarks.quality --data DIR --out DIR --sets cache_pairs,prune

Runs, in this process, the ``main(argv)`` of each script below with its own
``--data`` and ``--out``: cache hit/false-hit curves (cache/cache_pairs.py), the
same through SemanticCache with guards off and on (cache/cache_quality.py), hit
guards alone (cache/guards_eval.py), routing APGR/CPT (router/router_eval.py) and pruning
answer survival (pruning/prune_squad.py; held-out SQuAD beside NQ-open in
pruning/prune_eval.py); the scripts live beside the capability they measure. Each
writes its JSON as when run alone; this adds ``quality_summary.json`` (machine, date,
commit, versions, headline figures) and prints one combined table. A set whose development data is missing under
``--data`` (default ``../shared/data`` beside the checkout) is skipped with a
message, not failed. ``--quick`` runs small subsets: smoke output, never
results, and it never writes into benchmarks/results/ unless ``--out`` says so.
Peers and scale (cache/cache_gptcache.py, cache/cache_scale.py) stay separate scripts:
they take minutes and need extra packages.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_DATA = ROOT.parent / "shared" / "data"

Row = tuple[str, str]  # (figure, value) for the combined table


@dataclass(frozen=True)
class QualitySet:
    name: str
    module: str  # under benchmarks/: <capability>.<script>
    needs: tuple[str, ...]  # paths under --data
    out: str  # file name under --out
    what: str
    headline: Callable[[dict[str, Any]], list[Row]]


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


def _cache_rows(r: dict[str, Any]) -> list[Row]:
    rows = []
    for key, label in (("qqp_dev", "QQP dev"), ("gptcache_mock", "GPTCache mock")):
        for name, body in r.items():
            if name.startswith(key) and isinstance(body, dict):
                d = body["at_default_0.95"]
                rows.append(
                    (
                        f"{label}: hit / false hit at 0.95 ({body['pairs']} pairs)",
                        f"{_pct(d['hit_rate_positives'])} / {_pct(d['false_hit_rate_negatives'])}",
                    )
                )
    return rows


def _cache_quality_rows(r: dict[str, Any]) -> list[Row]:
    rows = []
    for run_name, run in r["runs"].items():
        for name, body in run["sets"].items():
            off, on = body["results"]["off@0.95"], body["results"]["default@0.95"]
            rows.append(
                (
                    f"{run_name} {name}: hit / false hit at 0.95, guards off -> default",
                    f"{_pct(off['hit_rate_positives'])} / "
                    f"{_pct(off['false_hit_rate_negatives'])} -> "
                    f"{_pct(on['hit_rate_positives'])} / "
                    f"{_pct(on['false_hit_rate_negatives'])}",
                )
            )
    return rows


def _guards_rows(r: dict[str, Any]) -> list[Row]:
    rows = []
    for name, body in r["sets"].items():
        row = body["by_threshold"].get("0.95") or next(iter(body["by_threshold"].values()))
        after = row["guards"]["default"]
        rows.append(
            (
                f"{name}: false hits at 0.95, no guards -> default guards",
                f"{_pct(row['false_hit_rate'])} -> {_pct(after['false_hit_rate_after'])} "
                f"(hits {_pct(row['hit_rate'])} -> {_pct(after['hit_rate_after'])})",
            )
        )
    return rows


def _router_rows(r: dict[str, Any]) -> list[Row]:
    rows = []
    default = r["default_variant"]
    for split in ("mmlu_heldout_subjects", "routerarena_heldout_benchmarks"):
        body = r["splits"].get(split, {})
        if "routers" not in body:
            continue
        d, rnd = body["routers"][default], body["routers"]["baseline/random"]
        rows.append(
            (
                f"{split}: APGR / CPT(50 %) (random baseline)",
                f"{d['apgr']:.3f} / {_pct(d['cpt50'])} ({rnd['apgr']:.3f} / {_pct(rnd['cpt50'])})",
            )
        )
    return rows


def _prune_rows(r: dict[str, Any]) -> list[Row]:
    rows = []
    article = r.get("article", {})
    if "semroute.prune" in article:
        ours, bm25 = article["semroute.prune"], article.get("BM25 sentences", {})
        for ratio in ("0.25", "0.125"):
            rows.append(
                (
                    f"SQuAD answer survival at {ratio} (BM25 sentences)",
                    f"{ours[ratio]} % ({bm25.get(ratio, 'n/a')} %)",
                )
            )
    if "speed" in r:
        rows.append(
            (
                "prune ms per 1k tokens, wall (encoder)",
                f"{r['speed']['wall_total_ms_per_1k']} ({r['speed']['wall_encoder_ms_per_1k']})",
            )
        )
    return rows


def _prune_eval_rows(r: dict[str, Any]) -> list[Row]:
    body = r.get("heldout", {})
    if "worse_of_two" not in body:
        return []
    rows = [
        (
            f"pruning held-out answer survival at {ratio}: worse set (SQuAD / NQ)",
            f"{body['worse_of_two'][ratio]} % ({body['squad']['worst']['semroute.prune'][ratio]}"
            f" / {body['nq']['worst']['semroute.prune'][ratio]} %)",
        )
        for ratio in ("0.25", "0.125")
    ]
    if "speed" in r:
        nq = r["speed"]["nq"]
        rows.append(
            (
                "prune ms per 1k tokens on NQ, CPU (BM25 sentences)",
                f"{nq['cpu_ms_per_1k']} ({nq['cpu_bm25_sentences_ms_per_1k']})",
            )
        )
    return rows


SETS = (
    QualitySet(
        "cache_pairs",
        "cache.cache_pairs",
        ("paraphrase/qqp_dev.jsonl", "paraphrase/gptcache_mock_data.json"),
        "cache_pairs.json",
        "cache hit / false-hit curves",
        _cache_rows,
    ),
    QualitySet(
        "cache_quality",
        "cache.cache_quality",
        (
            "paraphrase/qqp_dev.jsonl",
            "paraphrase/sick_test_annotated.txt",
            "paraphrase/stsb_dev.csv",
            "paraphrase/gptcache_mock_data.json",
        ),
        "cache_quality.json",
        "SemanticCache hits with guards off and on",
        _cache_quality_rows,
    ),
    QualitySet(
        "guards",
        "cache.guards_eval",
        (
            "paraphrase/qqp_dev.jsonl",
            "paraphrase/sick_test_annotated.txt",
            "paraphrase/stsb_dev.csv",
            "paraphrase/gptcache_mock_data.json",
        ),
        "guards_quality.json",
        "hit guards: hits lost, false hits prevented",
        _guards_rows,
    ),
    QualitySet(
        "router",
        "router.router_eval",
        ("routing/mmlu", "routing/routerarena_sub10"),
        "router_quality.json",
        "routing APGR / CPT, out of fold",
        _router_rows,
    ),
    QualitySet(
        "prune",
        "pruning.prune_squad",
        ("pruning/squad_v2_dev_small.json",),
        "prune_quality.json",
        "pruning answer survival",
        _prune_rows,
    ),
    QualitySet(
        "prune_eval",
        "pruning.prune_eval",
        ("pruning/squad_v2_dev_small.json", "pruning/nq_open_oracle_dev.jsonl.gz"),
        "prune_eval.json",
        "pruning survival, held-out SQuAD and NQ-open",
        _prune_eval_rows,
    ),
)


def _version(module: str) -> str:
    try:
        return str(importlib.import_module(module).__version__)
    except Exception as exc:  # a missing optional package is a fact to report
        return f"unavailable ({type(exc).__name__})"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def environment() -> dict[str, Any]:
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{_cpu_model()}, {os.cpu_count()} CPUs, {platform.platform()}",
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(dirty) if dirty != "unknown" else None,
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "onnxruntime": _version("onnxruntime"),
        "semroute": _version("semroute"),
    }


def run_set(qs: QualitySet, data: Path, out: Path, quick: bool) -> dict[str, Any]:
    missing = [p for p in qs.needs if not (data / p).exists()]
    if missing:
        print(f"== {qs.name}: skipped, no {', '.join(missing)} under {data}", flush=True)
        return {"status": "skipped", "reason": f"missing under {data}: {', '.join(missing)}"}
    target = out / qs.out
    argv = ["--data", str(data), "--out", str(target)] + (["--quick"] if quick else [])
    script = f"benchmarks/{qs.module.replace('.', '/')}.py"
    print(f"== {qs.name} ({qs.what}): {script} {' '.join(argv)}", flush=True)
    started = time.perf_counter()
    try:
        module = importlib.import_module(f"benchmarks.{qs.module}")
        code = module.main(argv)
    except SystemExit as exc:  # argparse errors
        code = exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:
        traceback.print_exc()
        detail = str(exc) or "see the traceback above"
        return {"status": "failed", "error": f"{type(exc).__name__}: {detail}"}
    seconds = round(time.perf_counter() - started, 1)
    if code not in (0, None):
        return {"status": "failed", "error": f"main returned {code}", "seconds": seconds}
    if not target.exists():
        return {"status": "failed", "error": f"{target} was not written", "seconds": seconds}
    report = json.loads(target.read_text(encoding="utf-8"))
    try:
        rows = qs.headline(report)
    except (KeyError, TypeError, StopIteration) as exc:  # a script changed its JSON shape
        rows = [("headline figures", f"not found ({type(exc).__name__}: {exc})")]
    return {"status": "ok", "seconds": seconds, "json": str(target), "headline": rows}


def print_table(summary: dict[str, Any]) -> None:
    env = summary["environment"]
    print()
    print(
        f"semroute quality{' (QUICK: smoke subsets, not results)' if summary['quick'] else ''}"
        f" - {env['date']}, commit {env['git_commit'][:12]}, {env['machine']}"
    )
    rows: list[tuple[str, str, str]] = []
    for name, body in summary["sets"].items():
        if body["status"] != "ok":
            rows.append((name, body["status"], body.get("reason") or body.get("error", "")))
            continue
        for figure, value in body["headline"]:
            rows.append((name, figure, value))
    widths = [max(len(r[i]) for r in [("set", "figure", "value"), *rows]) for i in range(3)]
    line = "| " + " | ".join(f"{{:<{w}}}" for w in widths) + " |"
    print(line.format("set", "figure", "value"))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line.format(*r))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.quality",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--quick", action="store_true", help="small subsets: a smoke run")
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help=f"development data (default {DEFAULT_DATA})"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="directory for the JSON files (default benchmarks/results/; a temporary one with --quick)",
    )
    parser.add_argument(
        "--sets",
        default=",".join(s.name for s in SETS),
        help=f"comma-separated subset of {', '.join(s.name for s in SETS)}",
    )
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = sorted(set(chosen) - {s.name for s in SETS})
    if unknown:
        parser.error(f"unknown set(s): {', '.join(unknown)}")
    out: Path = args.out or (
        Path(tempfile.mkdtemp(prefix="semroute-quality-")) if args.quick else RESULTS
    )
    out.mkdir(parents=True, exist_ok=True)
    data = args.data.resolve()
    if not data.is_dir():
        print(f"no development data at {data}: every set is skipped (pass --data DIR)")
    started = time.perf_counter()
    summary: dict[str, Any] = {
        "command": "python -m benchmarks.quality "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "quick": args.quick,
        "data": str(data),
        "environment": environment(),
        "sets": {},
    }
    for qs in SETS:
        if qs.name in chosen:
            summary["sets"][qs.name] = run_set(qs, data, out, args.quick)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    path = out / "quality_summary.json"
    path.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(summary)
    print(f"\nwrote {path} in {summary['seconds']} s")
    failed = [n for n, b in summary["sets"].items() if b["status"] == "failed"]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
