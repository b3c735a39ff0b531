"""Where one short query's time goes, and which onnxruntime session options change it.

    python -m benchmarks.encoder.session_options [--rounds 60] [--out FILE]

Breakdown of ``Encoder.encode`` on one 16-word-piece text (fp32 and int8,
1 thread, LRU off): tokenise, ``InferenceSession.run``, mean-pool + normalise,
and the whole call (the rest is Python glue). Then ``run`` alone on 16 and 64
word pieces under session options, all interleaved in a shuffled order each
round (same-run ratios to the options Encoder uses: ORT_ENABLE_ALL,
sequential, spinning off). Result: a new dated
benchmarks/results/session_options-*.json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._stamp import write_result
from benchmarks.encoder_speed import text_of
from semroute.encoder.encoder import Encoder

ROOT = Path(__file__).resolve().parents[2]
GRAPHS = {"fp32": ROOT / "models" / "encoder.onnx", "int8": ROOT / "models" / "encoder_int8.onnx"}


def options(name: str) -> Any:
    import onnxruntime as ort

    o = ort.SessionOptions()
    o.log_severity_level = 3
    o.inter_op_num_threads = 1
    o.intra_op_num_threads = 2 if "2 threads" in name else 1
    o.graph_optimization_level = {
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    }.get(name.split()[0], ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    o.add_session_config_entry("session.intra_op.allow_spinning", "1" if "spin" in name else "0")
    if "parallel" in name:
        o.execution_mode = ort.ExecutionMode.ORT_PARALLEL
    if "denormal" in name:
        o.add_session_config_entry("session.set_denormal_as_zero", "1")
    return o


VARIANTS = (
    "encoder default (all, 1 thread, no spin)",
    "extended optimisations",
    "basic optimisations",
    "parallel execution mode",
    "denormals as zero",
    "all, 2 threads, no spin",
    "all, 2 threads, spin",
)


def median_ms(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(1e3 * (time.perf_counter() - t0))
    return round(statistics.median(times), 4)


def breakdown(precision: str, rounds: int) -> dict[str, float]:
    pool = import_module("semroute._pool")
    encoder = Encoder(precision=precision, threads=1, cache_size=0)
    text = text_of(16, 0, encoder)
    tokenizer = encoder._encoding_tokenizer
    ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
    mask = np.ones_like(ids)
    feed = {"input_ids": ids, "attention_mask": mask}
    (hidden,) = encoder._session.run(None, feed)
    encoder.encode(text)
    return {
        "encode_ms": median_ms(lambda: encoder.encode(text), rounds),
        "tokenise_ms": median_ms(lambda: tokenizer.encode(text), rounds),
        "session_run_ms": median_ms(lambda: encoder._session.run(None, feed), rounds),
        "pool_ms": median_ms(lambda: pool.mean_pool_normalize(hidden, mask), rounds),
    }


def sessions_speed(rounds: int) -> dict[str, Any]:
    import onnxruntime as ort

    sessions = {
        (g, v): ort.InferenceSession(str(p), options(v), providers=["CPUExecutionProvider"])
        for g, p in GRAPHS.items()
        for v in VARIANTS
    }
    feeds = {}
    for n in (16, 64):
        ids = np.full((1, n), 2000, dtype=np.int64)
        ids[0, 0], ids[0, -1] = 101, 102
        feeds[n] = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    configs = [(g, v, n) for g, v in sessions for n in feeds]
    times: dict[tuple[str, str, int], list[float]] = {c: [] for c in configs}
    for g, v, n in configs:
        sessions[(g, v)].run(None, feeds[n])
    rng = random.Random(6)
    for _ in range(rounds):
        rng.shuffle(configs)
        for g, v, n in configs:
            t0 = time.perf_counter()
            sessions[(g, v)].run(None, feeds[n])
            times[(g, v, n)].append(1e3 * (time.perf_counter() - t0))
    out: dict[str, Any] = {}
    for g in GRAPHS:
        for n in feeds:
            base = statistics.median(times[(g, VARIANTS[0], n)])
            for v in VARIANTS:
                p50 = statistics.median(times[(g, v, n)])
                out.setdefault(g, {}).setdefault(str(n), {})[v] = {
                    "p50_ms": round(p50, 3),
                    "ratio_to_default": round(p50 / base, 3),
                }
                print(f"{g} {n} tokens {v}: {p50:.2f} ms (x{p50 / base:.2f})", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--out", type=Path, help="result file (default: a new dated file)")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"breakdown_16_tokens": {}}
    for precision in GRAPHS:
        figures["breakdown_16_tokens"][precision] = row = breakdown(precision, 4 * args.rounds)
        print(f"{precision} breakdown: {row}", flush=True)
    figures["session_options_run_only"] = sessions_speed(args.rounds)
    path = write_result("session_options", figures, path=args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
