"""Leave-one-group-out routing quality: the shipped recipe against prompt length, per group.

    python -m benchmarks.router.router_logo           # ~10-20 min on 2 busy cores
    python -m benchmarks.router.router_logo --quick   # 3 groups held out, smoke only

Issue 17, item 1: every group of the development data is held out in turn
(each MMLU subject, with RouterArena's MMLU_<subject> queries; each RouterArena
source benchmark) and scored by the shipped recipe (models/scripts/train_router.py)
trained on everything else, the written and sanity-set training rows included.
For every group with n >= 30 and a strong-weak gap >= 0.05 it reports APGR
(RouteLLM's definition, benchmarks' own weak and strong models) for the recipe,
prompt length and random (0.5), the recipe's margin over length with a 90 %
bootstrap interval over the group's queries, and the worst group. The
project-written sets that no model trains on (the sanity set's held-out third,
router_sanity.jsonl, the sample log's hard questions against its shop FAQs)
are held-out groups too: "needs the strong tier" is their hard label (weak = 1 - hard,
strong = 1), so a perfect ranking scores 1 - hard share / 2.

Also in the same run: the recipe shipped before this one (no written easy
technical queries, no length prior), the shipped recipe without its length
prior, and a further monotone length prior fused after the fact (logit +
beta x standardised log length) at several betas: the trade-off curve between
the worst group and the pooled figures.

Data: RouteLLM MMLU responses (Apache-2.0; MMLU MIT), RouterArena sub_10
(Apache-2.0 over ~40 public benchmarks, several research-use only): research figures.
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
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "models" / "scripts"))
import train_router as recipe  # noqa: E402

from benchmarks._stamp import write_result  # noqa: E402
from benchmarks.router.router_eval import group_of, load_sample_log_eval, roc_auc  # noqa: E402
from semroute.router.data import embed_cached, load_mmlu, load_routerarena, load_sanity_set  # noqa: E402
from semroute.router.features import route_features  # noqa: E402
from semroute.router.metrics import routing_curve  # noqa: E402
from semroute.router.prefix import route_prefixes  # noqa: E402

MIN_N, MIN_GAP = 30, 0.05  # smaller groups or gaps: APGR swings on one query
PRIOR_BETAS = (0.5, 1.0, 2.0, 5.0, 20.0)
BOOTSTRAP = 300


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.asarray(np.log(p / (1 - p)))


def logo_scores(
    rows: recipe.TrainingRows, groups: np.ndarray, held: list[str], encoder_id: str
) -> np.ndarray:
    """Each development query scored by the recipe fitted without its group (NaN: not held)."""
    out = np.full(rows.n_dev, np.nan)
    every = np.ones(len(rows.labels), bool)
    for g in held:
        mask = groups == g
        keep = every.copy()
        keep[: rows.n_dev][mask] = False
        out[mask] = recipe.fit_rows(rows, keep, encoder_id).scores(
            rows.emb[: rows.n_dev][mask], rows.feats[: rows.n_dev][mask]
        )
    return out


def margin_interval(
    score: np.ndarray, length: np.ndarray, weak: np.ndarray, strong: np.ndarray, seed: int
) -> tuple[float, float]:
    """90 % bootstrap interval of APGR(score) - APGR(length) over the group's queries."""
    rng = np.random.default_rng(seed)
    deltas = []
    for _ in range(BOOTSTRAP):
        i = rng.integers(0, len(score), len(score))
        if strong[i].sum() > weak[i].sum():
            deltas.append(
                routing_curve(score[i], weak[i], strong[i]).apgr
                - routing_curve(length[i], weak[i], strong[i]).apgr
            )
    lo, hi = np.percentile(deltas, [5, 95])
    return float(lo), float(hi)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / ".cache")
    parser.add_argument("--out", type=Path, default=None, help="default: a dated results file")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="hold out 3 groups only (smoke)")
    args = parser.parse_args(argv)

    from semroute.encoder.encoder import Encoder

    started = time.perf_counter()
    encoder = Encoder(threads=args.threads)
    sets = [load_mmlu(args.data), load_routerarena(args.data)]
    groups = np.array([group_of(s.name, g) for s in sets for g in s.groups], dtype=object)
    source = np.concatenate([[s.name] * len(s) for s in sets])
    weak = np.concatenate([s.weak for s in sets])
    strong = np.concatenate([s.strong for s in sets])
    length = np.array([len(t) for s in sets for t in s.texts], float)
    eligible = [
        g
        for g in sorted(set(groups))
        if (groups == g).sum() >= MIN_N
        and strong[groups == g].mean() - weak[groups == g].mean() >= MIN_GAP
    ]
    held = eligible[:3] if args.quick else sorted(set(groups))

    recipes = {
        "shipped": recipe.training_rows(encoder, args.data, args.cache),
        "before (no technical easy rows, no length prior)": recipe.training_rows(
            encoder, args.data, args.cache, tech_weight=0.0, length_prior=0.0
        ),
        "shipped without its length prior": recipe.training_rows(
            encoder, args.data, args.cache, length_prior=0.0
        ),
    }
    scores: dict[str, np.ndarray] = {}
    for name, rows in recipes.items():
        scores[name] = logo_scores(rows, groups, held, encoder.model_id)
        print(f"  {name}: {len(held)} groups held out ({time.perf_counter() - started:.0f} s)")
    scored = ~np.isnan(scores["shipped"])
    log_len = np.log(length)
    z_len = (log_len - log_len.mean()) / log_len.std()
    for beta in PRIOR_BETAS:
        scores[f"shipped + further length prior x{beta}"] = _logit(scores["shipped"]) + beta * z_len
    scores["prompt length"] = length
    scores["random"] = np.zeros(len(length))

    def apgr(s: np.ndarray, mask: np.ndarray) -> float:
        return routing_curve(s[mask], weak[mask], strong[mask]).apgr

    per_group: dict[str, Any] = {}
    for g in (g for g in eligible if g in held):
        mask = groups == g
        row: dict[str, Any] = {
            "n": int(mask.sum()),
            "gap": round(float(strong[mask].mean() - weak[mask].mean()), 3),
            "apgr": {name: round(apgr(s, mask), 4) for name, s in scores.items()},
        }
        lo, hi = margin_interval(
            scores["shipped"][mask], length[mask], weak[mask], strong[mask], args.seed
        )
        row["shipped_minus_length"] = round(
            row["apgr"]["shipped"] - row["apgr"]["prompt length"], 4
        )
        row["ci90"] = [round(lo, 4), round(hi, 4)]
        per_group[g] = row

    summary: dict[str, Any] = {}
    for name in scores:
        margins = {g: r["apgr"][name] - r["apgr"]["prompt length"] for g, r in per_group.items()}
        worst = min(margins, key=lambda g: margins[g])
        pooled = {
            src: round(apgr(scores[name], scored & (source == src)), 4)
            for src in ("mmlu", "routerarena")
            if (scored & (source == src)).any()
        }
        summary[name] = {
            "pooled_apgr": pooled,
            "worst_group": worst,
            "worst_margin_over_length": round(margins[worst], 4),
            "groups_below_length": sorted(g for g, m in margins.items() if m < 0),
            "mean_group_apgr": round(
                float(np.mean([r["apgr"][name] for r in per_group.values()])), 4
            ),
        }
    significant = sorted(g for g, r in per_group.items() if r["ci90"][1] < 0)

    # Project-written held-out groups: never trained on by any recipe here.
    sanity_train, sanity_held = load_sanity_set()
    del sanity_train
    old = [
        json.loads(line)
        for line in (ROOT / "tests" / "router" / "data" / "router_sanity.jsonl").open()
        if line.strip()
    ]
    log_hard, log_faqs = load_sample_log_eval()
    written: dict[str, Any] = {}
    full = recipe.fit_rows(
        recipes["shipped"], np.ones(len(recipes["shipped"].labels), bool), encoder.model_id
    )
    for name, queries, hard in (
        (
            "sanity set, held-out third",
            [r.query for r in sanity_held],
            [r.hard for r in sanity_held],
        ),
        ("router_sanity.jsonl (2026-11)", [r["query"] for r in old], [r["hard"] for r in old]),
        (
            "sample log hard vs shop FAQs",
            log_hard + log_faqs,
            [1] * len(log_hard) + [0] * len(log_faqs),
        ),
    ):
        y = np.array(hard, float)
        s = full.scores(
            embed_cached(
                encoder, route_prefixes(queries, encoder, recipe.DEFAULT_ROUTE_TOKENS), args.cache
            ),
            route_features(queries),
        )
        n_chars = np.array([len(q) for q in queries], float)
        w, st = 1.0 - y, np.ones(len(y))
        written[name] = {
            "n": len(y),
            "apgr": {
                "shipped": round(routing_curve(s, w, st).apgr, 4),
                "prompt length": round(routing_curve(n_chars, w, st).apgr, 4),
                "random": 0.5,
                "perfect": round(1 - y.mean() / 2, 4),
            },
            "roc_auc": {
                "shipped": round(roc_auc(s, y), 4),
                "prompt length": round(roc_auc(n_chars, y), 4),
            },
        }

    figures = {
        "what": "leave-one-group-out APGR per held-out group, shipped recipe vs prompt length",
        "groups_held_out": len(held),
        "groups_reported": len(per_group),
        "rule": f"groups with n >= {MIN_N} and strong-weak gap >= {MIN_GAP}",
        "bootstrap": f"{BOOTSTRAP} resamples of each group's queries, 90 % interval",
        "recipe_info": {k: v.counts for k, v in recipes.items()},
        "summary": summary,
        "groups_significantly_below_length": significant,
        "per_group": per_group,
        "project_written_heldout": written,
        "quick": bool(args.quick),
        "seconds": round(time.perf_counter() - started, 1),
        "licence": "RouteLLM MMLU responses (Apache-2.0; MMLU MIT), RouterArena sub_10 "
        "(Apache-2.0 over ~40 public benchmarks, several research-use only): research figures",
    }
    if args.out is not None:
        path = write_result("router_logo", figures, path=args.out)
    else:
        path = write_result("router_logo", figures)

    print(f"\nleave-one-group-out, {len(per_group)} groups (n >= {MIN_N}, gap >= {MIN_GAP})")
    for name, r in summary.items():
        pooled = "  ".join(f"{k} {v:.3f}" for k, v in r["pooled_apgr"].items())
        print(
            f"  {name:34s} {pooled}  worst {r['worst_group']} {r['worst_margin_over_length']:+.3f}  "
            f"{len(r['groups_below_length'])} below length  mean group {r['mean_group_apgr']:.3f}"
        )
    print("\nshipped vs length per group (worst first), 90 % bootstrap interval of the margin:")
    for g, r in sorted(per_group.items(), key=lambda kv: kv[1]["shipped_minus_length"]):
        a = r["apgr"]
        print(
            f"  {g:40s} n={r['n']:4d} gap {r['gap']:.3f}  {a['shipped']:.3f} / "
            f"{a['prompt length']:.3f} / 0.500  {r['shipped_minus_length']:+.3f} "
            f"[{r['ci90'][0]:+.3f}, {r['ci90'][1]:+.3f}]"
        )
    print(f"significantly below length (90 % interval under 0): {significant or 'none'}")
    for name, r in written.items():
        a = r["apgr"]
        print(
            f"  {name:32s} APGR {a['shipped']:.3f} / length {a['prompt length']:.3f} "
            f"(perfect {a['perfect']:.3f})  AUC {r['roc_auc']['shipped']:.3f} / "
            f"{r['roc_auc']['prompt length']:.3f}"
        )
    print(f"wrote {path} in {figures['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
