"""Long texts: how to decide a semantic hit when a text is longer than the encoder's window.

    nice python benchmarks/cache/long_text.py [--data ../shared/data] [--out results.json]

The shipped encoder embeds the first 254 word pieces ([CLS]/[SEP] aside); two texts
that share that beginning embed identically. Three rules are compared on pairs
built from the development data (issue #12 item 1):

* ``truncate``: cosine of the embedded windows >= threshold (the rule before the fix);
* ``chunks``: every window-sized chunk of the whole text is embedded; a hit needs the
  same number of chunks and every chunk pair at cosine >= threshold;
* ``tail``: cosine of the windows >= threshold AND the text beyond the window is
  identical once normalised (``semroute._text.normalize_query``).

Pairs (each side is ~400+ words): a long shared prefix (SQuAD paragraphs, a "system
prompt") followed by two QQP questions, duplicates (a hit is wanted) or not (a hit is
a wrong answer), or by two random questions; and long documents (NQ-open passages,
~3,000 words) whose last passage differs (a hit is a wrong answer) or is the same.
QQP is research-only (Quora's terms). Timings: median encode time per text under each
rule (one thread, this machine), including a 1 MB document.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_data import data_dir, qqp_pairs, usable

from semroute._text import normalize_query
from semroute.encoder.encoder import Encoder

THRESHOLD = 0.95


def _environment() -> dict[str, Any]:
    """Date, machine, commit and versions, as every quality result records them."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_quality_main", Path(__file__).resolve().parents[1] / "quality" / "__main__.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return dict(module.environment())


def prefixes(data: Path, n: int, words: int, rng: random.Random) -> list[str]:
    squad = json.loads((data / "pruning" / "squad_v2_dev_small.json").read_text("utf-8"))
    paragraphs = [p["context"] for a in squad["data"] for p in a["paragraphs"]]
    out = []
    for _ in range(n):
        start = rng.randrange(len(paragraphs))
        text: list[str] = []
        i = start
        while len(" ".join(text).split()) < words:
            text.append(paragraphs[i % len(paragraphs)])
            i += 1
        out.append(" ".join(" ".join(text).split()[:words]))
    return out


