"""What a put that evicts costs in a graph-indexed namespace, and the options to make it cheap.

At the cap every put evicts one entry and inserts one. hnswlib offers three ways
to do the insert after a ``mark_deleted``:

- ``reuse``: add the new vector under the deleted entry's label (semroute <= 0.1's
  way). hnswlib then *updates* that node in place (``updatePoint``: re-links the
  old neighbourhood and the new one).
- ``replace``: an index made with ``allow_replace_deleted=True`` and
  ``add_items(..., replace_deleted=True)``: hnswlib picks a deleted node for the
  new label, and also re-links it with ``updatePoint``.
- ``fresh``: a new label, a normal insert; deleted nodes stay as tombstones
  until a compaction rebuilds the graph from the live vectors (here every time
  tombstones reach ``--compact-ratio`` of the live size; its cost is amortised
  over the puts between two compactions).

``baseline`` is an insert into a graph without deletes. Recall is the share of
queries (a live vector plus small noise) whose nearest live vector is found,
after the churn. Then the cache itself: ``SemanticCache.put`` at its cap.

    python -m benchmarks.cache.eviction                       # 20k entries, 2,000 evicting puts
    python -m benchmarks.cache.eviction --entries 5000 --puts 500 --out /tmp/e.json

Caveat: a shared 2-core VM; medians over thousands of calls are stable to ~10 %,
p99 is not. hnswlib runs single-threaded as semroute runs it.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import hnswlib
import numpy as np
import numpy.typing as npt

DIM = 384
M = 16
EF_CONSTRUCTION = 100
EF_SEARCH = 32
Matrix = npt.NDArray[np.float32]


def unit(n: int, seed: int) -> Matrix:
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def new_index(capacity: int, *, replace: bool = False) -> Any:
    index = hnswlib.Index(space="ip", dim=DIM)
    index.init_index(
        max_elements=capacity, M=M, ef_construction=EF_CONSTRUCTION, allow_replace_deleted=replace
    )
    index.set_num_threads(1)
    index.set_ef(EF_SEARCH)
    return index


def recall(index: Any, live: dict[int, int], vectors: Matrix, rng: np.random.Generator) -> float:
    """Share of 500 noisy live vectors whose own label comes back first."""
    labels = list(live)
    picks = rng.choice(len(labels), size=min(500, len(labels)), replace=False)
    found = 0
    for pick in picks.tolist():
        label = labels[pick]
        query = vectors[live[label]] + rng.standard_normal(DIM).astype(np.float32) * 0.01
        query /= np.linalg.norm(query)
        got, _ = index.knn_query(query, k=1, num_threads=1)
        found += int(got[0][0]) == label
    return found / len(picks)


def churn(option: str, n: int, puts: int, compact_ratio: float) -> dict[str, Any]:
    """``puts`` evict-then-insert cycles on an ``n``-entry graph; per-put microseconds."""
    base = unit(n + puts, 1)
    index = new_index(2 * n, replace=option == "replace")
    index.add_items(base[:n], np.arange(n), num_threads=1)
    live = {label: label for label in range(n)}  # label -> row of ``base``
    order = list(range(n))  # FIFO eviction: the oldest label goes first
    next_label = n
    tombstones = 0
    compact_s = 0.0
    compactions = 0
    samples = []
    for i in range(puts):
        row = n + i
        started = time.perf_counter()
        if option != "baseline":
            victim = order.pop(0)
            index.mark_deleted(victim)
            del live[victim]
        if option == "reuse":
            label = victim
            index.add_items(base[row : row + 1], np.array([label]), num_threads=1)
        elif option == "replace":
            label = next_label
            next_label += 1
            index.add_items(base[row : row + 1], np.array([label]), replace_deleted=True)
        else:  # fresh and baseline: a new label, a normal insert
            label = next_label
            next_label += 1
            if next_label > index.get_max_elements():
                index.resize_index(2 * index.get_max_elements())
            index.add_items(base[row : row + 1], np.array([label]), num_threads=1)
        samples.append((time.perf_counter() - started) * 1e6)
        live[label] = row
        order.append(label)
        if option == "fresh":
            tombstones += 1
            if tombstones >= compact_ratio * len(live):
                # What the cache does in a background thread: a new graph of the live vectors.
                started = time.perf_counter()
                labels = np.array(list(live), dtype=np.int64)
                vectors = index.get_items(labels, return_type="numpy").astype(np.float32)
                rebuilt = new_index(max(2 * len(labels), 1024))
                rebuilt.add_items(vectors, labels, num_threads=1)
                index = rebuilt
                compact_s += time.perf_counter() - started
                compactions += 1
                tombstones = 0
    rng = np.random.default_rng(7)
    p50 = statistics.median(samples)
    amortised = (sum(samples) + compact_s * 1e6) / puts
    return {
        "option": option,
        "entries": n,
        "puts": puts,
        "put_p50_us": round(p50, 1),
        "put_p99_us": round(float(np.percentile(samples, 99)), 1),
        "put_mean_us": round(statistics.fmean(samples), 1),
        "compactions": compactions,
        "compaction_s_total": round(compact_s, 3),
        "amortised_us_per_put": round(amortised, 1),
        "recall_at_1": round(recall(index, live, base, rng), 4),
    }


def cache_put_at_cap(n: int, puts: int) -> dict[str, Any]:
    """``SemanticCache.put`` with ``max_entries=n`` already full: every put evicts one."""
    from semroute.cache.cache import SemanticCache
    from semroute.cache.config import IndexConfig
    from tests.fakes import FakeEncoder

    vectors = unit(n + puts, 3)
    # The default background build: a compaction runs beside the puts, as in production.
    cache = SemanticCache(encoder=FakeEncoder(dim=DIM), max_entries=n, index=IndexConfig())
    for i in range(n):
        cache.put(f"stored question {i}", "x", embedding=vectors[i])
    cache._wait_index()
    samples = []
    for i in range(n, n + puts):
        started = time.perf_counter()
        cache.put(f"stored question {i}", "x", embedding=vectors[i])
        samples.append((time.perf_counter() - started) * 1e6)
    cache._wait_index()
    assert len(cache) == n
    rng = np.random.default_rng(11)
    hits = 0
    picks = rng.integers(n + puts - n // 2, n + puts, size=300).tolist()
    for i in picks:
        query = vectors[i] + rng.standard_normal(DIM).astype(np.float32) * 0.01
        hit = cache.get(f"another wording {i}", embedding=query / np.linalg.norm(query))
        hits += hit is not None and hit.matched_query == f"stored question {i}"
    evictions = cache.stats.evictions
    cache.close()
    return {
        "entries": n,
        "puts": puts,
        "evictions": evictions,
        "put_p50_us": round(statistics.median(samples), 1),
        "put_p99_us": round(float(np.percentile(samples, 99)), 1),
        "put_mean_us": round(statistics.fmean(samples), 1),
        "recall_recent_half": round(hits / len(picks), 4),
    }


def git_commit() -> tuple[str, bool]:
    def run(*args: str) -> str:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip()

    return run("git", "rev-parse", "--short", "HEAD"), bool(run("git", "status", "--porcelain"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--puts", type=int, default=2_000)
    parser.add_argument("--compact-ratio", type=float, default=0.25)
    parser.add_argument("--options", default="baseline,reuse,replace,fresh")
    parser.add_argument("--no-cache", action="store_true", help="skip the SemanticCache figure")
    parser.add_argument("--cache-only", action="store_true", help="only the SemanticCache figure")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/eviction.json"))
    args = parser.parse_args(argv)
    rows = []
    for option in [] if args.cache_only else args.options.split(","):
        row = churn(option, args.entries, args.puts, args.compact_ratio)
        print(json.dumps(row))
        rows.append(row)
    cache_row = None if args.no_cache else cache_put_at_cap(args.entries, args.puts)
    if cache_row is not None:
        print(json.dumps({"cache": cache_row}))
    commit, dirty = git_commit()
    result = {
        "command": "python -m benchmarks.cache.eviction "
        + " ".join(argv if argv is not None else __import__("sys").argv[1:]),
        "machine": f"{platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, shared 2-core VM",
        "hnswlib": getattr(hnswlib, "__version__", "0.8.0"),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "uncommitted_changes": dirty,
        "dim": DIM,
        "M": M,
        "ef_construction": EF_CONSTRUCTION,
        "ef_search": EF_SEARCH,
        "compact_ratio": args.compact_ratio,
        "hnswlib_options": rows,
        "cache_put_at_cap": cache_row,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
