"""Hit quality of SemanticCache with and without hit guards, through the public API.

    python benchmarks/cache/cache_quality.py [--data ../shared/data] [--out FILE]

For every labelled pair, one side is ``put`` into a fresh namespace and the
other is looked up there with ``get``: exactly what a user gets, exact-match
path included. Guards off, the default guards, the default plus ``key_terms``,
and each guard alone are run on the same cache in the same run (per-call
``guards=``), at the default threshold 0.95 and at 0.90. A second GPTCache
scenario stores all 999 origins in one namespace and asks each paraphrase, as
GPTCache's own benchmark does (right / wrong / miss), so a refused best
candidate can fall back to the next one.

Every figure is computed for each encoder named in ``--encoders`` (the shipped
one by default; a candidate fine-tuned by models/scripts/train_cache_encoder.py
and exported to a directory, side by side in the same run), on the whole file
and on the pairs held out from that script's training split (neither text
trained on: the honest figure for a tuned candidate). Vectors are computed once
and cached in benchmarks/.cache/ (shared with guards_eval.py); lookups pass
them with ``embedding=``. Sets and licences (quote figures with them): QQP dev
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

from semroute._text import normalize_query
from semroute.cache.cache import SemanticCache
from semroute.cache.guards.api import Guards

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # benchmarks._stamp
from benchmarks._stamp import environment

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


class GivenVectors:
    """The cache's encoder when the benchmark passes every query's vector with ``embedding=``.

    Only the shared-context rule (cache/shared_context.py) embeds here: the short
    differing parts of two prompts that share a long context go to the real encoder.
    """

    def __init__(self, encoder: Any, dim: int) -> None:
        self.model_id = encoder.model_id
        self.dim = dim
        self._encoder = encoder

    def encode(self, texts: str | Sequence[str]) -> npt.NDArray[np.float32]:
        vectors: npt.NDArray[np.float32] = self._encoder.encode(texts)
        return vectors

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
    pairs: list[Pair], vectors: dict[str, npt.NDArray[np.float32]], encoder: Any
) -> dict[str, Any]:
    """One namespace per pair; every setting looked up on the same cache."""
    dim = next(iter(vectors.values())).shape[0]
    cache = SemanticCache(encoder=GivenVectors(encoder, dim), max_entries=None, guards=None)
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
    rows: list[dict[str, str]],
    vectors: dict[str, npt.NDArray[np.float32]],
    encoder: Any,
    asked: set[str] | None = None,
) -> dict[str, Any]:
    """GPTCache's own protocol: every origin stored together, each paraphrase asked.

    With ``asked`` (the tuned encoder's training texts), only rows neither of whose
    texts is in it are asked; every origin is still stored.
    """
    dim = next(iter(vectors.values())).shape[0]
    out: dict[str, Any] = {}
    for name, guards in (("off", _OFF), ("default", Guards())):
        cache = SemanticCache(encoder=GivenVectors(encoder, dim), max_entries=None, guards=guards)
        for i, row in enumerate(rows):
            cache.put(row["origin"], i, embedding=vectors[row["origin"]])
        right = wrong = miss = 0
        for row in rows:
            if asked is not None and (row["origin"] in asked or row["similar"] in asked):
                continue
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
STOCK_DIR = ROOT / "benchmarks" / ".cache" / "encoder_stock"
STOCK_BUILD = (
    "python models/scripts/export_encoder.py --force fp32 --no-eval --no-fixture "
    "--out-dir benchmarks/.cache/encoder_stock"
)


def trained_texts(data: Path) -> set[str]:
    """Every text in train_cache_encoder.py's training split (what a candidate saw)."""
    sys.path.insert(0, str(ROOT / "models" / "scripts"))
    from train_cache_encoder import HELD_OUT, load_pairs

    return {t for p in load_pairs(data, HELD_OUT)["train"] for t in (p.a, p.b)}


def encoders(names: list[str], quick: bool) -> dict[str, Any]:
    """``shipped`` = the package's encoder; ``stock`` = all-MiniLM-L6-v2 as exported."""
    from semroute.encoder.encoder import Encoder

    out: dict[str, Any] = {}
    for name in names:
        if name == "shipped":
            out[name] = Encoder(threads=2)
        elif name == "stock":
            if not (STOCK_DIR / "MANIFEST").is_file():
                if quick:
                    print(f"skipping the stock encoder: build it with {STOCK_BUILD}")
                    continue
                sys.exit(f"no stock encoder in {STOCK_DIR}: build it with\n  {STOCK_BUILD}")
            out[name] = Encoder(model_dir=STOCK_DIR, threads=2)
        else:
            out[name] = Encoder(model_dir=name, threads=2)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument(
        "--encoders",
        default="shipped",
        help="comma-separated: shipped, stock (all-MiniLM-L6-v2 as exported by "
        "export_encoder.py) or an encoder directory, e.g. a fine-tuned candidate",
    )
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
    trained = trained_texts(args.data)
    models = encoders(args.encoders.split(","), args.quick)
    report: dict[str, Any] = {
        "command": "python benchmarks/cache/cache_quality.py " + " ".join(argv or sys.argv[1:]),
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "encoders": {name: enc.model_id for name, enc in models.items()},
        "machine": f"{platform.machine()} Python {platform.python_version()}, shared 2-core VM",
        "guards_default": list(Guards().enabled),
        "subsets": {
            "all": "every pair of the file (includes train_cache_encoder.py's training pairs)",
            "held_out": "pairs neither of whose texts is in train_cache_encoder.py's training split",
        },
        "licences": {},
        "runs": {},
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
        held_out = [p for p in pairs if p[0] not in trained and p[1] not in trained]
        report["licences"][name] = LICENCES[name]
        for label, encoder in models.items():
            vectors = embed(texts, encoder, args.cache_dir)
            for subset, chosen in (("all", pairs), ("held_out", held_out)):
                run = report["runs"].setdefault(f"{label}/{subset}", {"sets": {}})
                run["sets"][name] = pairwise(chosen, vectors, encoder)
            if name == "gptcache_mock":
                rows = json.loads(
                    (args.data / "paraphrase" / "gptcache_mock_data.json").read_text("utf-8")
                )
                rows = [r for r in rows if r["origin"] in vectors and r["similar"] in vectors]
                report["runs"][f"{label}/all"]["gptcache_mock_one_namespace"] = mock_one_namespace(
                    rows, vectors, encoder
                )
                report["runs"][f"{label}/held_out"]["gptcache_mock_one_namespace"] = (
                    mock_one_namespace(rows, vectors, encoder, asked=trained)
                )
    if args.quick:
        report["quick"] = f"first {QUICK_PAIRS} positives and negatives per set: smoke, not results"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report["environment"] = environment()
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print_table(report)
    print(f"wrote {args.out}")
    return 0


def print_table(report: dict[str, Any]) -> None:
    print(f"encoders {report['encoders']}; hit rate on positives / false-hit rate on negatives")
    header = f"{'run':<18} {'set':<20}{'setting':<24}{'hit rate':>10}{'false hits':>12}"
    print(header + f"{'right':>8}{'wrong':>8}")
    for run_name, run in report["runs"].items():
        for name, data in run["sets"].items():
            for setting, row in data["results"].items():
                if setting not in ("off@0.95", "default@0.95"):
                    continue
                hr, fr = row["hit_rate_positives"], row["false_hit_rate_negatives"]
                hits = "n/a" if hr is None else f"{100 * hr:.2f}%"
                false = "n/a" if fr is None else f"{100 * fr:.2f}%"
                print(
                    f"{run_name:<18} {name:<20}{setting:<24}{hits:>10}{false:>12}"
                    f"{row['right_hits']:>8}{row['wrong_hits']:>8}"
                )
        for setting, row in run.get("gptcache_mock_one_namespace", {}).items():
            print(
                f"{run_name:<18} gptcache_mock, one namespace, {setting}: right {row['right']} "
                f"wrong {row['wrong']} miss {row['miss']}"
            )


if __name__ == "__main__":
    sys.exit(main())
