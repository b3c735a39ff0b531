"""Issue 12.16: prune a 1 MB context with a 5,000-word query, old search against new.

The query's own text is searched in the context (units quoting the question
are always kept). The old search called ``str.find`` again from every hit
plus one, O(n * m) when hits overlap; the new one is Knuth-Morris-Pratt
(``_prunecore.find_all``), O(n + m). Both run here on the same inputs: the
adversarial case (a context that repeats the query's words, so the query is
found at every other offset) and a plain one (random words). The old path is
the numpy twin ``_prunecore_ref.find_all``, which is the old loop.

    nice python -m benchmarks.pruning.prune_long_query [--out benchmarks/results/prune_long_query.json]

No model is run (``lexical_weight=1.0``); token counts use the shipped tokenizer.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.quality.__main__ import environment
from semroute import _prunecore
from semroute.pruning import core_ref as _prunecore_ref
from semroute.pruning import protected as _protected
from semroute.pruning.prune import Pruner

OUT = Path(__file__).resolve().parents[1] / "results" / "prune_long_query.json"


def cases(context_bytes: int, query_words: int) -> dict[str, tuple[str, str]]:
    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(5000)]
    plain_ctx = " ".join(rng.choice(vocab) for _ in range(context_bytes // 6))[:context_bytes]
    plain_q = " ".join(rng.choice(vocab) for _ in range(query_words))
    return {
        # "the cat " * N: the query "the cat the cat ..." occurs at every other word.
        "overlapping hits": (
            ("the cat " * (context_bytes // 8)),
            " ".join(["the cat"] * (query_words // 2)),
        ),
        "random words": (plain_ctx, plain_q),
    }


def time_search(text: str, query: str, kernel) -> float:
    saved = _protected._prunecore
    _protected._prunecore = kernel
    try:
        t0 = time.perf_counter()
        _protected.protected_ranges(text, [], [query])
        return time.perf_counter() - t0
    finally:
        _protected._prunecore = saved


def time_prune(pruner: Pruner, text: str, query: str, kernel) -> float:
    saved = _protected._prunecore
    _protected._prunecore = kernel
    try:
        t0 = time.perf_counter()
        pruner.prune(text, query=query, ratio=0.25)
        return time.perf_counter() - t0
    finally:
        _protected._prunecore = saved


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--context-bytes", type=int, default=1_000_000)
    parser.add_argument("--query-words", type=int, default=5_000)
    parser.add_argument(
        "--skip-old-prune", action="store_true", help="the old whole prune takes ~1 min"
    )
    args = parser.parse_args(argv)
    pruner = Pruner(lexical_weight=1.0)
    results: dict[str, object] = {
        "command": "python -m benchmarks.pruning.prune_long_query "
        + " ".join(argv or sys.argv[1:]),
        **environment(),
        "context_bytes": args.context_bytes,
        "query_words": args.query_words,
        "cases": {},
    }
    for name, (text, query) in cases(args.context_bytes, args.query_words).items():
        time_prune(pruner, text, query, _prunecore)  # warm: piece table, tokenizer
        row = {
            "search_s_old": round(time_search(text, query, _prunecore_ref), 3),
            "search_s_new": round(time_search(text, query, _prunecore), 4),
            "prune_s_new": round(time_prune(pruner, text, query, _prunecore), 3),
        }
        if not args.skip_old_prune:
            row["prune_s_old"] = round(time_prune(pruner, text, query, _prunecore_ref), 3)
        results["cases"][name] = row  # type: ignore[index]
        print(f"{name}: {row}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