def passages(data: Path, limit: int) -> list[str]:
    out = []
    with gzip.open(data / "pruning" / "nq_open_oracle_dev.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            out.extend(c["text"] for c in row["ctxs"])
            if len(out) >= limit:
                break
    return out


class Rules:
    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.limit = encoder.max_tokens - 2

    def chunks(self, text: str) -> list[str]:
        enc = self.encoder.tokenizer.encode(text, add_special_tokens=False)
        offsets = enc.offsets
        spans = []
        for lo in range(0, len(offsets), self.limit):
            hi = min(lo + self.limit, len(offsets)) - 1
            spans.append(text[offsets[lo][0] : offsets[hi][1]])
        return spans or [text]

    def tail(self, text: str) -> str | None:
        end = self.encoder.window_end(text)
        return None if end >= len(text) else normalize_query(text[end:])

    def judge(self, a: str, b: str) -> dict[str, bool]:
        head = self.encoder.encode([a, b])
        cos = float(head[0] @ head[1])
        ca, cb = self.chunks(a), self.chunks(b)
        if len(ca) != len(cb):
            chunk_hit = False
        else:
            va, vb = self.encoder.encode(ca), self.encoder.encode(cb)
            chunk_hit = bool(np.all(np.einsum("ij,ij->i", va, vb) >= THRESHOLD))
        return {
            "truncate": cos >= THRESHOLD,
            "chunks": chunk_hit,
            "tail": cos >= THRESHOLD and self.tail(a) == self.tail(b),
        }


def timings(rules: Rules, texts: list[str]) -> dict[str, float]:
    encoder = rules.encoder
    out: dict[str, list[float]] = {"truncate": [], "chunks": [], "tail": []}
    for text in texts:
        t0 = time.perf_counter()
        encoder.encode(text)
        t1 = time.perf_counter()
        rules.tail(text)
        t2 = time.perf_counter()
        encoder.encode(rules.chunks(text))
        t3 = time.perf_counter()
        out["truncate"].append(t1 - t0)
        out["tail"].append(t2 - t0)
        out["chunks"].append(t3 - t2)
    return {k: round(statistics.median(v) * 1e3, 2) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data")
    parser.add_argument("--out", default="benchmarks/results/long_text.json")
    parser.add_argument("--pairs", type=int, default=150)
    args = parser.parse_args(argv)
    data = data_dir(args.data)
    rng = random.Random(12)
    encoder = Encoder(threads=1, cache_size=0)
    rules = Rules(encoder)

    qqp = [p for p in qqp_pairs(data) if usable(p[0]) and usable(p[1])]
    dup = rng.sample([p for p in qqp if p[2]], args.pairs)
    nondup = rng.sample([p for p in qqp if not p[2]], args.pairs)
    singles = [q for a, b, _ in rng.sample(qqp, 2 * args.pairs) for q in (a,)]
    prompts = prefixes(data, 20, 400, rng)
    docs = passages(data, 2000)

    sets: dict[str, tuple[list[tuple[str, str]], bool]] = {
        "prompt400 + duplicate questions": (
            [(f"{rng.choice(prompts)}\n\n", "") for _ in dup],
            True,
        ),
        "prompt400 + different questions (QQP non-duplicates)": (
            [(f"{rng.choice(prompts)}\n\n", "") for _ in nondup],
            False,
        ),
        "prompt400 + random questions": ([(f"{rng.choice(prompts)}\n\n", "") for _ in dup], False),
    }
    built: dict[str, tuple[list[tuple[str, str]], bool]] = {}
    for (name, (heads, wanted)), source in zip(
        sets.items(),
        [
            [(a, b) for a, b, _ in dup],
            [(a, b) for a, b, _ in nondup],
            [(singles[2 * i], singles[2 * i + 1]) for i in range(len(dup))],
        ],
        strict=True,
    ):
        built[name] = (
            [(h + a, h + b) for (h, _), (a, b) in zip(heads, source, strict=True)],
            wanted,
        )
    doc_pairs_diff, doc_pairs_same = [], []
    for _ in range(args.pairs // 3):
        body = " ".join(rng.sample(docs, 25))
        doc_pairs_diff.append((body + " " + rng.choice(docs), body + " " + rng.choice(docs)))
        ending = rng.choice(docs)
        doc_pairs_same.append((body + " " + ending, "  " + body.upper() + "  " + ending))
    built["3k-word doc, different last passage"] = (doc_pairs_diff, False)
    built["3k-word doc, same text (case/space changed)"] = (doc_pairs_same, True)

    results: dict[str, Any] = {}
    for name, (pairs, wanted) in built.items():
        counts = {"truncate": 0, "chunks": 0, "tail": 0}
        for a, b in pairs:
            for rule, hit in rules.judge(a, b).items():
                counts[rule] += hit
        results[name] = {
            "pairs": len(pairs),
            "hit_wanted": wanted,
            "hits": counts,
            "hit_rate": {k: round(v / len(pairs), 4) for k, v in counts.items()},
        }
        print(name, len(pairs), "wanted" if wanted else "WRONG if hit", counts, flush=True)
    question_only = sum(
        float(np.prod(encoder.encode([a, b]), axis=0).sum()) >= THRESHOLD for a, b, _ in dup
    )
    results["duplicate questions alone (reference)"] = {
        "pairs": len(dup),
        "hit_rate": round(question_only / len(dup), 4),
    }
    megabyte = " ".join(docs)[:1_000_000]
    timing = {
        "prompt400+question (ms, median of 30)": timings(
            rules, [a for a, _ in built["prompt400 + duplicate questions"][0][:30]]
        ),
        "3k-word doc (ms, median of 10)": timings(rules, [a for a, _ in doc_pairs_diff[:10]]),
        "1 MB doc (ms, 1 run)": timings(rules, [megabyte]),
    }
    print(json.dumps(timing, indent=1))
    out = {
        **_environment(),
        "command": "nice python benchmarks/cache/long_text.py",
        "model_id": encoder.model_id,
        "threshold": THRESHOLD,
        "window_word_pieces": rules.limit,
        "sets": results,
        "encode_ms": timing,
    }
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
