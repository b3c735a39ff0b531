"""Hit quality of SemanticCache with and without hit guards, through the public API.

    python benchmarks/quality/cache_quality.py [--data ../shared/data] [--out FILE]

For every labelled pair, one side is ``put`` into a fresh namespace and the
other is looked up there with ``get``: exactly what a user gets, exact-match
path included. Guards off, the default guards, the default plus ``key_terms``,
and each guard alone are run on the same cache in the same run (per-call
``guards=``), at the default threshold 0.95 and at 0.90. A second GPTCache
scenario stores all 999 origins in one namespace and asks each paraphrase, as
GPTCache's own benchmark does (right / wrong / miss), so a refused best
candidate can fall back to the next one.

Vectors are the shipped encoder's (or ``--model-dir``'s), computed once and
cached in benchmarks/.cache/ (shared with guards_eval.py); lookups pass them
with ``embedding=``. Sets and licences (quote figures with them): QQP dev
(Quora's terms: research use only), GPTCache mock_data (MIT; negatives by
re-pairing each origin with row i+7's paraphrase), STS-B dev (score >= 4
positive, < 2 negative; see stsb_LICENSE.txt), SICK test (ENTAILMENT with
relatedness >= 4 positive, CONTRADICTION negative; CC BY-NC-SA 3.0,
non-commercial).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent))
from guards_eval import LICENCES, LOADERS, embed

from semroute._cache import SemanticCache
from semroute._guards_api import Guards
from semroute._text import normalize_query

ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = (0.95, 0.90)
_OFF = Guards.none()
SETTINGS: dict[str, Guards] = {
    "off": _OFF,
    "default": Guards(),
    "default+key_terms": Guards(key_terms=True),
    "numbers": dataclasses.replace(_OFF, numbers=True),
    "negation": dataclasses.replace(_OFF, negation=True),
    "opposites": dataclasses.replace(_OFF, opposites=True),
    "entities": dataclasses.replace(_OFF, entities=True),
}
# The per-guard and key_terms rows only at the default threshold.
MAIN = ("off", "default")

Pair = tuple[str, str, bool]


class NoEncoder:
    """Gives the cache its dimension; every vector is passed with ``embedding=``."""

    def __init__(self, model_id: str, dim: int) -> None:
        self.model_id = model_id
        self.dim = dim

    def encode(self, texts: str | Sequence[str]) -> npt.NDArray[np.float32]:
        raise AssertionError("the benchmark passes every vector with embedding=")

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [0 for _ in texts]


def runs() -> list[tuple[str, float, Guards]]:
    out = []
    for t in THRESHOLDS:
        for name, guards in SETTINGS.items():
            if t == 0.95 or name in MAIN:
                out.append((f"{name}@{t:.2f}", t, guards))
    return out


def pairwise(
    pairs: list[Pair], vectors: dict[str, npt.NDArray[np.float32]], model_id: str
) -> dict[str, Any]:
    """One namespace per pair; every setting looked up on the same cache."""
    dim = next(iter(vectors.values())).shape[0]
    cache = SemanticCache(encoder=NoEncoder(model_id, dim), max_entries=None, guards=None)
    plan = runs()
    hits = {name: np.zeros(len(pairs), dtype=bool) for name, _, _ in plan}
    exact = 0
    started = time.perf_counter()
    for i, (a, b, _) in enumerate(pairs):
        ns = f"pair-{i}"
        cache.put(a, i, namespace=ns, embedding=vectors[a])
        for name, t, guards in plan:
            hit = cache.get(b, namespace=ns, threshold=t, embedding=vectors[b], guards=guards)
            hits[name][i] = hit is not None
            exact += bool(hit is not None and hit.exact and name == "off@0.95")
    elapsed = time.perf_counter() - started
    labels = np.array([d for _, _, d in pairs], dtype=bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    table = {}
    for name, _, _ in plan:
        h = hits[name]
        right, wrong = int((h & labels).sum()), int((h & ~labels).sum())
        table[name] = {
            "hit_rate_positives": right / n_pos if n_pos else None,
            "false_hit_rate_negatives": wrong / n_neg if n_neg else None,
            "right_hits": right,
            "wrong_hits": wrong,
        }
    for t in THRESHOLDS:
        off, on = hits[f"off@{t:.2f}"], hits[f"default@{t:.2f}"]
        table[f"default@{t:.2f}"]["positives_blocked"] = int((off & ~on & labels).sum())
        table[f"default@{t:.2f}"]["false_hits_prevented"] = int((off & ~on & ~labels).sum())
    stats = cache.stats
    return {
        "pairs": len(pairs),
        "positives": n_pos,
        "negatives": n_neg,
        "exact_repeats": exact,
        "lookups": stats.hits + stats.misses,
        "seconds": round(elapsed, 1),
        "guard_blocks": dict(stats.guard_blocks),
        "results": table,
    }


def mock_one_namespace(
    rows: list[dict[str, str]], vectors: dict[str, npt.NDArray[np.float32]], model_id: str
) -> dict[str, Any]:
    """GPTCache's own protocol: every origin stored together, each paraphrase asked."""
    dim = next(iter(vectors.values())).shape[0]
    out: dict[str, Any] = {}
    for name, guards in (("off", _OFF), ("default", Guards())):
        cache = SemanticCache(encoder=NoEncoder(model_id, dim), max_entries=None, guards=guards)
        for i, row in enumerate(rows):
            cache.put(row["origin"], i, embedding=vectors[row["origin"]])
        right = wrong = miss = 0
        for row in rows:
            hit = cache.get(row["similar"], embedding=vectors[row["similar"]])
            if hit is None:
                miss += 1
            elif rows[hit.response]["origin"] == row["origin"]:
                right += 1  # the same origin text may appear twice
            else:
                wrong += 1
        out[f"{name}@0.95"] = {
            "right": right,
            "wrong": wrong,
            "miss": miss,
            "guard_blocks": dict(cache.stats.guard_blocks),
        }
    return out


