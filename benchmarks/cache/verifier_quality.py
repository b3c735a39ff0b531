"""The shipped pair verifier beside today's default cache, in the same run.

    python -m benchmarks.cache.verifier_quality [--data ../shared/data] [--out FILE]

For every labelled pair, one side is ``put`` into a fresh namespace of a public
``SemanticCache`` and the other asked with ``get``: (1) today's default (cosine
0.95, default guards) and (2) ``verify="builtin"`` (candidates from the
verifier's candidate cosine, guards first, then the verifier). Sets: the
**test** split of every development set (models/scripts/verifier_data.py: text
groups never trained on and never used to choose a threshold; for Quora the
same held-out groups as train_cache_encoder.py), the held-out template pairs,
and the project's hand-written pairs (tests/cache/data/verifier_pairs.jsonl,
written for this benchmark; and the guard tests' near-misses and paraphrases),
none of whose texts the training data holds (checked here). Cost: wall time
of each verified ``get`` (p50 / p99) and of each verification, one
onnxruntime thread. Vectors are computed once (benchmarks/.cache).

Licences of the figures: Quora (research use), GPTCache mock (MIT), SICK (CC
BY-NC-SA 3.0, non-commercial), STS-B (see stsb_LICENSE.txt).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models" / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks" / "cache"))
from guards_eval import embed  # noqa: E402
from verifier_data import load_all  # noqa: E402
from verifier_templates import template_pairs  # noqa: E402

from benchmarks._stamp import write_result  # noqa: E402
from benchmarks.cache.cache_quality import GivenVectors  # noqa: E402
from semroute.cache.cache import SemanticCache  # noqa: E402
from semroute.cache.verifier import PairVerifier  # noqa: E402

Pair = tuple[str, str, bool, str]


def hand_written() -> dict[str, list[Pair]]:
    from tests.cache.test_guards import BLOCKED, PARAPHRASES

    rows = [
        json.loads(line)
        for line in (ROOT / "tests" / "cache" / "data" / "verifier_pairs.jsonl").open()
        if line.strip()
    ]
    return {
        "hand_near_miss": [(r["a"], r["b"], False, r["kind"]) for r in rows if not r["duplicate"]],
        "hand_paraphrase": [(r["a"], r["b"], True, r["kind"]) for r in rows if r["duplicate"]],
        "guard_tests_near_miss": [(a, b, False, k) for a, b, k in BLOCKED],
        "guard_tests_paraphrase": [(a, b, True, "") for a, b in PARAPHRASES],
    }


def run(
    pairs: list[Pair], vectors: dict[str, Any], encoder: Any, verifier: PairVerifier
) -> dict[str, Any]:
    dim = encoder.dim
    default = SemanticCache(encoder=GivenVectors(encoder, dim), max_entries=None)
    verified = SemanticCache(encoder=GivenVectors(encoder, dim), max_entries=None, verify=verifier)
    served = {"default": np.zeros(len(pairs), bool), "verified": np.zeros(len(pairs), bool)}
    probability: list[float] = []
    lookup_ms: list[float] = []
    for i, (a, b, _, _) in enumerate(pairs):
        ns = f"p{i}"
        for name, cache in (("default", default), ("verified", verified)):
            cache.put(a, i, namespace=ns, embedding=vectors[a])
            before = cache.stats.verifications
            started = time.perf_counter()
            hit = cache.get(b, namespace=ns, embedding=vectors[b])
            took = time.perf_counter() - started
            served[name][i] = hit is not None
            if name == "verified" and cache.stats.verifications > before:
                lookup_ms.append(took * 1e3)
                if hit is not None and hit.verify_probability is not None:
                    probability.append(hit.verify_probability)
    labels = np.array([p[2] for p in pairs])
    out: dict[str, Any] = {"pairs": len(pairs), "positives": int(labels.sum())}
    for name, s in served.items():
        out[name] = {
            "hit_rate": float(s[labels].mean()) if labels.any() else None,
            "false_hit_rate": float(s[~labels].mean()) if (~labels).any() else None,
            "served_wrong": int(s[~labels].sum()),
            "served_right": int(s[labels].sum()),
        }
    stats = verified.stats
    out["verified"]["verifications"] = stats.verifications
    out["verified"]["verify_errors"] = stats.verify_errors
    out["verified"]["verify_ms_mean"] = (
        stats.verify_seconds / stats.verifications * 1e3 if stats.verifications else None
    )
    out["verified"]["verified_lookup_ms"] = lookup_ms
    kinds = sorted({p[3] for p in pairs if p[3]})
    if kinds:
        out["by_kind"] = {
            k: {
                name: int(sum(s[i] for i, p in enumerate(pairs) if p[3] == k))
                for name, s in served.items()
            }
            | {"pairs": sum(p[3] == k for p in pairs)}
            for k in kinds
        }
    served_wrong = [
        {"a": p[0], "b": p[1]} for i, p in enumerate(pairs) if served["verified"][i] and not p[2]
    ]
    if len(pairs) < 200:
        out["verified"]["served_wrong_pairs"] = served_wrong
        out["verified"]["missed_pairs"] = [
            {"a": p[0], "b": p[1]}
            for i, p in enumerate(pairs)
            if p[2] and not served["verified"][i]
        ]
    return out


def collect_sets(
    data: Path, templates: int, seed: int
) -> tuple[dict[str, list[Pair]], dict[str, int]]:
    """Every evaluated set, and how many hand-written pairs share a text with training."""
    from verifier_data import _split

    splits = load_all(data)
    sets: dict[str, list[Pair]] = {
        f"{name}_test": [(p.a, p.b, p.duplicate, "") for p in parts["test"]]
        for name, parts in splits.items()
    }
    made = _split(template_pairs(templates, seed), "templates")
    sets["templates_test"] = [(p.a, p.b, p.duplicate, p.kind) for p in made["test"]]
    hand = hand_written()
    sets.update(hand)
    trained = {t for parts in splits.values() for p in parts["train"] for t in (p.a, p.b)}
    trained |= {t for p in made["train"] for t in (p.a, p.b)}
    leaks = {
        name: sum(p[0] in trained or p[1] in trained for p in pairs) for name, pairs in hand.items()
    }
    return sets, leaks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "benchmarks" / ".cache")
    parser.add_argument("--out", type=Path, help="result file (default: a new dated file)")
    parser.add_argument("--limit", type=int, default=0, help="pairs per set (0: all)")
    args = parser.parse_args(argv)

    from semroute.encoder.encoder import Encoder

    verifier = PairVerifier()
    manifest = verifier.manifest
    record = manifest["training"]
    sets, leaks = collect_sets(
        args.data, int(record["args"]["templates"]), int(record["args"]["seed"])
    )
    if args.limit:
        sets = {k: v[: args.limit] for k, v in sets.items()}
    encoder = Encoder(threads=2, cache_size=0)
    texts = sorted({t for pairs in sets.values() for p in pairs for t in p[:2]})
    vectors = embed(texts, encoder, args.cache_dir)
    results: dict[str, Any] = {}
    all_ms: list[float] = []
    for name, pairs in sets.items():
        started = time.perf_counter()
        results[name] = run(pairs, vectors, encoder, verifier)
        ms = results[name]["verified"].pop("verified_lookup_ms")
        all_ms += ms
        d, v = results[name]["default"], results[name]["verified"]
        print(
            f"{name:24} default hit {d['hit_rate']} false {d['false_hit_rate']} | verified hit "
            f"{v['hit_rate']} false {v['false_hit_rate']} ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    verify_ms = [
        results[n]["verified"]["verify_ms_mean"]
        for n in results
        if results[n]["verified"]["verify_ms_mean"] is not None
    ]
    cost = {
        "verified_lookups": len(all_ms),
        "verified_lookup_p50_ms": float(np.percentile(all_ms, 50)) if all_ms else None,
        "verified_lookup_p99_ms": float(np.percentile(all_ms, 99)) if all_ms else None,
        "verify_ms_mean_by_set": verify_ms,
        "threads": "onnxruntime intra-op 1",
    }
    print(json.dumps(cost), flush=True)
    qqp = results["qqp_test"]
    rule = {
        "default_hit": qqp["default"]["hit_rate"],
        "default_false": qqp["default"]["false_hit_rate"],
        "verified_hit": qqp["verified"]["hit_rate"],
        "verified_false": qqp["verified"]["false_hit_rate"],
    }
    rule["becomes_default"] = bool(
        rule["verified_hit"] >= 2 * rule["default_hit"]
        and rule["verified_false"] <= rule["default_false"]
    )
    report = {
        "what": "pair verifier (verify='builtin') beside the default cache, same run",
        "verifier": {
            "model_id": verifier.model_id,
            "threshold": verifier.threshold,
            "candidate_threshold": verifier.candidate_threshold,
            "quantisation": manifest.get("quantisation"),
        },
        "hand_written_texts_in_training": leaks,
        "sets": results,
        "cost": cost,
        "decision_rule": rule,
        "licences": {
            "qqp": "Quora: research use only",
            "gptcache_mock": "MIT",
            "sick": "CC BY-NC-SA 3.0 (non-commercial)",
            "stsb": "see stsb_LICENSE.txt",
            "templates/hand-written": "written for this project",
        },
        "command": "python -m benchmarks.cache.verifier_quality " + " ".join(argv or sys.argv[1:]),
    }
    path = write_result("verifier_quality", report, path=args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
