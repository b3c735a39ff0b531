"""Does the int8 encoder change the cache's decisions? fp32 vs int8, pair by pair.

    nice python benchmarks/encoder/encoder_decisions.py [--data ../shared/data] [--pairs 4000]

Issue 20's rule: on every development pair set the int8 and fp32 caches make the
same serve / don't-serve decision for >= 99.5 % of pairs at the default threshold
(0.95, default guards on), and the hit rate (positives served) and false-hit rate
(negatives served) each move by no more than their bootstrap noise (here: the
int8 - fp32 difference is within the half-width of fp32's 90 % bootstrap interval).

Each pair goes through the public ``SemanticCache``: one side is ``put`` into its
own namespace, the other is asked with ``get`` (exact-match path, threshold and
guards exactly as a user gets them). Vectors are passed with ``embedding=`` and
cached in benchmarks/.cache/. Sets: QQP dev (Quora's terms: research use only),
GPTCache mock_data (MIT; negatives by re-pairing each origin with row i+7's
paraphrase), SICK test (ENTAILMENT with relatedness >= 4 positive, CONTRADICTION
negative; CC BY-NC-SA 3.0, non-commercial), STS-B dev (>= 4 positive, < 2
negative), and the project's own near-miss fixtures (tests/cache/data/
calibration_pairs.jsonl and the pairs of tests/cache/test_cache_guards.py). Sets
larger than ``--pairs`` are sampled (seeded); sample sizes are in the result.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
# The cache quality scripts it reuses import their siblings by name (run as scripts too).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cache"))
from cache_quality import GivenVectors
from guards_eval import LICENCES, LOADERS, embed

from benchmarks._stamp import write_result
from semroute._text import normalize_query
from semroute.cache.cache import SemanticCache
from semroute.encoder.encoder import Encoder

ROOT = Path(__file__).resolve().parents[2]
Pair = tuple[str, str, bool]
AGREEMENT_FLOOR = 0.995
BOOTSTRAP = 2000
LEVEL = 0.90


def load_fixtures() -> list[Pair]:
    """The project's hand-written near-miss and paraphrase pairs."""
    from tests.cache.test_cache_guards import ADVERSARIAL, PARAPHRASES

    pairs: list[Pair] = []
    path = ROOT / "tests" / "cache" / "data" / "calibration_pairs.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            pairs.append((row["a"], row["b"], bool(row["duplicate"])))
    pairs += [(a, b, False) for a, b, _ in ADVERSARIAL]
    pairs += [(a, b, True) for a, b in PARAPHRASES]
    return pairs


def decisions(
    pairs: list[Pair],
    vectors: dict[str, npt.NDArray[np.float32]],
    encoder: Any,
    threshold: float | None = None,
) -> npt.NDArray[np.bool_]:
    """Served or not, per pair, by a default SemanticCache (threshold 0.95, default guards)."""
    dim = next(iter(vectors.values())).shape[0]
    cache = SemanticCache(encoder=GivenVectors(encoder, dim), max_entries=None)
    served = np.zeros(len(pairs), dtype=bool)
    for i, (a, b, _) in enumerate(pairs):
        ns = f"pair-{i}"
        cache.put(a, i, namespace=ns, embedding=vectors[a])
        hit = cache.get(b, namespace=ns, embedding=vectors[b], threshold=threshold)
        served[i] = hit is not None
    return served


def interval(samples: npt.NDArray[np.float64]) -> list[float]:
    tail = (1 - LEVEL) / 2
    return [float(np.quantile(samples, tail)), float(np.quantile(samples, 1 - tail))]


