"""Answer survival of pruning on NQ-open retrieval contexts and SQuAD, held-out beside tuning.

Issue 18: defaults are chosen on the *tuning* questions of both sets and
judged on the *held-out* ones (split by a hash of the question, see
``prune_data.py``); the headline figure of each ratio is the worse of the two
sets. Per set:

* NQ-open: the gold passage among 10-30 BM25-ranked distractor passages, at a
  random slot and at the first, middle and last slot (``prune_data.py``).
* SQuAD: the question's whole article (~5,300 tokens) as one string
  ("whole"), and all 87 paragraphs of both articles shuffled as a list of
  chunks ("hard").

A question survives when a gold answer string is still in the pruned text.
Methods, same units and token counts: ``semroute.prune`` with the options
under test, BM25 sentence selection, the first N tokens, random sentences.
Speed: ms per 1,000 input tokens with the real encoder (no embedding cache,
one thread), wall and CPU, the encoder's share, beside BM25 selection,
``lexical_weight=1.0`` and ``static_weight=0`` (the static vectors' share) in
the same run; the speed run starts with an empty word-vector memo.

    nice python -m benchmarks.pruning.prune_eval [--data ../shared/data] [--part heldout]
        [--sample N] [--set lexical_weight=1.0 ...] [--speed-questions 24] [--out FILE]

Data: NQ-open via nelson-liu/lost-in-the-middle (MIT; Natural Questions
CC BY-SA 3.0), SQuAD 2.0 (CC BY-SA 4.0) via deepset-ai/haystack (Apache-2.0).
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import statistics
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.pruning.prune_data import POSITIONS, load_nq, part_of
from benchmarks.pruning.prune_squad import (
    Baselines,
    CachedEncoder,
    load_encoder,
    load_squad,
    questions,
    survives,
)
from benchmarks.quality.__main__ import environment
from semroute.pruning.prune import CHUNK_SEPARATOR, Pruner
from semroute.pruning.static import shipped_word_vectors

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "benchmarks" / "results" / "prune_eval.json"
RATIOS = (0.5, 0.25, 0.125)
OURS = "semroute.prune"

Case = tuple[object, str, list[str]]  # context, question, answers
Method = Callable[[object, str, float], str]


def squad_cases(data: Path, part: str, sample: int | None) -> dict[str, list[Case]]:
    articles = load_squad(data)
    whole = {
        i: CHUNK_SEPARATOR.join(p["context"] for p in art["paragraphs"])
        for i, art in enumerate(articles)
    }
    paragraphs = [p["context"] for art in articles for p in art["paragraphs"]]
    random.Random(0).shuffle(paragraphs)
    qs = [x for x in questions(articles) if part_of(x[2]) == part]
    if sample is not None:
        qs = random.Random(7).sample(qs, min(sample, len(qs)))
    return {
        "whole": [(whole[a], q, ans) for a, _, q, ans in qs],
        "hard": [(paragraphs, q, ans) for _, _, q, ans in qs],
    }


def nq_cases(data: Path, part: str, sample: int | None) -> dict[str, list[Case]]:
    items = load_nq(data, part)
    if sample is not None:
        items = random.Random(7).sample(items, min(sample, len(items)))
    return {pos: [(it.context(pos), it.question, it.answers) for it in items] for pos in POSITIONS}


def survival(cases: list[Case], fn: Method) -> dict[str, float]:
    return {
        f"{r:g}": round(100.0 * sum(survives(fn(c, q, r), a) for c, q, a in cases) / len(cases), 1)
        for r in RATIOS
    }


def worst(table: dict[str, dict[str, dict[str, float]]], method: str) -> dict[str, float]:
    """Per ratio, the lowest survival of ``method`` over the variants of one set."""
    return {f"{r:g}": min(v[method][f"{r:g}"] for v in table.values()) for r in RATIOS}


def speed(
    options: dict[str, Any], cases: list[Case], bm25: Baselines, label: str
) -> dict[str, float]:
    """Median ms per 1k input tokens at 25 %: fresh encoder (no cache), wall and CPU."""
    inner = load_encoder()
    # Fresh word-vector memo: the survival runs must not warm the speed run.
    vectors = shipped_word_vectors.__wrapped__()
    pruner = Pruner(encoder=inner, word_vectors=vectors, **options)
    lexical = Pruner(encoder=inner, word_vectors=vectors, **{**options, "lexical_weight": 1.0})
    no_static = Pruner(encoder=inner, **{**options, "static_weight": 0.0})
    pruner.prune(cases[0][0], query=cases[0][1], ratio=0.25)  # load the model and vectors
    rows: dict[str, list[float]] = {
        k: [] for k in ("wall", "enc", "cpu", "lex_cpu", "no_static_cpu", "bm25_cpu")
    }
    for context, q, _ in cases:
        c0 = time.process_time()
        r = pruner.prune(context, query=q, ratio=0.25)
        cpu = time.process_time() - c0
        k = r.original_tokens / 1000.0
        rows["wall"].append(r.elapsed_ms / k)
        rows["enc"].append(r.encoder_ms / k)
        rows["cpu"].append(1e3 * cpu / k)
        c0 = time.process_time()
        lexical.prune(context, query=q, ratio=0.25)
        rows["lex_cpu"].append(1e3 * (time.process_time() - c0) / k)
        c0 = time.process_time()
        no_static.prune(context, query=q, ratio=0.25)
        rows["no_static_cpu"].append(1e3 * (time.process_time() - c0) / k)
        c0 = time.process_time()
        bm25.bm25_sentences(context, q, 0.25)
        rows["bm25_cpu"].append(1e3 * (time.process_time() - c0) / k)
    med = {k: round(statistics.median(v), 2) for k, v in rows.items()}
    out = {
        "calls": len(cases),
        "tokens_median": int(
            statistics.median(
                pruner.prune(c, query=q, ratio=1.0).original_tokens for c, q, _ in cases
            )
        ),
        "wall_ms_per_1k": med["wall"],
        "wall_encoder_ms_per_1k": med["enc"],
        "cpu_ms_per_1k": med["cpu"],
        "cpu_lexical_only_ms_per_1k": med["lex_cpu"],
        "cpu_without_static_vectors_ms_per_1k": med["no_static_cpu"],
        "cpu_bm25_sentences_ms_per_1k": med["bm25_cpu"],
    }
    print(f"  speed {label}: {out}", flush=True)
    return out


def parse_sets(pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        out[key.strip()] = ast.literal_eval(value.strip())
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--part", choices=("heldout", "tuning", "both"), default="both")
    parser.add_argument("--sample", type=int, default=None, help="questions per set and part")
    parser.add_argument("--set", action="append", default=[], help="Pruner option, key=value")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--speed-questions", type=int, default=24, help="0: no speed run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--quick", action="store_true", help="held-out half, 20 questions, 4 speed calls (smoke)"
    )
    args = parser.parse_args(argv)
    for need in ("squad_v2_dev_small.json", "nq_open_oracle_dev.jsonl.gz"):
        if not (args.data / "pruning" / need).exists():
            print(f"no {need} under {args.data}/pruning; pass --data", file=sys.stderr)
            return 2
    if args.quick:
        args.sample, args.speed_questions, args.part = 20, min(args.speed_questions, 4), "heldout"
    options = parse_sets(args.set)
    cached = CachedEncoder(load_encoder())
    pruner = Pruner(encoder=cached, **options)
    base = Baselines(pruner)
    methods: dict[str, Method] = {OURS: lambda c, q, r: pruner.prune(c, query=q, ratio=r).text}
    if not args.no_baselines:
        methods |= {
            "BM25 sentences": base.bm25_sentences,
            "first-N tokens": base.first_n,
            # Seeded per question: one fixed permutation would favour some slots.
            "random sentences": lambda c, q, r: base.random_sentences(
                c, q, r, seed=zlib.crc32(q.encode())
            ),
        }
    parts = ("tuning", "heldout") if args.part == "both" else (args.part,)
    results: dict[str, Any] = {
        "command": "python -m benchmarks.pruning.prune_eval " + " ".join(argv or sys.argv[1:]),
        **environment(),
        "options": repr(pruner.options),
        "split": "held out: sha256('semroute-prune-split:' + question)[0] < 128",
        "sample": args.sample,
    }
    if args.quick:
        results["quick"] = "a subset: smoke, not results"
    for part in parts:
        sets = {
            "squad": squad_cases(args.data, part, args.sample),
            "nq": nq_cases(args.data, part, args.sample),
        }
        body: dict[str, Any] = {}
        for set_name, variants in sets.items():
            table: dict[str, dict[str, dict[str, float]]] = {}
            for v_name, cases in variants.items():
                table[v_name] = {m: survival(cases, fn) for m, fn in methods.items()}
                for m, row in table[v_name].items():
                    print(
                        f"{part:7s} {set_name:5s} {v_name:6s} {m:17s} "
                        + " ".join(f"{x:5.1f}" for x in row.values()),
                        flush=True,
                    )
            body[set_name] = {
                "questions": len(next(iter(variants.values()))),
                "variants": table,
                "worst": {m: worst(table, m) for m in methods},
            }
        body["worse_of_two"] = {
            f"{r:g}": min(body[s]["worst"][OURS][f"{r:g}"] for s in sets) for r in RATIOS
        }
        print(f"{part}: worse of the two sets, {OURS}: {body['worse_of_two']}", flush=True)
        results[part] = body
        cached.save()
    if args.speed_questions > 0:
        rng = random.Random(3)
        nq = nq_cases(args.data, "heldout", None)["random"]
        sq = squad_cases(args.data, "heldout", None)["whole"]
        results["speed"] = {
            "nq": speed(options, rng.sample(nq, min(args.speed_questions, len(nq))), base, "nq"),
            "squad": speed(
                options, rng.sample(sq, min(args.speed_questions, len(sq))), base, "squad"
            ),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
