"""Where do the cache's decisions stop changing with more tokens? And analyze's cost by length.

    nice python -m benchmarks.encoder.length_cap [--data ../shared/data] [--pairs 300]

Cache: long-prompt pairs, each side a QQP question (duplicate or not: the label)
with the same SQuAD context of 0-300 words around it, before it ("context, then
the question", as a RAG prompt) or after it. Each pair goes through a default
``SemanticCache`` whose encoder keeps ``cap`` word pieces (32 ... 256, the
shipped window): one side is put, the other asked. The cache's long-text rule
applies as shipped (text past the window must be identical), so a smaller cap
can only lose hits, never add a wrong one. Reported per cap: hit rate
(duplicates served), false-hit rate (non-duplicates served), agreement with the
256 decisions, and the median encode time per prompt.

Analyze: ``semroute.analyze`` over a log of prompts of growing length (about
64 word pieces to 100,000 characters; distinct texts, query only), median
seconds per record, to show the cost stops growing past the window.

QQP is research-only (Quora's terms); SQuAD 2.0 is CC BY-SA 4.0.
Result: a new dated benchmarks/results/length_cap-*.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._stamp import write_result
from semroute import analyze
from semroute._text import normalize_query
from semroute.cache.cache import SemanticCache
from semroute.encoder.encoder import Encoder

ROOT = Path(__file__).resolve().parents[2]
CAPS = (32, 64, 128, 192, 256)
Pair = tuple[str, str, bool]


def contexts(data: Path) -> list[str]:
    squad = json.loads((data / "pruning" / "squad_v2_dev_small.json").read_text("utf-8"))
    return [p["context"] for a in squad["data"] for p in a["paragraphs"]]


def long_pairs(data: Path, n: int, rng: random.Random) -> list[tuple[Pair, str]]:
    with (data / "paraphrase" / "qqp_dev.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    rows = [r for r in rows if normalize_query(r["a"]) and normalize_query(r["b"])]
    paragraphs = " ".join(contexts(data)).split()
    out = []
    for i, row in enumerate(rng.sample(rows, n)):
        words = rng.randrange(0, 301)
        start = rng.randrange(len(paragraphs) - words)
        context = " ".join(paragraphs[start : start + words])
        before = i % 2 == 0
        a, b = (
            (f"{context}\n\n{row['a']}", f"{context}\n\n{row['b']}")
            if before
            else (f"{row['a']}\n\n{context}", f"{row['b']}\n\n{context}")
        )
        out.append(
            ((a, b, bool(row["duplicate"])), "context_first" if before else "question_first")
        )
    return out


def decide(pairs: list[Pair], encoder: Encoder) -> tuple[np.ndarray, float]:
    cache = SemanticCache(encoder=encoder, max_entries=None)
    served = np.zeros(len(pairs), dtype=bool)
    seconds = []
    for i, (a, b, _) in enumerate(pairs):
        t0 = time.perf_counter()
        encoder.encode([a, b])
        seconds.append((time.perf_counter() - t0) / 2)
        cache.put(a, i, namespace=f"p{i}")
        served[i] = cache.get(b, namespace=f"p{i}") is not None
    return served, 1e3 * statistics.median(seconds)


def cache_by_cap(data: Path, n: int, threads: int) -> dict[str, Any]:
    rng = random.Random(20)
    rows = long_pairs(data, n, rng)
    pairs = [p for p, _ in rows]
    kinds = np.array([k for _, k in rows])
    labels = np.array([d for _, _, d in pairs])
    probe = Encoder(threads=threads)
    pieces = probe.count_tokens([t for a, b, _ in pairs for t in (a, b)])
    out: dict[str, Any] = {
        "pairs": len(pairs),
        "duplicates": int(labels.sum()),
        "word_pieces_per_prompt": {
            "p10": int(np.percentile(pieces, 10)),
            "p50": int(np.median(pieces)),
            "p90": int(np.percentile(pieces, 90)),
        },
        "caps": {},
    }
    served = {}
    for cap in sorted(CAPS, reverse=True):
        encoder = Encoder(threads=threads, max_tokens=cap)
        served[cap], encode_ms = decide(pairs, encoder)
        row: dict[str, Any] = {"encode_ms_per_prompt_p50": round(encode_ms, 2)}
        for kind in ("all", "context_first", "question_first"):
            pick = np.ones(len(pairs), bool) if kind == "all" else kinds == kind
            s, lab, ref = served[cap][pick], labels[pick], served[max(CAPS)][pick]
            row[kind] = {
                "hit_rate": round(float(s[lab].mean()), 4),
                "false_hit_rate": round(float(s[~lab].mean()), 4),
                "agreement_with_256": round(float((s == ref).mean()), 4),
            }
        out["caps"][str(cap)] = row
        print(f"cap {cap}: {row}", flush=True)
    return out


def analyze_by_length(data: Path, threads: int, records: int) -> dict[str, Any]:
    paragraphs = " ".join(contexts(data)).split()
    encoder = Encoder(threads=threads)
    out = {}
    for chars in (300, 1_000, 3_000, 10_000, 100_000):
        rng = random.Random(chars)
        log = []
        for i in range(records):
            start = rng.randrange(len(paragraphs))
            picked = (paragraphs[(start + j) % len(paragraphs)] for j in range(chars // 4))
            text = " ".join(picked)[:chars]
            log.append({"query": f"{i}: {text}", "cost_usd": 0.01, "model": "gpt-4o"})
        t0 = time.perf_counter()
        analyze(log, encoder=encoder)
        per_record = (time.perf_counter() - t0) / records
        out[str(chars)] = {"ms_per_record": round(1e3 * per_record, 2), "records": records}
        print(
            f"analyze, {chars} characters per query: {1e3 * per_record:.1f} ms/record", flush=True
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--records", type=int, default=40, help="analyze records per length")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, help="result file (default: a new dated file)")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no development data at {args.data}", file=sys.stderr)
        return 2
    figures = {
        "cache_decisions_by_cap": cache_by_cap(args.data, args.pairs, args.threads),
        "analyze_by_query_length": analyze_by_length(args.data, args.threads, args.records),
        "licences": {"qqp": "Quora terms, research use only", "squad_v2": "CC BY-SA 4.0"},
    }
    path = write_result("length_cap", figures, path=args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
