"""semroute's SemanticCache and GPTCache side by side, in one run, same vectors.

    pip install gptcache sqlalchemy   # comparison only; not a semroute dependency
                                      # (measured: gptcache 0.1.44, SQLAlchemy 2.1.9)
    python benchmarks/cache/cache_gptcache.py [--data ../shared/data]

Both caches get the same embedding function (a lookup of vectors the shipped
encoder computed once, cached in benchmarks/.cache/), so the timings are each
cache's own overhead per lookup. GPTCache uses its sqlite + hnswlib data
manager and ``SearchDistanceEvaluation``; on unit vectors its hnswlib L2
distance is ``2 - 2 cos``, so ``similarity_threshold=0.975`` (score
``4 - d >= 3.9``) is cosine >= 0.95, semroute's default; GPTCache's own
default (0.8, cosine >= 0.6) is reported too. Data: GPTCache's
``mock_data.json`` (MIT), as GPTCache's own benchmark uses it: every "origin"
stored, every "similar" queried; a hit with the pair's answer is right, a hit
with another row's answer is wrong. ``--set qqp`` runs the same protocol on a
seeded sample of Quora Question Pairs (research use only): the first question
of every sampled pair is stored in one cache, the second queried; for a
duplicate pair a hit with its own answer is right, any other hit is wrong; for a
non-duplicate pair every hit is wrong (QQP's labels are noisy, so this slightly
overcounts wrong hits for both caches alike).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_data import data_dir, embedded_questions, qqp_pairs, usable
from cache_pairs import Lookup, mock_vectors

from semroute.cache.cache import SemanticCache

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # benchmarks._stamp
from benchmarks._stamp import environment


def run_gptcache(
    origins, queries, embed, threshold: float, tmp: Path
) -> tuple[list[object], list[float]]:  # type: ignore[no-untyped-def]
    from gptcache import Cache, Config
    from gptcache.adapter.api import get, put
    from gptcache.manager import CacheBase, VectorBase, get_data_manager
    from gptcache.processor.pre import get_prompt
    from gptcache.similarity_evaluation.distance import SearchDistanceEvaluation

    cache = Cache()
    manager = get_data_manager(
        CacheBase("sqlite", sql_url=f"sqlite:///{tmp}/gpt_{threshold}.db"),
        VectorBase(
            "hnswlib",
            dimension=384,
            max_elements=max(10_000, 2 * len(origins)),
            index_path=str(tmp / f"gpt_{threshold}.bin"),
        ),
    )
    # GPTCache's hnswlib store returns numpy uint64 ids, which SQLAlchemy 2.x does not
    # match against its integer key (every lookup misses); hand it plain ints.
    search = manager.search
    manager.search = lambda *a, **k: [(float(d), int(i)) for d, i in search(*a, **k)]  # type: ignore[method-assign]
    cache.init(
        pre_embedding_func=get_prompt,
        embedding_func=lambda text, **_: embed(text),
        data_manager=manager,
        similarity_evaluation=SearchDistanceEvaluation(),
        config=Config(similarity_threshold=threshold),
    )
    for i, origin in enumerate(origins):
        put(origin, f"answer {i}", cache_obj=cache)
    answers, times = [], []
    for q in queries:
        t = time.perf_counter()
        answers.append(get(q, cache_obj=cache))
        times.append(time.perf_counter() - t)
    return answers, times


def run_semroute(origins, queries, encoder, threshold: float) -> tuple[list[object], list[float]]:  # type: ignore[no-untyped-def]
    # Similarity alone, as GPTCache decides: the hit guards would refuse some of its hits.
    cache = SemanticCache(encoder=encoder, threshold=threshold, guards=None)
    for i, origin in enumerate(origins):
        cache.put(origin, f"answer {i}")
    answers, times = [], []
    for q in queries:
        t = time.perf_counter()
        hit = cache.get(q)
        times.append(time.perf_counter() - t)
        answers.append(None if hit is None else hit.response)
    return answers, times


def score(answers: list[object], expected: list[str | None]) -> dict[str, int]:
    right = sum(
        a is not None and e is not None and a == e for a, e in zip(answers, expected, strict=True)
    )
    wrong = sum(a is not None and a != e for a, e in zip(answers, expected, strict=True))
    return {"right_hits": right, "wrong_hits": wrong, "misses": len(answers) - right - wrong}


def mock_set(data: Path) -> tuple[list[str], list[str], list[str | None], Lookup]:
    rows = json.loads((data / "paraphrase" / "gptcache_mock_data.json").read_text(encoding="utf-8"))
    _, encoder = mock_vectors(data)
    expected: list[str | None] = [f"answer {i}" for i in range(len(rows))]
    return [r["origin"] for r in rows], [r["similar"] for r in rows], expected, encoder


def qqp_set(data: Path, n: int, seed: int) -> tuple[list[str], list[str], list[str | None], Lookup]:
    questions, vectors, model_id = embedded_questions(data)
    pairs = [p for p in qqp_pairs(data) if usable(p[0]) and usable(p[1]) and p[0] != p[1]]
    pick = np.random.default_rng(seed).permutation(len(pairs))[:n]
    chosen = [pairs[i] for i in sorted(pick)]
    expected: list[str | None] = [
        f"answer {i}" if dup else None for i, (_, _, dup) in enumerate(chosen)
    ]
    return (
        [a for a, _, _ in chosen],
        [b for _, b, _ in chosen],
        expected,
        Lookup(questions, vectors, model_id),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--set", choices=("mock", "qqp"), default="mock")
    parser.add_argument("--pairs", type=int, default=4000, help="QQP pairs sampled (--set qqp)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data = data_dir(args.data)
    if args.set == "mock":
        origins, queries, expected, encoder = mock_set(data)
    else:
        origins, queries, expected, encoder = qqp_set(data, args.pairs, args.seed)

    def embed(text: str) -> np.ndarray:
        return encoder.encode(text)[0]

    report: dict[str, object] = {
        "set": args.set,
        "stored": len(origins),
        "queries": len(queries),
        "queries_with_a_right_answer": sum(e is not None for e in expected),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for label, sem_thr, gpt_thr in (
            ("cosine>=0.95", 0.95, 0.975),
            ("GPTCache default (cosine>=0.6)", 0.6, 0.8),
        ):
            sem_answers, sem_times = run_semroute(origins, queries, encoder, sem_thr)
            gpt_answers, gpt_times = run_gptcache(origins, queries, embed, gpt_thr, Path(tmp))
            sem_p50 = float(np.median(sem_times) * 1e6)
            gpt_p50 = float(np.median(gpt_times) * 1e6)
            report[label] = {
                "semroute": {
                    **score(sem_answers, expected),
                    "lookup_p50_us": sem_p50,
                    "lookup_p99_us": float(np.percentile(sem_times, 99) * 1e6),
                },
                "gptcache": {
                    **score(gpt_answers, expected),
                    "lookup_p50_us": gpt_p50,
                    "lookup_p99_us": float(np.percentile(gpt_times, 99) * 1e6),
                },
                "overhead_ratio_p50": gpt_p50 / sem_p50,
            }
            print(label, json.dumps(report[label]), file=sys.stderr)
    report["environment"] = environment()
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
