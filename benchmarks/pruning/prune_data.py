"""Pruning evaluation data: the fixed tuning / held-out split and NQ-open retrieval contexts.

Split: a question is *held out* when the first byte of
``sha256("semroute-prune-split:" + question)`` is below 128 (about half of
each set). Tuning steps only ever see the other half; reports quote the
held-out half. The split depends on the question text alone, so it is the
same on every machine and run.

NQ-open contexts (issue 18): each question's gold passage is hidden among
10-30 distractors, the gold passages of other questions *of the same part*
that score highest under BM25 against the question (so they look relevant)
and hold none of its answer strings. The distractor count and the random
order are seeded by the question's hash; the gold passage is placed at a
random slot or at a fixed one (first, middle, last). A passage is its title
on one line, then its text.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from semroute.pruning.text import STOP_WORDS

POSITIONS = ("random", "first", "middle", "last")
_SALT = "semroute-prune-split:"
_WORD = re.compile(r"\w+")


def _digest(question: str) -> bytes:
    return hashlib.sha256((_SALT + question).encode()).digest()


def held_out(question: str) -> bool:
    """Whether ``question`` is in the held-out part (never used for tuning)."""
    return _digest(question)[0] < 128


def part_of(question: str) -> str:
    return "heldout" if held_out(question) else "tuning"


@dataclass(frozen=True)
class NQItem:
    question: str
    answers: list[str]
    gold: str  # "title\ntext"
    distractors: list[str]  # best-first by BM25 to the question

    def context(self, position: str) -> list[str]:
        """The passages with the gold one at ``position`` (one of POSITIONS)."""
        rng = random.Random(int.from_bytes(_digest(self.question)[1:9], "big"))
        others = list(self.distractors)
        rng.shuffle(others)
        slot = {
            "first": 0,
            "middle": len(others) // 2,
            "last": len(others),
            "random": rng.randint(0, len(others)),
        }[position]
        return [*others[:slot], self.gold, *others[slot:]]


def _terms(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.casefold()) if w not in STOP_WORDS]


def load_nq(data_dir: Path, part: str, *, lo: int = 10, hi: int = 30) -> list[NQItem]:
    """The NQ-open items of ``part`` ("tuning" or "heldout") with their distractors."""
    path = data_dir / "pruning" / "nq_open_oracle_dev.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    rows = [r for r in rows if part_of(r["question"]) == part]
    passages = [f"{r['ctxs'][0]['title']}\n{r['ctxs'][0]['text']}".strip() for r in rows]
    docs = [Counter(_terms(p)) for p in passages]
    lengths = [sum(d.values()) for d in docs]
    avg = sum(lengths) / max(len(lengths), 1)
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys())
    n = len(docs)
    idf = {t: math.log(1.0 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
    items = []
    for i, r in enumerate(rows):
        q = set(_terms(r["question"]))
        scores = []
        for j, d in enumerate(docs):
            if j == i:
                continue
            norm = 0.25 + 0.75 * lengths[j] / avg
            s = sum(idf[t] * d[t] * 2.2 / (d[t] + 1.2 * norm) for t in q if t in d)
            scores.append((-s, j))
        scores.sort()
        k = random.Random(int.from_bytes(_digest(r["question"])[9:17], "big")).randint(lo, hi)
        answers = [a for a in r["answers"] if a]
        chosen = [passages[j] for _, j in scores if not any(a in passages[j] for a in answers)][:k]
        items.append(NQItem(r["question"], answers, passages[i], chosen))
    return items
