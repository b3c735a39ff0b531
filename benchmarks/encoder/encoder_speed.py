"""fp32 vs int8 encoder speed in one run: p50 / p99 by input length, single and batched.

    nice python benchmarks/encoder/encoder_speed.py [--rounds 40] [--batch 32] [--out FILE]

Inputs are 8, 16, 64 and 256 word pieces long, ``[CLS]``/``[SEP]`` included
(256 is the default ``max_tokens``). Every configuration (precision x threads x
length x single/batched) is timed end to end through ``Encoder.encode`` (LRU
off), and the configurations are interleaved round by round in a shuffled
order, so load from other processes falls on all of them alike: the same-run
ratios are the figures to quote. Batched rows time one call of ``--batch``
texts of that length and also give the time per text. Cold start (fresh
interpreter: ``import semroute`` + ``Encoder(precision=...)`` + first encode)
is measured per precision. The result (with commit, machine, load average and
package versions) goes to a new dated benchmarks/results/encoder_speed-*.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks._stamp import write_result
from semroute import Encoder

LENGTHS = (8, 16, 64, 256)
PRECISIONS = ("fp32", "int8")
THREADS = (1, 2)
# Single-word-piece English words, so a text of n words is n word pieces.
WORDS = [
    "the",
    "customer",
    "asked",
    "how",
    "to",
    "reset",
    "the",
    "password",
    "for",
    "an",
    "old",
    "account",
    "after",
    "the",
    "email",
    "address",
    "was",
    "closed",
    "and",
    "support",
    "said",
    "to",
    "use",
    "the",
    "phone",
    "number",
    "on",
    "file",
    "or",
    "to",
    "visit",
    "a",
    "store",
    "with",
    "a",
    "photo",
    "card",
    "so",
    "the",
    "team",
    "could",
    "check",
    "who",
    "they",
    "are",
]

COLD = r"""
import json, sys, time
t0 = time.perf_counter()
import semroute
t1 = time.perf_counter()
encoder = semroute.Encoder(precision=sys.argv[1])
t2 = time.perf_counter()
encoder.encode("What is the fastest way to learn to touch-type as an adult?")
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "first_encode": t3 - t2, "total": t3 - t0}))
"""


def text_of(tokens: int, offset: int, encoder: Encoder) -> str:
    """A text of exactly ``tokens`` word pieces once [CLS] and [SEP] are added."""
    words = [WORDS[(offset + i) % len(WORDS)] for i in range(tokens - 2)]
    text = " ".join(words)
    assert encoder.count_tokens([text]) == [tokens - 2], text
    return text


def percentiles(ms: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(ms), 3),
        "p99": round(float(np.percentile(ms, 99)), 3),
        "min": round(min(ms), 3),
        "rounds": len(ms),
    }


def cold_start(precision: str, runs: int) -> dict[str, Any]:
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", COLD, precision], capture_output=True, text=True, check=True
        ).stdout
        for key, value in json.loads(out.splitlines()[-1]).items():
            samples.setdefault(key, []).append(1e3 * value)
    return {
        key: {"p50": round(statistics.median(v), 1), "max": round(max(v), 1)}
        for key, v in samples.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="single-text rounds per config")
    parser.add_argument("--batch-rounds", type=int, default=6, help="batch rounds per config")
    parser.add_argument("--batch", type=int, default=32, help="texts per batched call")
    parser.add_argument("--cold-runs", type=int, default=7)
    parser.add_argument("--out", type=Path, help="result file (default: a new dated file)")
    args = parser.parse_args(argv)

    encoders = {
        (p, t): Encoder(precision=p, threads=t, cache_size=0) for p in PRECISIONS for t in THREADS
    }
    probe = encoders[("fp32", 1)]
    single = {n: text_of(n, 0, probe) for n in LENGTHS}
    batches = {n: [text_of(n, i + 1, probe) for i in range(args.batch)] for n in LENGTHS}
    configs = [
        (p, t, n, mode) for p, t in encoders for n in LENGTHS for mode in ("single", "batch")
    ]
    times: dict[tuple[str, int, int, str], list[float]] = {c: [] for c in configs}
    for c in configs:  # warm-up: first runs allocate
        encoders[c[:2]].encode(single[c[2]] if c[3] == "single" else batches[c[2]])
    rng = random.Random(20)
    started = time.perf_counter()
    for r in range(args.rounds):
        order = [c for c in configs if c[3] == "single" or r < args.batch_rounds]
        rng.shuffle(order)
        for p, t, n, mode in order:
            payload = single[n] if mode == "single" else batches[n]
            t0 = time.perf_counter()
            encoders[(p, t)].encode(payload)
            times[(p, t, n, mode)].append(1e3 * (time.perf_counter() - t0))
    elapsed = time.perf_counter() - started

    rows: list[dict[str, Any]] = []
    for p, t, n, mode in configs:
        row: dict[str, Any] = {"precision": p, "threads": t, "tokens": n, "mode": mode}
        row["ms_per_call"] = percentiles(times[(p, t, n, mode)])
        if mode == "batch":
            row["batch"] = args.batch
            row["ms_per_text_p50"] = round(row["ms_per_call"]["p50"] / args.batch, 3)
        base = statistics.median(times[("fp32", t, n, mode)])
        row["p50_ratio_to_fp32_same_threads"] = round(
            statistics.median(times[(p, t, n, mode)]) / base, 3
        )
        rows.append(row)
        per_text = f" ({row['ms_per_text_p50']:.2f} ms/text)" if mode == "batch" else ""
        stats = row["ms_per_call"]
        print(
            f"{p:<5} threads={t} {n:>3} tokens {mode:<6} p50 {stats['p50']:>9.2f} ms "
            f"p99 {stats['p99']:>9.2f} ms{per_text}  x{row['p50_ratio_to_fp32_same_threads']:.2f}",
            flush=True,
        )
    cold = {p: cold_start(p, args.cold_runs) for p in PRECISIONS}
    for p, stages in cold.items():
        print(
            f"cold start {p}: total p50 {stages['total']['p50']} ms (max {stages['total']['max']})"
        )
    figures = {
        "what": "Encoder.encode end to end (tokenise + onnxruntime + pool), LRU off, "
        "configurations interleaved in shuffled order each round",
        "encoders": {p: encoders[(p, 1)].model_id for p in PRECISIONS},
        "rounds": {"single": args.rounds, "batch": args.batch_rounds},
        "timed_seconds": round(elapsed, 1),
        "rows": rows,
        "cold_start_ms": {"runs": args.cold_runs, **cold},
    }
    path = write_result("encoder_speed", figures, path=args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
