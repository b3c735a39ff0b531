"""Cold start of the shipped encoder, each run in a fresh interpreter.

python benchmarks/encoder/cold_start.py --runs 7 [--json benchmarks/results/cold_start-DATE.json]

Prints the median and max over runs of: ``import semroute`` time, the first
``default_encoder()`` (imports onnxruntime + tokenizers, loads the graph),
the first ``encode`` of a question, and their sum (the cold start a user sees).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # benchmarks._stamp
from benchmarks._stamp import write_result

CHILD = r"""
import json, time
t0 = time.perf_counter()
import semroute
t1 = time.perf_counter()
encoder = semroute.default_encoder()
t2 = time.perf_counter()
encoder.encode("What is the fastest way to learn to touch-type as an adult?")
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "first_encode": t3 - t2, "total": t3 - t0}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the samples here, stamped")
    args = parser.parse_args()
    samples: dict[str, list[float]] = {}
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True
        ).stdout
        for key, value in json.loads(out.splitlines()[-1]).items():
            samples.setdefault(key, []).append(1e3 * value)
    print(f"{'stage':<14}{'median ms':>10}{'max ms':>10}   ({args.runs} fresh processes)")
    for key, values in samples.items():
        print(f"{key:<14}{statistics.median(values):>10.1f}{max(values):>10.1f}")
    if args.json:
        figures = {
            "runs": args.runs,
            "ms": {
                key: {"median": statistics.median(v), "max": max(v), "samples": v}
                for key, v in samples.items()
            },
        }
        write_result("cold_start", figures, path=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
