"""What each hit guard costs and what it saves, on the development pair sets.

For every pair the shipped encoder's cosine is computed once (vectors cached
in benchmarks/.cache/). Among pairs at or above each threshold, a guard that
fires on a *duplicate* costs a hit; one that fires on a *non-duplicate*
prevents a wrong answer. Each guard is measured alone, then the default set
(numbers, negation, opposites, entities, direction) and all (adding the opt-in key_terms).

    python benchmarks/cache/guards_eval.py            # writes benchmarks/results/guards_quality.json
    python benchmarks/cache/guards_eval.py --data ../shared/data --model-dir models

Sets (read where they lie, never copied): QQP dev (Quora terms: research use
only), SICK test (CC BY-NC-SA 3.0: non-commercial), STS-B dev, GPTCache
mock_data (MIT; negatives made by re-pairing each query with another row's
paraphrase). Figures quoted from this script inherit those licences.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from semroute.cache.guards.api import Guards, guard_reason, guard_signature

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # benchmarks._stamp
from benchmarks._stamp import environment

ROOT = Path(__file__).resolve().parents[2]
THRESHOLDS = (0.80, 0.85, 0.88, 0.90, 0.92, 0.95)
_OFF = Guards.none()
SINGLE = {
    "numbers": dataclasses.replace(_OFF, numbers=True),
    "negation": dataclasses.replace(_OFF, negation=True),
    "opposites": dataclasses.replace(_OFF, opposites=True),
    "entities": dataclasses.replace(_OFF, entities=True),
    "direction": dataclasses.replace(_OFF, direction=True),
    "key_terms": dataclasses.replace(_OFF, key_terms=True),
    "default": Guards(),
    "all": Guards(key_terms=True),
}
LICENCES = {
    "qqp": "Quora Question Pairs: Quora's terms, research use only",
    "sick_contradiction": "SICK 2014: CC BY-NC-SA 3.0 (non-commercial)",
    "stsb": "STS benchmark: see stsb_LICENSE.txt (mixed sources)",
    "gptcache_mock": "GPTCache mock_data.json: MIT",
    "hand_written": "written for this project",
}

Pair = tuple[str, str, bool]
QUICK_PAIRS = 150  # --quick: per label and set


def load_qqp(data: Path) -> list[Pair]:
    out = []
    with (data / "paraphrase" / "qqp_dev.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["a"].strip() and row["b"].strip():
                out.append((row["a"], row["b"], bool(row["duplicate"])))
    return out


def load_sick(data: Path) -> list[Pair]:
    out = []
    with (data / "paraphrase" / "sick_test_annotated.txt").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            label = row["entailment_judgment"]
            if label == "CONTRADICTION":
                out.append((row["sentence_A"], row["sentence_B"], False))
            elif label == "ENTAILMENT" and float(row["relatedness_score"]) >= 4.0:
                out.append((row["sentence_A"], row["sentence_B"], True))
    return out


def load_stsb(data: Path) -> list[Pair]:
    out = []
    with (data / "paraphrase" / "stsb_dev.csv").open(encoding="utf-8") as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 7:
                continue
            score = float(cols[4])
            if score >= 4.0:
                out.append((cols[5], cols[6], True))
            elif score < 2.0:
                out.append((cols[5], cols[6], False))
    return out


def load_gptcache(data: Path) -> list[Pair]:
    rows = json.loads((data / "paraphrase" / "gptcache_mock_data.json").read_text("utf-8"))
    n = len(rows)
    pos = [(r["origin"], r["similar"], True) for r in rows]
    # Re-pairing with the next-but-k row: a deterministic, topic-mixed negative.
    neg = [(rows[i]["origin"], rows[(i + 7) % n]["similar"], False) for i in range(n)]
    return pos + neg


LOADERS = {
    "qqp": load_qqp,
    "sick_contradiction": load_sick,
    "stsb": load_stsb,
    "gptcache_mock": load_gptcache,
}


def load_hand_written() -> list[Pair]:
    """The project's own near-misses and paraphrases (tests/cache/data/verifier_pairs.jsonl),
    written for the verifier; not a development set, so not in :data:`LOADERS`."""
    path = ROOT / "tests" / "cache" / "data" / "verifier_pairs.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    return [(r["a"], r["b"], bool(r["duplicate"])) for r in rows]


def embed(texts: list[str], encoder: Any, cache_dir: Path) -> dict[str, np.ndarray]:
    digest = hashlib.sha256(("\n".join(texts) + encoder.model_id).encode()).hexdigest()[:16]
    path = cache_dir / f"guards_{digest}.npy"
    if path.exists():
        vectors = np.load(path)
    else:
        started = time.perf_counter()
        vectors = np.concatenate(
            [encoder.encode(texts[i : i + 256]) for i in range(0, len(texts), 256)]
        )
        print(f"  embedded {len(texts)} texts in {time.perf_counter() - started:.0f} s")
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return {t: vectors[i] for i, t in enumerate(texts)}


def evaluate(
    pairs: list[Pair], sims: np.ndarray, thresholds: tuple[float, ...], examples: dict[str, Any]
) -> dict[str, Any]:
    """Counts per threshold and guard; a few fired pairs go to ``examples`` (not in git)."""
    labels = np.array([d for _, _, d in pairs])
    lowest = min(thresholds)
    sigs: dict[str, Any] = {}
    fired: dict[str, np.ndarray] = {name: np.zeros(len(pairs), bool) for name in SINGLE}
    examples.update({name: [] for name in SINGLE if name != "default"})
    for i, (a, b, dup) in enumerate(pairs):
        if sims[i] < lowest:
            continue
        sa = sigs.setdefault(a, guard_signature(a))
        sb = sigs.setdefault(b, guard_signature(b))
        for name, guards in SINGLE.items():
            if guard_reason(sa, sb, guards) is not None:
                fired[name][i] = True
                if name in examples and sims[i] >= 0.9 and len(examples[name]) < 40:
                    examples[name].append({"a": a, "b": b, "duplicate": dup, "cos": float(sims[i])})
    out: dict[str, Any] = {
        "pairs": len(pairs),
        "duplicates": int(labels.sum()),
        "non_duplicates": int((~labels).sum()),
        "by_threshold": {},
    }
    n_pos = max(int(labels.sum()), 1)
    n_neg = max(int((~labels).sum()), 1)
    for t in thresholds:
        above = sims >= t
        pos_hits = int((above & labels).sum())
        neg_hits = int((above & ~labels).sum())
        row: dict[str, Any] = {
            "hit_rate": pos_hits / n_pos,
            "false_hit_rate": neg_hits / n_neg,
            "duplicate_hits": pos_hits,
            "false_hits": neg_hits,
            "guards": {},
        }
        for name, mask in fired.items():
            blocked_pos = int((above & labels & mask).sum())
            blocked_neg = int((above & ~labels & mask).sum())
            row["guards"][name] = {
                "duplicates_blocked": blocked_pos,
                "false_hits_prevented": blocked_neg,
                "hit_rate_after": (pos_hits - blocked_pos) / n_pos,
                "false_hit_rate_after": (neg_hits - blocked_neg) / n_neg,
            }
        out["by_threshold"][f"{t:.2f}"] = row
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--model-dir", default=None, help="encoder directory (default: shipped)")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "benchmarks" / ".cache")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results" / "guards_quality.json"
    )
    parser.add_argument("--sets", default=",".join([*LOADERS, "hand_written"]))
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"the first {QUICK_PAIRS} duplicates and non-duplicates per set (smoke, not results)",
    )
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no development data at {args.data}", file=sys.stderr)
        return 2
    from semroute.encoder.encoder import Encoder

    encoder = Encoder(model_dir=args.model_dir, threads=1)
    report: dict[str, Any] = {
        "command": "python benchmarks/cache/guards_eval.py " + " ".join(argv or sys.argv[1:]),
        "encoder": encoder.model_id,
        "machine": f"{platform.machine()} {platform.python_version()}, shared 2-core VM",
        "guards_default": list(Guards().enabled),
        "licences": {},
        "sets": {},
    }
    if args.quick:
        report["quick"] = (
            f"first {QUICK_PAIRS} duplicates and non-duplicates per set: smoke, not results"
        )
    for name in args.sets.split(","):
        pairs = load_hand_written() if name == "hand_written" else LOADERS[name](args.data)
        if args.quick:
            dups = [p for p in pairs if p[2]][:QUICK_PAIRS]
            pairs = dups + [p for p in pairs if not p[2]][:QUICK_PAIRS]
        texts = sorted({t for a, b, _ in pairs for t in (a, b)})
        print(f"{name}: {len(pairs)} pairs, {len(texts)} texts")
        vectors = embed(texts, encoder, args.cache_dir)
        sims = np.array([float(vectors[a] @ vectors[b]) for a, b, _ in pairs])
        started = time.perf_counter()
        examples: dict[str, Any] = {}
        report["sets"][name] = evaluate(pairs, sims, THRESHOLDS, examples)
        # Dataset text stays out of git: fired examples go to the ignored cache dir.
        (args.cache_dir / f"guards_examples_{name}.json").write_text(
            json.dumps(examples, indent=1, ensure_ascii=False), encoding="utf-8"
        )
        report["licences"][name] = LICENCES[name]
        print(f"  guards evaluated in {time.perf_counter() - started:.1f} s")
        for t in ("0.90", "0.95"):
            row = report["sets"][name]["by_threshold"][t]
            print(
                f"  @{t}: hit {row['hit_rate']:.3f} false {row['false_hit_rate']:.4f}  "
                + "  ".join(
                    f"{g}:-{v['duplicates_blocked']}/+{v['false_hits_prevented']}"
                    for g, v in row["guards"].items()
                )
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report["environment"] = environment()
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