def compare(
    labels: npt.NDArray[np.bool_],
    fp32: npt.NDArray[np.bool_],
    int8: npt.NDArray[np.bool_],
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Agreement, and each rate with a paired bootstrap over pairs (same resample for both)."""
    out: dict[str, Any] = {
        "pairs": len(labels),
        "positives": int(labels.sum()),
        "negatives": int((~labels).sum()),
        "agreement": float(np.mean(fp32 == int8)),
        "disagreements": int(np.sum(fp32 != int8)),
        "served_by_fp32_only": int(np.sum(fp32 & ~int8)),
        "served_by_int8_only": int(np.sum(int8 & ~fp32)),
    }
    passes = out["agreement"] >= AGREEMENT_FLOOR
    for rate, subset in (("hit_rate", labels), ("false_hit_rate", ~labels)):
        a, b = fp32[subset].astype(float), int8[subset].astype(float)
        if len(a) == 0:
            out[rate] = None
            continue
        picks = rng.integers(0, len(a), size=(BOOTSTRAP, len(a)))
        boot_a, boot_b = a[picks].mean(axis=1), b[picks].mean(axis=1)
        ci_a = interval(boot_a)
        noise = (ci_a[1] - ci_a[0]) / 2
        diff = float(b.mean() - a.mean())
        within = abs(diff) <= noise
        passes = passes and within
        out[rate] = {
            "fp32": float(a.mean()),
            "fp32_ci90": ci_a,
            "int8": float(b.mean()),
            "int8_ci90": interval(boot_b),
            "int8_minus_fp32": diff,
            "difference_ci90": interval(boot_b - boot_a),
            "fp32_noise_half_width": noise,
            "moved_within_noise": within,
        }
    out["passes"] = bool(passes)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--pairs", type=int, default=4000, help="sample per set (seeded)")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "benchmarks" / ".cache")
    parser.add_argument("--out", type=Path, help="result file (default: a new dated file)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--int8-dir",
        type=Path,
        help="compare this encoder directory's default graph (an unshipped int8 candidate) "
        "instead of the shipped Encoder(precision='int8')",
    )
    parser.add_argument(
        "--int8-threshold",
        type=float,
        help="exploration: the int8 side's threshold (default: the cache's default, 0.95)",
    )
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no development data at {args.data}", file=sys.stderr)
        return 2
    encoders = {p: Encoder(threads=args.threads, precision=p) for p in ("fp32", "int8")}
    if args.int8_dir is not None:
        encoders["int8"] = Encoder(args.int8_dir, threads=args.threads)
    rng = np.random.default_rng(20)
    sets: dict[str, list[Pair]] = {name: load(args.data) for name, load in LOADERS.items()}
    sets["near_miss_fixtures"] = load_fixtures()
    report: dict[str, Any] = {
        "rule": f"agreement >= {AGREEMENT_FLOOR:.1%} and |int8 - fp32| <= half-width of "
        f"fp32's {LEVEL:.0%} bootstrap interval, for hit and false-hit rate, on every set",
        "decision": "SemanticCache defaults: threshold 0.95, default guards, exact path",
        "bootstrap": {"resamples": BOOTSTRAP, "level": LEVEL, "paired": True},
        "encoders": {p: e.model_id for p, e in encoders.items()},
        "int8_source": str(args.int8_dir) if args.int8_dir else "shipped precision='int8'",
        "int8_threshold": args.int8_threshold or "cache default (0.95)",
        "licences": {**LICENCES, "near_miss_fixtures": "written for this project"},
        "sets": {},
    }
    for name, loaded in sets.items():
        pairs = [p for p in loaded if normalize_query(p[0]) and normalize_query(p[1])]
        available = len(pairs)
        if len(pairs) > args.pairs:
            keep = np.sort(rng.choice(len(pairs), size=args.pairs, replace=False))
            pairs = [pairs[i] for i in keep]
        texts = sorted({t for a, b, _ in pairs for t in (a, b)})
        labels = np.array([d for _, _, d in pairs], dtype=bool)
        served = {}
        for precision, encoder in encoders.items():
            started = time.perf_counter()
            vectors = embed(texts, encoder, args.cache_dir)
            threshold = args.int8_threshold if precision == "int8" else None
            served[precision] = decisions(pairs, vectors, encoder, threshold)
            print(f"{name} {precision}: {time.perf_counter() - started:.0f} s", flush=True)
        row = compare(labels, served["fp32"], served["int8"], rng)
        row["available_pairs"] = available
        row["texts"] = len(texts)
        report["sets"][name] = row
        print_row(name, row)
    report["passes_everywhere"] = all(r["passes"] for r in report["sets"].values())
    path = write_result("encoder_decisions", report, path=args.out)
    print(f"passes everywhere: {report['passes_everywhere']}; wrote {path}")
    return 0


def print_row(name: str, row: dict[str, Any]) -> None:
    parts = [f"{name}: n={row['pairs']} agreement {100 * row['agreement']:.2f}%"]
    for rate in ("hit_rate", "false_hit_rate"):
        r = row[rate]
        if r is not None:
            parts.append(
                f"{rate} fp32 {100 * r['fp32']:.2f}% int8 {100 * r['int8']:.2f}% "
                f"(diff {100 * r['int8_minus_fp32']:+.2f}, noise {100 * r['fp32_noise_half_width']:.2f})"
            )
    print("; ".join(parts) + f"; passes {row['passes']}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