QUICK_PAIRS = 150  # --quick: per label and set


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--model-dir", default=None, help="encoder directory (default: shipped)")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "benchmarks" / ".cache")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "cache_quality.json"
    )
    parser.add_argument("--sets", default=",".join(LOADERS))
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"first {QUICK_PAIRS} positives and negatives per set (smoke, not results)",
    )
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no development data at {args.data}", file=sys.stderr)
        return 2
    from semroute._encoder import Encoder

    encoder = Encoder(model_dir=args.model_dir, threads=1)
    report: dict[str, Any] = {
        "command": "python benchmarks/quality/cache_quality.py " + " ".join(argv or sys.argv[1:]),
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "encoder": encoder.model_id,
        "machine": f"{platform.machine()} Python {platform.python_version()}, shared 2-core VM",
        "guards_default": list(Guards().enabled),
        "licences": {},
        "sets": {},
    }
    for name in args.sets.split(","):
        loaded = LOADERS[name](args.data)
        if args.quick:
            positives = [p for p in loaded if p[2]][:QUICK_PAIRS]
            loaded = positives + [p for p in loaded if not p[2]][:QUICK_PAIRS]
        # Texts as guards_eval.py lists them, so both share one embedding cache file.
        texts = sorted({t for a, b, _ in loaded for t in (a, b)})
        # A side that normalises to nothing ("?") is an InputError for the cache: skipped.
        pairs = [p for p in loaded if normalize_query(p[0]) and normalize_query(p[1])]
        vectors = embed(texts, encoder, args.cache_dir)
        report["sets"][name] = pairwise(pairs, vectors, encoder.model_id)
        report["licences"][name] = LICENCES[name]
        if name == "gptcache_mock":
            rows = json.loads(
                (args.data / "paraphrase" / "gptcache_mock_data.json").read_text("utf-8")
            )
            if args.quick:
                rows = [r for r in rows if r["origin"] in vectors and r["similar"] in vectors]
            report["gptcache_mock_one_namespace"] = mock_one_namespace(
                rows, vectors, encoder.model_id
            )
    if args.quick:
        report["quick"] = f"first {QUICK_PAIRS} positives and negatives per set: smoke, not results"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print_table(report)
    print(f"wrote {args.out}")
    return 0


def print_table(report: dict[str, Any]) -> None:
    print(f"encoder {report['encoder']}; hit rate on positives / false-hit rate on negatives")
    header = f"{'set':<20}{'setting':<24}{'hit rate':>10}{'false hits':>12}{'right':>8}{'wrong':>8}"
    print(header)
    for name, data in report["sets"].items():
        for setting, row in data["results"].items():
            hr, fr = row["hit_rate_positives"], row["false_hit_rate_negatives"]
            print(
                f"{name:<20}{setting:<24}{100 * hr:>9.2f}%{100 * fr:>11.2f}%"
                f"{row['right_hits']:>8}{row['wrong_hits']:>8}"
            )
    for setting, row in report.get("gptcache_mock_one_namespace", {}).items():
        print(
            f"gptcache_mock, one namespace, {setting}: right {row['right']} "
            f"wrong {row['wrong']} miss {row['miss']}"
        )


if __name__ == "__main__":
    sys.exit(main())
