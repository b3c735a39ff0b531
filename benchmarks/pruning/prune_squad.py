"""Answer survival of context pruning on SQuAD v2 dev (small), against same-run baselines.

For every answerable question, the whole article is pruned to 50 %, 25 % and
12.5 % of its tokens with the question as the query; a question survives when
any gold answer string is still in the pruned text. Baselines in the same
run: the first N tokens, random sentences, BM25 sentence selection. The hard
set gives all paragraphs of both articles as a shuffled list of chunks.
Speed is milliseconds per 1,000 input tokens, split into the encoder and the
rest, on a subset with the real encoder (no embedding cache).

    python benchmarks/pruning/prune_squad.py [--data ../shared/data] [--speed-questions 8]

Data: SQuAD 2.0 (CC BY-SA 4.0) via deepset-ai/haystack (Apache-2.0); quote
results with that licence.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from semroute import _prunecore
from semroute.pruning import text as pt
from semroute.pruning.context import query_terms
from semroute.pruning.prune import CHUNK_SEPARATOR, Pruner

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # benchmarks._stamp
from benchmarks._stamp import environment

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "benchmarks" / ".cache"
RESULTS = REPO / "benchmarks" / "results" / "prune_quality.json"
RATIOS = (0.5, 0.25, 0.125)
QUICK_ARTICLES, QUICK_QUESTIONS = 2, 40  # --quick


def load_encoder():
    """The shipped encoder (semroute.encoder.encoder), built with one thread."""
    from semroute.encoder.encoder import Encoder

    try:
        return Encoder(threads=1, cache_size=0)
    except TypeError:  # pragma: no cover - older signature
        return Encoder(cache_size=0)


class CachedEncoder:
    """Memoises rows by text, on disk, so tuning runs do not re-embed the same sentences."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.dim = inner.dim
        self.model_id = inner.model_id
        self.path = CACHE / f"prune_squad_{inner.model_id}.npz"
        self.rows: dict[str, np.ndarray] = {}
        if self.path.exists():
            with np.load(self.path) as z:
                self.rows = dict(zip(z["keys"].tolist(), z["rows"], strict=True))
        self.dirty = False

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()

    def encode(self, texts):
        batch = [texts] if isinstance(texts, str) else list(texts)
        keys = [self._key(t) for t in batch]
        missing = [t for t, k in zip(batch, keys, strict=True) if k not in self.rows]
        if missing:
            fresh = self.inner.encode(list(dict.fromkeys(missing)))
            for t, row in zip(dict.fromkeys(missing), fresh, strict=True):
                self.rows[self._key(t)] = row
            self.dirty = True
        return np.stack([self.rows[k] for k in keys]).astype(np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.inner.count_tokens(texts)

    def save(self) -> None:
        if self.dirty:
            CACHE.mkdir(parents=True, exist_ok=True)
            keys = list(self.rows)
            np.savez(self.path, keys=np.array(keys), rows=np.stack([self.rows[k] for k in keys]))


def load_squad(data_dir: Path) -> list[dict]:
    raw = json.loads((data_dir / "pruning" / "squad_v2_dev_small.json").read_text())
    return raw["data"]


def questions(articles: list[dict]) -> list[tuple[int, int, str, list[str]]]:
    out = []
    for a_i, art in enumerate(articles):
        for p_i, par in enumerate(art["paragraphs"]):
            for qa in par["qas"]:
                if qa.get("is_impossible") or not qa["answers"]:
                    continue
                out.append((a_i, p_i, qa["question"], sorted({x["text"] for x in qa["answers"]})))
    return out


# -- baselines: same units and token counts as the pruner --------------------------------


class Baselines:
    def __init__(self, pruner: Pruner) -> None:
        self.pruner = pruner

    def _analysis(self, context):
        source, starts = (
            (context, [])
            if isinstance(context, str)
            else (
                CHUNK_SEPARATOR.join(context),
                list(np.cumsum([0] + [len(c) + len(CHUNK_SEPARATOR) for c in context[:-1]])),
            )
        )
        return self.pruner._analyse(source, [int(s) for s in starts])

    @staticmethod
    def _text(a, keep_units: np.ndarray) -> str:
        return "\n".join(
            a.source[s:e] for (s, e), k in zip(a.unit_spans, keep_units, strict=True) if k
        )

    def first_n(self, context, query: str, ratio: float) -> str:
        a = self._analysis(context)
        budget = int(a.costs.sum() * ratio)
        cum = np.cumsum(a.costs)
        n = int(np.searchsorted(cum, budget, side="right"))
        return a.source[: int(a.ends[n - 1])] if n else ""

    def random_sentences(self, context, query: str, ratio: float, seed: int = 0) -> str:
        a = self._analysis(context)
        costs = np.bincount(a.unit_of, weights=a.costs, minlength=len(a.unit_spans)).astype(
            np.int32
        )
        scores = np.random.default_rng(seed).random(len(a.unit_spans)).astype(np.float32)
        keep = _prunecore.select_units(
            scores, costs, np.zeros(costs.size, np.uint8), int(costs.sum() * ratio)
        )
        return self._text(a, keep)

    def bm25_sentences(self, context, query: str, ratio: float) -> str:
        a = self._analysis(context)
        is_word = a.term_ids >= 0
        per = np.bincount(a.unit_of[is_word], minlength=len(a.unit_spans))
        bounds = np.concatenate([[0], np.cumsum(per)]).astype(np.int64)
        q_ids = query_terms(a, query)
        scores = _prunecore.bm25_scores(a.term_ids[is_word], bounds, q_ids, a.n_terms, 1.2, 0.75)
        costs = np.bincount(a.unit_of, weights=a.costs, minlength=len(a.unit_spans)).astype(
            np.int32
        )
        keep = _prunecore.select_units(
            scores, costs, np.zeros(costs.size, np.uint8), int(costs.sum() * ratio)
        )
        return self._text(a, keep)


def survives(text: str, answers: list[str]) -> bool:
    return any(ans in text for ans in answers)


def run_set(
    name: str,
    contexts: dict[int, object],
    qs,
    methods: dict[str, Callable[[object, str, float], str]],
) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for m_name, fn in methods.items():
        row = {}
        for ratio in RATIOS:
            ok = sum(survives(fn(contexts[a_i], q, ratio), ans) for a_i, _, q, ans in qs)
            row[f"{ratio:g}"] = round(100.0 * ok / len(qs), 1)
        table[m_name] = row
        print(
            f"  {name:5s} {m_name:22s} " + "  ".join(f"{r:>6}%" for r in row.values()), flush=True
        )
    return table


def run_needle(
    articles: list[dict],
    qs,
    methods: dict[str, Callable[[object, str, float], str]],
    count: Callable[[str], int],
) -> dict[str, float]:
    """Budget = one paragraph: the question's paragraph among its article's others, shuffled.

    The ratio per question is the paragraph's share of the article's tokens
    (about 2-3 %), so the pruner must find the right few sentences among ~40
    same-topic paragraphs.
    """
    shuffled = {}
    for a_i, art in enumerate(articles):
        paras = [p["context"] for p in art["paragraphs"]]
        order = list(range(len(paras)))
        random.Random(a_i).shuffle(order)
        total = sum(count(p) for p in paras)
        shuffled[a_i] = ([paras[i] for i in order], [count(p) / total for p in paras])
    row = {}
    for m_name, fn in methods.items():
        ok = 0
        for a_i, p_i, q, ans in qs:
            chunks, shares = shuffled[a_i]
            ok += survives(fn(chunks, q, shares[p_i]), ans)
        row[m_name] = round(100.0 * ok / len(qs), 1)
        print(f"  needle {m_name:22s} {row[m_name]:>6}%  (budget: one paragraph)", flush=True)
    return row


def speed(
    pruner: Pruner, memo: Pruner, contexts: dict[int, object], qs, n: int
) -> dict[str, float]:
    """Median ms per 1,000 input tokens over ``n`` questions per article.

    Wall clock with the real encoder (no embedding cache, one thread), split
    into the encoder and the rest; the CPU time of the same calls; and the
    CPU time of everything but the model, from a second pruner whose encoder
    only looks rows up. The VM is shared, so wall-clock time includes waiting
    for a core; CPU time is what the work costs on a free core.
    """
    wall_total, wall_enc, wall_rest, cpu_rest, cpu_total = [], [], [], [], []
    by_article: dict[int, list] = {}
    for item in qs:
        by_article.setdefault(item[0], []).append(item)
    for a_i, items in by_article.items():
        for _, _, q, _ in random.Random(1).sample(items, min(n, len(items))):
            c0 = time.process_time()
            r = pruner.prune(contexts[a_i], query=q, ratio=0.25)
            cpu_total.append(1e3 * (time.process_time() - c0) / (r.original_tokens / 1000.0))
            k = r.original_tokens / 1000.0
            wall_total.append(r.elapsed_ms / k)
            wall_enc.append(r.encoder_ms / k)
            wall_rest.append((r.elapsed_ms - r.encoder_ms) / k)
            memo.prune(contexts[a_i], query=q, ratio=0.25)  # rows now cached
            t0 = time.process_time()
            memo.prune(contexts[a_i], query=q, ratio=0.25)
            cpu_rest.append(1e3 * (time.process_time() - t0) / k)
    return {
        "calls": len(wall_total),
        "wall_total_ms_per_1k": round(statistics.median(wall_total), 2),
        "wall_encoder_ms_per_1k": round(statistics.median(wall_enc), 2),
        "wall_rest_ms_per_1k": round(statistics.median(wall_rest), 3),
        "cpu_rest_ms_per_1k": round(statistics.median(cpu_rest), 3),
        "cpu_total_ms_per_1k": round(statistics.median(cpu_total), 2),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--speed-questions", type=int, default=8, help="per article, real encoder")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--speed-only", action="store_true", help="skip survival; no JSON written")
    parser.add_argument("--fine", type=float, default=None)
    parser.add_argument("--lexical-weight", type=float, default=None)
    parser.add_argument("--neighbor-weight", type=float, default=None)
    parser.add_argument("--passage-weight", type=float, default=None)
    parser.add_argument("--dense-tokens", type=int, default=None, help="-1: embed every unit")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"first {QUICK_ARTICLES} articles, {QUICK_QUESTIONS} questions, 1 speed question (smoke)",
    )
    args = parser.parse_args(argv)
    if not (args.data / "pruning" / "squad_v2_dev_small.json").exists():
        print(f"no SQuAD file under {args.data}; pass --data", file=sys.stderr)
        return 2

    articles = load_squad(args.data)
    if args.quick:
        articles = articles[:QUICK_ARTICLES]
        args.speed_questions = min(args.speed_questions, 1)
    qs = questions(articles)
    if args.quick:
        qs = qs[:QUICK_QUESTIONS]
    whole = {
        i: CHUNK_SEPARATOR.join(p["context"] for p in art["paragraphs"])
        for i, art in enumerate(articles)
    }
    paragraphs = [p["context"] for art in articles for p in art["paragraphs"]]
    random.Random(0).shuffle(paragraphs)
    hard = dict.fromkeys(whole, paragraphs)

    inner = load_encoder()
    cached = CachedEncoder(inner)
    overrides = {
        k: v
        for k, v in {
            "fine": args.fine,
            "lexical_weight": args.lexical_weight,
            "neighbor_weight": args.neighbor_weight,
            "passage_weight": args.passage_weight,
            "dense_tokens": None if args.dense_tokens == -1 else args.dense_tokens,
        }.items()
        if not (k == "dense_tokens" and args.dense_tokens is None)
        and (v is not None or k == "dense_tokens")
    }
    pruner = Pruner(encoder=cached, **overrides)
    base = Baselines(pruner)
    methods: dict[str, Callable[[object, str, float], str]] = {}
    if not args.no_baselines:
        methods |= {
            "first-N tokens": base.first_n,
            "random sentences": base.random_sentences,
            "BM25 sentences": base.bm25_sentences,
        }
    achieved: list[float] = []

    def semroute_prune(c, q, r):
        out = pruner.prune(c, query=q, ratio=r)
        achieved.append(out.ratio / r)
        return out.text

    methods["semroute.prune"] = semroute_prune
    print(
        f"{len(qs)} answerable questions; survival at ratio "
        + "  ".join(f"{r:>6g}" for r in RATIOS)
    )
    results: dict[str, object] = {"questions": len(qs), "options": repr(pruner.options)}
    if args.quick:
        results["quick"] = "a subset: smoke, not results"
    if args.speed_only:
        fresh = Pruner(encoder=inner, **overrides)
        memo = Pruner(encoder=cached, **overrides)
        print("speed:", speed(fresh, memo, whole, qs, args.speed_questions))
        return 0
    results["article"] = run_set("whole", whole, qs, methods)
    results["hard"] = run_set("hard", hard, qs, methods)
    results["needle"] = run_needle(
        articles, qs, methods, lambda t: sum(cached.count_tokens(pt.pieces(t)[0]))
    )
    if achieved:
        results["kept_over_target"] = {
            "median": round(statistics.median(achieved), 3),
            "max": round(max(achieved), 3),
        }
        print("kept tokens / target tokens:", results["kept_over_target"])
    cached.save()
    if args.speed_questions > 0:
        fresh = Pruner(encoder=inner, **overrides)
        memo = Pruner(encoder=cached, **overrides)
        results["speed"] = speed(fresh, memo, whole, qs, args.speed_questions)
        print("speed (median ms per 1k input tokens):", results["speed"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    results["environment"] = environment()
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
