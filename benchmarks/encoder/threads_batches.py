"""Encoder threads (1 vs 2, idle vs beside a busy process) and batch sizes per length band.

    python -m benchmarks.encoder.threads_batches [--rounds 30] [--out FILE]

Threads: one text of 16, 64 and 256 word pieces through ``Encoder.encode`` (LRU
off) with ``threads=1`` and ``threads=2``, first with nothing of ours running
beside it, then beside a second process of ours (below).
Configurations are interleaved in a shuffled order each round, so the other
helpers' load falls on all of them alike; the load average is recorded.

Second process: a spinning loop (``while True: pass``) or a second encoder
process (1 thread, encoding a 64-word-piece text in a loop, as another worker).

Batches: ``encode(list)`` of 64 distinct texts of one length band (16, 64, 256
word pieces) with ``batch_size`` 1, 2, 4, 8, 16, 32, 64 and no token budget,
then with token budgets (``batch_tokens`` 512, 1024, 2048; ``threads=1``);
figures are ms per text. Result: a new dated
benchmarks/results/encoder_threads_batches-*.json.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._stamp import write_result
from benchmarks.encoder_speed import text_of
from semroute import Encoder

LENGTHS = (16, 64, 256)
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)
BATCH_TEXTS = 64
BUSY = "while True: pass"
# A second worker: another process encoding a 64-word-piece text in a loop, 1 thread.
WORKER = (
    "from semroute import Encoder\n"
    "e = Encoder(threads=1, cache_size=0)\n"
    "t = ' '.join(['word'] * 62)\n"
    "while True: e.encode(t)\n"
)
BESIDE = {"no_extra_process": None, "beside_busy_loop": BUSY, "beside_encoder_process": WORKER}
TOKEN_BUDGETS = (512, 1024, 2048)


def summary(ms: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(ms), 3),
        "p99": round(float(np.percentile(ms, 99)), 3),
        "rounds": len(ms),
    }


def time_threads(rounds: int, beside: str | None) -> dict[str, Any]:
    encoders = {t: Encoder(threads=t, cache_size=0) for t in (1, 2)}
    texts = {n: text_of(n, 0, encoders[1]) for n in LENGTHS}
    configs = [(t, n) for t in encoders for n in LENGTHS]
    times: dict[tuple[int, int], list[float]] = {c: [] for c in configs}
    spinner = subprocess.Popen([sys.executable, "-c", beside]) if beside else None
    try:
        for t, n in configs:
            encoders[t].encode(texts[n])
        rng = random.Random(4)
        for _ in range(rounds):
            rng.shuffle(configs)
            for t, n in configs:
                t0 = time.perf_counter()
                encoders[t].encode(texts[n])
                times[(t, n)].append(1e3 * (time.perf_counter() - t0))
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    out: dict[str, Any] = {"load_average_after": os.getloadavg()[0]}
    for n in LENGTHS:
        one, two = times[(1, n)], times[(2, n)]
        out[str(n)] = {
            "threads_1": summary(one),
            "threads_2": summary(two),
            "p50_ratio_2_to_1": round(statistics.median(two) / statistics.median(one), 3),
        }
    return out


def time_batches(rounds: int) -> dict[str, Any]:
    # Fixed row counts (no token budget), then token budgets (at most 64 rows).
    encoders = {
        str(b): Encoder(threads=1, cache_size=0, batch_size=b, batch_tokens=10**9)
        for b in BATCH_SIZES
    }
    for budget in TOKEN_BUDGETS:
        encoders[f"tokens<={budget}"] = Encoder(
            threads=1, cache_size=0, batch_size=64, batch_tokens=budget
        )
    probe = encoders["1"]
    lists = {n: [text_of(n, i + 1, probe) for i in range(BATCH_TEXTS)] for n in LENGTHS}
    configs = [(b, n) for b in encoders for n in LENGTHS]
    times: dict[tuple[str, int], list[float]] = {c: [] for c in configs}
    rng = random.Random(5)
    for _ in range(rounds):
        rng.shuffle(configs)
        for b, n in configs:
            t0 = time.perf_counter()
            encoders[b].encode(lists[n])
            times[(b, n)].append(1e3 * (time.perf_counter() - t0) / BATCH_TEXTS)
    out: dict[str, Any] = {}
    for n in LENGTHS:
        base = statistics.median(times[("1", n)])
        out[str(n)] = {
            b: {
                **summary(times[(b, n)]),
                "p50_ratio_to_batch_1": round(statistics.median(times[(b, n)]) / base, 3),
            }
            for b in encoders
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="single-text rounds")
    parser.add_argument("--batch-rounds", type=int, default=3, help="rounds of each batch")
    parser.add_argument("--out", type=Path, help="result file (default: a new dated file)")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {
        "what": "Encoder.encode end to end, fp32, LRU off; ms per call (threads) or per "
        f"text (batches of {BATCH_TEXTS} texts)",
        "load_average_before": os.getloadavg()[0],
    }
    for name, beside in BESIDE.items():
        key = f"threads_{name}"
        figures[key] = rows = time_threads(args.rounds, beside)
        for n in LENGTHS:
            r = rows[str(n)]
            print(
                f"{key} {n:>3} tokens: 1 thread p50 {r['threads_1']['p50']:.2f} ms, "
                f"2 threads {r['threads_2']['p50']:.2f} ms (x{r['p50_ratio_2_to_1']:.2f})",
                flush=True,
            )
    figures["batch_sizes_ms_per_text"] = batches = time_batches(args.batch_rounds)
    for n in LENGTHS:
        cells = ", ".join(f"{b}: {row['p50']:.2f}" for b, row in batches[str(n)].items())
        print(f"batch size -> ms/text at {n} tokens: {cells}", flush=True)
    path = write_result("encoder_threads_batches", figures, path=args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
