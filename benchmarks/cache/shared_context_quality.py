"""Prompts sharing a long context: the cache's decisions with and without the shared-context rule.

    nice python -m benchmarks.cache.shared_context_quality [--data ../shared/data] [--pairs 400]

Pairs as in benchmarks/encoder/length_cap.py: each side a Quora question (duplicate or
not: the label) inside the same SQuAD context of 0-300 words, before or after it. A
default ``SemanticCache`` (shipped encoder, threshold 0.95, guards on) puts one side and
is asked the other, once as shipped and once with the rule off (its word minimum set
out of reach), in the same run, and once on the two questions alone (no context: the
floor the rule can reach). Reported: hit rate (duplicates served) and false-hit rate
(non-duplicates served) for all pairs and by shared-context length, and how many of the
rule's false hits are also served as bare questions.

QQP is research-only (Quora's terms); SQuAD 2.0 is CC BY-SA 4.0.
Result: a new dated benchmarks/results/shared_context_quality-*.json.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._stamp import write_result
from benchmarks.encoder.length_cap import long_pairs
from semroute.cache import shared_context
from semroute.cache.cache import SemanticCache
from semroute.encoder.encoder import Encoder

ROOT = Path(__file__).resolve().parents[2]
BANDS = ((0, 0), (1, 50), (51, 150), (151, 300))


def served(pairs: list[tuple[str, str, bool]], encoder: Encoder) -> np.ndarray:
    cache = SemanticCache(encoder=encoder, max_entries=None)
    out = np.zeros(len(pairs), dtype=bool)
    for i, (a, b, _) in enumerate(pairs):
        cache.put(a, i, namespace=f"p{i}")
        out[i] = cache.get(b, namespace=f"p{i}") is not None
    return out


def rates(decisions: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    return {
        "duplicates": int(labels.sum()),
        "non_duplicates": int((~labels).sum()),
        "hit_rate": round(float(decisions[labels].mean()), 4) if labels.any() else None,
        "false_hit_rate": round(float(decisions[~labels].mean()), 4) if (~labels).any() else None,
        "false_hits": int(decisions[~labels].sum()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--pairs", type=int, default=400)
    parser.add_argument("--out", type=Path, default=None, help="a scratch file instead")
    args = parser.parse_args(argv)

    rows = long_pairs(args.data, args.pairs, random.Random(20))
    pairs = [p for p, _ in rows]
    labels = np.array([d for _, _, d in pairs])
    # the context's words: what the two sides share (their questions differ)
    bare_pairs = [(*question_pair(a, b), d) for a, b, d in pairs]
    shared = np.array(
        [
            len(a.split()) - len(qa.split())
            for (a, _, _), (qa, _, _) in zip(pairs, bare_pairs, strict=True)
        ]
    )
    encoder = Encoder(threads=1)
    shipped_min = shared_context.SHARED_MIN_WORDS
    on = served(pairs, encoder)
    bare = served(bare_pairs, encoder)
    shared_context.SHARED_MIN_WORDS = 10**9  # the rule off: no pair shares that much
    try:
        off = served(pairs, encoder)
    finally:
        shared_context.SHARED_MIN_WORDS = shipped_min
    result: dict[str, Any] = {
        "command": "python -m benchmarks.cache.shared_context_quality",
        "pairs": len(pairs),
        "shared_min_words": shipped_min,
        "rule_on": {"all": rates(on, labels)},
        "rule_off": {"all": rates(off, labels)},
        "bare_questions": {"all": rates(bare, labels)},
        "rule_on_false_hits_also_served_bare": int((on & bare & ~labels).sum()),
    }
    for low, high in BANDS:
        pick = (shared >= low) & (shared <= high)
        name = f"context_words_{low}_{high}"
        result["rule_on"][name] = rates(on[pick], labels[pick])
        result["rule_off"][name] = rates(off[pick], labels[pick])
    for mode in ("rule_on", "rule_off", "bare_questions"):
        print(mode, result[mode]["all"], flush=True)
    path = write_result("shared_context_quality", result, path=args.out)
    print(f"wrote {path}")
    return 0


def question_pair(a: str, b: str) -> tuple[str, str]:
    """The two questions of a pair without their shared context: the paragraph of each prompt
    that differs (length_cap joins question and context with a blank line)."""
    parts_a, parts_b = a.split("\n\n"), b.split("\n\n")
    if len(parts_a) == 2 and len(parts_b) == 2:
        side = 1 if parts_a[0] == parts_b[0] else 0
        return parts_a[side], parts_b[side]
    return a, b


if __name__ == "__main__":
    raise SystemExit(main())
