"""Code compared as written: the cache's decisions with and without the code rule.

    nice python -m benchmarks.cache.code_quality [--data ../shared/data] [--qqp 4000]

Two kinds of pairs through a default ``SemanticCache`` (shipped encoder, 0.95, guards on),
once as shipped and once with the semantic side of the rule off (``code_parts`` seen as
empty by the lookup), same run:

* code near-misses written for this benchmark: one question over a snippet, and the same
  question over the snippet changed in one place that changes the program (a flipped
  comparison, an operator, a line indented once more, a renamed identifier, another
  argument, another flag). None may be served. Their answers differ; the pairs are
  asked apart (one namespace each) and both as different texts and as texts that fold to
  the same exact key;
* the development pair sets where text carries backticks or line breaks (GPTCache mock
  with its re-paired negatives, STS-B dev, a QQP dev sample): hit and false-hit rates, to
  show what the rule costs on paraphrases.

QQP is research-only (Quora's terms); GPTCache's mock data is MIT; STS-B: see its licence.
Result: a new dated benchmarks/results/code_quality-*.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._stamp import write_result
from benchmarks.cache.shared_context_quality import served
from semroute.cache import lookup
from semroute.encoder.encoder import Encoder

ROOT = Path(__file__).resolve().parents[2]

_SNIPPET = "def area(w, h):\n    if w > 0:\n        return w * h\n    return 0"
_SHELL = "git rebase -i HEAD~3"
_QUESTION = "Why does this return the wrong value?"


def _fenced(code: str) -> str:
    return f"{_QUESTION}\n```python\n{code}\n```"


#: (what changed, first prompt, second prompt): never to be served one for the other.
NEAR_MISSES: list[tuple[str, str, str]] = [
    ("comparison flipped", _fenced(_SNIPPET), _fenced(_SNIPPET.replace("w > 0", "w < 0"))),
    ("operator", _fenced(_SNIPPET), _fenced(_SNIPPET.replace("w * h", "w + h"))),
    (
        "line indented once more",
        _fenced(_SNIPPET),
        _fenced(_SNIPPET.replace("    return 0", "        return 0")),
    ),
    ("identifier case", _fenced(_SNIPPET), _fenced(_SNIPPET.replace("area", "Area"))),
    ("argument", _fenced(_SNIPPET), _fenced(_SNIPPET.replace("(w, h)", "(h, w)"))),
    (
        "unfenced, indented once more",
        f"Fix this:\n{_SNIPPET}",
        f"Fix this:\n{_SNIPPET.replace('    return 0', '        return 0')}",
    ),
    (
        "inline flag",
        f"What does `{_SHELL}` do?",
        f"What does `{_SHELL.replace('-i ', '')}` do?",
    ),
    (
        "inline number",
        f"What does `{_SHELL}` do?",
        f"What does `{_SHELL.replace('3', '30')}` do?",
    ),
    ("inline case", "Is `getUserName` exported in Go?", "Is `GetUserName` exported in Go?"),
    (
        "sql operator",
        "Why is this query slow?\n```sql\nSELECT * FROM t WHERE a = 1 AND b = 2\n```",
        "Why is this query slow?\n```sql\nSELECT * FROM t WHERE a = 1 OR b = 2\n```",
    ),
]


def rates(decisions: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    return {
        "pairs": int(labels.size),
        "duplicates": int(labels.sum()),
        "hit_rate": round(float(decisions[labels].mean()), 4) if labels.any() else None,
        "false_hit_rate": round(float(decisions[~labels].mean()), 4) if (~labels).any() else None,
        "served_duplicates": int(decisions[labels].sum()),
        "served_non_duplicates": int(decisions[~labels].sum()),
    }


def both_ways(pairs: list[tuple[str, str, bool]], encoder: Encoder) -> tuple[Any, Any]:
    on = served(pairs, encoder)
    shipped = lookup.code_parts
    lookup.code_parts = lambda text: ()  # type: ignore[assignment]  # semantic side off
    try:
        off = served(pairs, encoder)
    finally:
        lookup.code_parts = shipped
    return on, off


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--qqp", type=int, default=4000, help="QQP dev pairs (seeded sample)")
    parser.add_argument("--out", type=Path, default=None, help="a scratch file instead")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "benchmarks" / "cache"))
    from guards_eval import LOADERS

    encoder = Encoder(threads=1)
    result: dict[str, Any] = {"command": "python -m benchmarks.cache.code_quality"}

    near = [(a, b, False) for _, a, b in NEAR_MISSES]
    on, off = both_ways(near, encoder)
    result["code_near_misses"] = {
        "pairs": len(near),
        "served_rule_on": int(on.sum()),
        "served_rule_off": int(off.sum()),
        "served_rule_off_cases": [NEAR_MISSES[i][0] for i in np.flatnonzero(off)],
        "cosines": {
            name: round(float(encoder.encode([a])[0] @ encoder.encode([b])[0]), 4)
            for name, a, b in NEAR_MISSES
        },
    }
    for name in ("gptcache_mock", "stsb", "qqp"):
        pairs = LOADERS[name](args.data)
        if name == "qqp":
            pick = np.random.default_rng(0).permutation(len(pairs))[: args.qqp]
            pairs = [pairs[i] for i in sorted(pick)]
        labels = np.array([bool(p[2]) for p in pairs])
        on, off = both_ways([(p[0], p[1], bool(p[2])) for p in pairs], encoder)
        result[name] = {"rule_on": rates(on, labels), "rule_off": rates(off, labels)}
        print(name, result[name], flush=True)
    print("code near-misses", result["code_near_misses"], flush=True)
    path = write_result("code_quality", result, path=args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
