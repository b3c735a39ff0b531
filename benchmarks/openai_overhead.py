"""What ``semroute.wrap`` adds to an OpenAI SDK call, beside the bare client, in one run.

    python -m benchmarks.openai_overhead              # writes benchmarks/results/openai_overhead.json
    python -m benchmarks.openai_overhead --quick      # fewer rounds, to a temporary directory

Both clients (the real ``openai`` package) talk to the same local HTTP server (loopback,
``tests/openai_fakes.LocalServer``) that answers chat completions, plain and SSE-streamed.
Each round runs, interleaved so drift on the shared machine hits every case alike:

* ``bare``: the unwrapped client, one call (streams read to the end);
* ``miss``: the wrapped client, a question never asked before (lookup, API call, store);
* ``encoder``: the shipped encoder alone on that same question (what any miss must pay);
* ``semantic_hit``: a paraphrase of a stored question (encoder + search + rebuild; no HTTP),
  then the encoder alone on that paraphrase;
* ``exact_hit``: a stored question repeated (no encoder, no HTTP).

The miss overhead is the per-round ``miss - bare - encoder`` and the hit overhead the
per-round ``semantic_hit - encoder`` (medians over rounds). The shipped encoder runs
without its LRU (``cache_size=0``) on one thread, so every text costs a real inference; a
second pass with a bag-of-words fake encoder (~0.2 ms) shows the wrapper's own cost
without the encoder's noise. Medians and p90 in microseconds, on a shared
2-core VM with other jobs running: expect noise in the tails.
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
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SYSTEM = {"role": "system", "content": "You are ACME's support assistant. Answer briefly."}
STORED = "How do I reset my password?"
PARAPHRASE = "How can I reset my password?"  # cosine 0.99 with STORED under the shipped encoder
FAKE_PARAPHRASE = "My password, how do I reset?"  # the fake embeds bags of words: same words


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
        "load_avg_1m": os.getloadavg()[0],
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(dirty) if dirty != "unknown" else None,
        "python": platform.python_version(),
        "openai": _version("openai"),
        "numpy": _version("numpy"),
        "onnxruntime": _version("onnxruntime"),
        "semroute": _version("semroute"),
    }


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e6


def _summary(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values)
    return {
        "median_us": round(float(np.median(arr)), 1),
        "p90_us": round(float(np.percentile(arr, 90)), 1),
        "n": len(values),
    }


def run(rounds: int, encoder: Any, paraphrase: str) -> dict[str, Any]:
    import openai

    import semroute
    from tests.openai_fakes import FakeAPI, LocalServer

    api = FakeAPI()
    results: dict[str, Any] = {}
    with LocalServer(api) as server:
        bare = openai.OpenAI(api_key="bench", base_url=server.url, max_retries=0)
        cache = semroute.SemanticCache(encoder=encoder)
        wrapped = semroute.wrap(
            openai.OpenAI(api_key="bench", base_url=server.url, max_retries=0), cache=cache
        )

        def messages(question: str) -> list[dict[str, str]]:
            return [SYSTEM, {"role": "user", "content": question}]

        for stream in (False, True):

            def call(client: Any, question: str, stream: bool = stream) -> None:
                r = client.chat.completions.create(
                    model="gpt-4o-mini", messages=messages(question), stream=stream
                )
                if stream:
                    for _ in r:
                        pass

            call(wrapped, STORED)  # store the question the hits ask for
            for q in ("warm-up one", "warm-up two"):
                call(bare, q)
                call(wrapped, f"{q} {stream}")
            before = semroute.integrations.openai.counts(wrapped)
            calls_before = api.calls
            cases: dict[str, list[float]] = {
                k: [] for k in ("bare", "miss", "encoder", "semantic_hit", "exact_hit")
            }
            overhead: list[float] = []
            hit_overhead: list[float] = []
            for i in range(rounds):
                question = f"How do I configure option {i} of the {'stream' if stream else 'plain'} admin panel?"
                t_bare = _timed(lambda q=question: call(bare, q))
                t_miss = _timed(lambda q=question: call(wrapped, q))
                t_enc = _timed(lambda q=question: encoder.encode(q))
                cases["bare"].append(t_bare)
                cases["miss"].append(t_miss)
                cases["encoder"].append(t_enc)
                overhead.append(t_miss - t_bare - t_enc)
                t_hit = _timed(lambda: call(wrapped, paraphrase))
                cases["semantic_hit"].append(t_hit)
                hit_overhead.append(t_hit - _timed(lambda: encoder.encode(paraphrase)))
                cases["exact_hit"].append(_timed(lambda: call(wrapped, STORED)))
            summary = {k: _summary(v) for k, v in cases.items()}
            summary["miss_overhead_beyond_bare_and_encoder"] = _summary(overhead)
            # the encoder on the paraphrase itself (a shorter text than the miss questions)
            summary["semantic_hit_beyond_encoder"] = _summary(hit_overhead)
            summary["exact_hit_vs_bare_ratio"] = round(
                summary["exact_hit"]["median_us"] / summary["bare"]["median_us"], 3
            )
            # what the wrapper did in this mode's rounds: every miss round a miss, every hit
            # round a hit, or the timings above mean something else
            now = semroute.integrations.openai.counts(wrapped)
            summary["wrapper_counts"] = {k: v - before.get(k, 0) for k, v in now.items()}
            summary["api_calls"] = api.calls - calls_before
            results["stream" if stream else "plain"] = summary
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="30 rounds, temporary output")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    rounds = 30 if args.quick else args.rounds
    out = args.out or (
        Path(tempfile.mkdtemp()) / "openai_overhead.json"
        if args.quick
        else ROOT / "benchmarks" / "results" / "openai_overhead.json"
    )
    from semroute import Encoder
    from tests.fakes import FakeEncoder

    record = {
        "benchmark": "openai_overhead",
        "command": "python -m benchmarks.openai_overhead" + (" --quick" if args.quick else ""),
        "rounds": rounds,
        "environment": environment(),
        # The shipped encoder without its LRU (every text is new to it) and one thread; then a
        # bag-of-words fake (~0.2 ms) that isolates the wrapper's own cost from the encoder's noise.
        "results": run(rounds, Encoder(threads=1, cache_size=0), PARAPHRASE),
        "results_fake_encoder": run(rounds, FakeEncoder(dim=384), FAKE_PARAPHRASE),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    for key, mode in [
        (k, m) for k in ("results", "results_fake_encoder") for m in ("plain", "stream")
    ]:
        r = record[key][mode]
        print(
            f"{key[8:] or 'shipped':13s} {mode:6s} bare {r['bare']['median_us']:8.0f} µs | miss {r['miss']['median_us']:8.0f}"
            f" (overhead beyond bare+encoder {r['miss_overhead_beyond_bare_and_encoder']['median_us']:6.0f})"
            f" | encoder {r['encoder']['median_us']:6.0f} | semantic hit {r['semantic_hit']['median_us']:6.0f}"
            f" (beyond encoder {r['semantic_hit_beyond_encoder']['median_us']:5.0f})"
            f" | exact hit {r['exact_hit']['median_us']:6.0f}"
        )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
