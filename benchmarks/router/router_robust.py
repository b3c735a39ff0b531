"""Issue 17, item 1: fusions of the learned score with prompt length, by worst held-out group.

    nice python -m benchmarks.router.router_robust --data ../shared/data           # 1-3 min
    nice python -m benchmarks.router.router_robust --reuse   # re-read the cached LOGO logits
    nice python -m benchmarks.router.router_robust --target needs_strong   # another learned target

Needs the router embedding cache (benchmarks/.cache/router_<encoder>.npz) that
train_router.py and router_eval.py write.

Every development group is held out in turn (as in ``router_logo.py``) and
scored by the shipped recipe's model fitted without it (no length prior: the
fusions below add length themselves). The recipes, all post hoc on those
leave-one-group-out (LOGO) logits, with ``z`` = standardised log length and
``u`` = the standardised learned logit:

- (a) bounded band: ``z + b * clip(u, -1, 1)``: length is the backbone, the
  learned score moves a prompt by at most ``b`` length SDs;
- (b) confidence gate: the band only where the prompt's nearest training
  prompt (cosine, other groups and written rows) is at or above ``tau``,
  else length alone;
- (c) stacking: a logistic fit, LOGO again, over (``z``, the 23 structural
  and cue features, ``u``) or over the features alone (no embedding), and a
  band over the feature stack;
- the shipped file's own form, ``logit + beta x z`` (a linear length prior);
- controls: length plus seeded random jitter of the same bounded size, length
  with the learned score as a tie-break only, length in 5 % / 10 % bins with
  the learned order inside a bin, and length plus a fixed lift for prompts
  with a reasoning or code cue (no learned score at all).

Each recipe's worst group among those with n >= 30 and a strong-weak gap >=
0.05 is reported with its margin over length (90 % bootstrap interval over
the group's queries), and its sanity-set shares at the default cut (the cut
is chosen, as ``train_router.py`` does, on out-of-fold scores of the sanity
set's training two-thirds; the held-out third's shares are read from the
full model). The selection rule is fixed in advance: the worst group first,
then the sanity targets; the mean is reported, never used to choose.

Data: RouteLLM MMLU responses (Apache-2.0; MMLU MIT), RouterArena sub_10
(Apache-2.0 over ~40 public benchmarks, several research-use only): research figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "models" / "scripts"))
import train_router as recipe  # noqa: E402

from benchmarks._stamp import write_result  # noqa: E402
from benchmarks.router.router_eval import group_of  # noqa: E402
from benchmarks.router.router_logo import MIN_GAP, MIN_N, logo_scores, margin_interval  # noqa: E402
from semroute.router.data import (  # noqa: E402
    embed_cached,
    load_mmlu,
    load_routerarena,
    load_sanity_set,
    targets,
)
from semroute.router.features import route_features  # noqa: E402
from semroute.router.metrics import routing_curve  # noqa: E402
from semroute.router.model import fit_logistic  # noqa: E402
from semroute.router.prefix import route_prefixes  # noqa: E402

BANDS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0)
LINEAR_PRIORS = (0.5, 1.0, 2.0, 3.0, 5.0)
GATE_QUANTILES = (0.25, 0.5, 0.75, 0.9)
GATE_BANDS = (0.3, 1.0, 3.0)
STACK_L2 = 0.01
# The README's examples and the technical probes of tests/router/test_router_sanity.py.
PROBES_HARD = [
    "Prove that the square root of 2 is irrational",
    "Prove that every finite integral domain is a field.",
    "Write a Rust function that parses ISO 8601 durations without a library, with tests.",
    "Derive the variance of the maximum likelihood estimator for an exponential distribution "
    "and show it is efficient.",
    "Explain how you would shard a 20 TB Postgres database with minimal downtime, step by step.",
]
PROBES_EASY = [
    "What are your opening hours?",
    "How do I reverse a list in Python?",
    "What does HTTP stand for?",
    "Convert 5 miles to kilometres.",
    "What is the chemical formula for table salt?",
    "Is 17 a prime number?",
    "What is a mortgage?",
    "How many sides does a hexagon have?",
]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.asarray(np.log(p / (1 - p)))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(0.5 * (1 + np.tanh(0.5 * x)))


@dataclasses.dataclass
class Inputs:
    """What every recipe reads, for one set of prompts."""

    u: np.ndarray  # standardised learned logit
    z: np.ndarray  # standardised log length (log_chars feature)
    cos: np.ndarray  # nearest training prompt's cosine
    feats: np.ndarray  # standardised features


def nearest_cosine(query: np.ndarray, train: np.ndarray, exclude: np.ndarray | None) -> np.ndarray:
    """Max cosine of each query row to ``train`` rows, ``exclude[i, j]`` masked (chunked)."""
    tn = train / np.linalg.norm(train, axis=1, keepdims=True)
    qn = query / np.linalg.norm(query, axis=1, keepdims=True)
    out = np.empty(len(query))
    for s in range(0, len(query), 512):
        sim = qn[s : s + 512] @ tn.T
        if exclude is not None:
            sim[exclude[s : s + 512]] = -1.0
        out[s : s + 512] = sim.max(axis=1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / ".cache")
    parser.add_argument("--reuse", action="store_true", help="reuse cached LOGO logits")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--target", default=recipe.TARGET, help="the learned model's target (soft, needs_strong)"
    )
    args = parser.parse_args(argv)

    from semroute.encoder.encoder import Encoder

    started = time.perf_counter()
    encoder = Encoder(threads=1)
    sets = [load_mmlu(args.data), load_routerarena(args.data)]
    groups = np.array([group_of(s.name, g) for s in sets for g in s.groups], dtype=object)
    source = np.concatenate([[s.name] * len(s) for s in sets])
    weak = np.concatenate([s.weak for s in sets])
    strong = np.concatenate([s.strong for s in sets])
    y_dev = targets(weak, strong, recipe.TARGET)
    rows = recipe.training_rows(encoder, args.data, args.cache, length_prior=0.0)
    if args.target != recipe.TARGET:  # the development rows' labels only; written rows as shipped
        labels = rows.labels.copy()
        labels[: rows.n_dev] = targets(weak, strong, args.target)
        rows = dataclasses.replace(rows, labels=labels)
    n = rows.n_dev
    every = sorted(set(groups))
    eligible = [
        g
        for g in every
        if (groups == g).sum() >= MIN_N
        and strong[groups == g].mean() - weak[groups == g].mean() >= MIN_GAP
    ]

    # Leave-one-group-out logits of the learned model (the expensive part: 64 fits).
    cached = args.cache / f"router_robust_logo_{args.target}.npz"
    if args.reuse and cached.exists():
        with np.load(cached) as f:
            logo_u = f["logo"]
    else:
        logo_u = _logit(logo_scores(rows, groups, every, encoder.model_id))
        np.savez(cached, logo=logo_u)
    print(f"LOGO logits ready ({time.perf_counter() - started:.0f} s)")

    full = recipe.fit_rows(rows, np.ones(len(rows.labels), bool), encoder.model_id)
    full_dev = _logit(full.scores(rows.emb[:n], rows.feats[:n]))
    u_mean, u_sd = float(full_dev.mean()), float(full_dev.std())
    f_mean, f_sd = rows.feats[:n].mean(axis=0), rows.feats[:n].std(axis=0) + 1e-9
    z_col = list(full.feature_names).index("log_chars")

    def std_feats(feats: np.ndarray) -> np.ndarray:
        return np.asarray((feats - f_mean) / f_sd)

    # Nearest training prompt for each development query: other groups and written rows.
    same = groups[:, None] == groups[None, :]
    exclude = np.concatenate([same, np.zeros((n, len(rows.labels) - n), bool)], axis=1)
    cos_dev = nearest_cosine(rows.emb[:n], rows.emb, exclude)
    del same, exclude
    print(f"nearest cosines ready ({time.perf_counter() - started:.0f} s)")
    dev = Inputs(
        u=(logo_u - u_mean) / u_sd,
        z=std_feats(rows.feats[:n])[:, z_col],
        cos=cos_dev,
        feats=std_feats(rows.feats[:n]),
    )

    # The sanity set: out-of-fold scores of its training two-thirds (for the cut), the
    # full model on the held-out third and on the probes.
    sanity_oof = _logit(recipe.sanity_out_of_fold(rows, encoder.model_id))
    first = len(rows.labels) - len(rows.sanity_y)
    _, held = load_sanity_set()
    held_q = [r.query for r in held]
    held_y = np.array([r.hard for r in held])
    probe_q = PROBES_HARD + PROBES_EASY

    def inputs_for(texts: list[str], u_raw: np.ndarray | None, emb: np.ndarray | None) -> Inputs:
        if emb is None:
            emb = embed_cached(
                encoder, route_prefixes(texts, encoder, recipe.DEFAULT_ROUTE_TOKENS), args.cache
            )
        feats = route_features(texts)
        if u_raw is None:
            u_raw = _logit(full.scores(emb, feats))
        sf = std_feats(feats)
        return Inputs(
            (u_raw - u_mean) / u_sd, sf[:, z_col], nearest_cosine(emb, rows.emb, None), sf
        )

    oof_cos = nearest_cosine(
        rows.emb[first:],
        rows.emb,
        np.broadcast_to(
            np.arange(len(rows.labels)) >= first, (len(rows.sanity_y), len(rows.labels))
        ),
    )
    sf_oof = std_feats(rows.feats[first:])
    s_oof = Inputs((sanity_oof - u_mean) / u_sd, sf_oof[:, z_col], oof_cos, sf_oof)
    s_held = inputs_for(held_q, None, None)
    s_probe = inputs_for(probe_q, None, None)

    # Recipes: name -> function of Inputs giving a score (higher = strong).
    recipes: dict[str, Callable[[Inputs], np.ndarray]] = {
        "prompt length": lambda x: x.z,
        "learned alone (shipped without prior)": lambda x: x.u,
        "shipped (learned + 0.25 x length)": lambda x: x.u * u_sd + 0.25 * x.z,
    }
    for beta in LINEAR_PRIORS:  # the shipped file's own form: one more weight on log_chars
        recipes[f"linear length prior {beta} (learned logit + {beta} x z)"] = lambda x, beta=beta: (
            x.u * u_sd + beta * x.z
        )
    for b in BANDS:
        recipes[f"(a) band b={b}"] = lambda x, b=b: x.z + b * np.clip(x.u, -1, 1)
    tau_levels = {q: float(np.quantile(cos_dev, q)) for q in GATE_QUANTILES}
    for q, tau in tau_levels.items():
        for b in GATE_BANDS:
            recipes[f"(b) gate cos>={tau:.3f} (q{q}), band {b}"] = lambda x, b=b, tau=tau: (
                x.z + b * np.clip(x.u, -1, 1) * (x.cos >= tau)
            )

    # (c) stacking, LOGO: for each held group a logistic fit over the other groups.
    def stack_design(x: Inputs, with_u: bool) -> np.ndarray:
        cols = [x.feats] + ([x.u[:, None]] if with_u else [])
        return np.concatenate(cols, axis=1)

    stack_logo: dict[bool, np.ndarray] = {}
    stack_full: dict[bool, tuple[np.ndarray, float]] = {}
    for with_u in (True, False):
        xd = stack_design(dev, with_u)
        out = np.empty(n)
        for g in every:
            m = groups == g
            w, b0 = fit_logistic(xd[~m], y_dev[~m], l2=STACK_L2)
            out[m] = xd[m] @ w + b0
        stack_logo[with_u] = out
        stack_full[with_u] = fit_logistic(xd, y_dev, l2=STACK_L2)
    print(f"stacks ready ({time.perf_counter() - started:.0f} s)")

    def stacked(with_u: bool) -> Callable[[Inputs], np.ndarray]:
        def score(x: Inputs) -> np.ndarray:
            if x is dev:
                return stack_logo[with_u]
            w, b0 = stack_full[with_u]
            return stack_design(x, with_u) @ w + b0

        return score

    recipes["(c) stack: features + learned logit"] = stacked(True)
    recipes["(c) stack: features only (no embedding)"] = stacked(False)
    for b in BANDS[:5]:
        recipes[f"(c+a) band b={b} over the feature stack"] = lambda x, b=b: (
            x.z + b * np.clip(_std(stacked(False)(x), stack_logo[False]), -1, 1)
        )

    # Controls: length with seeded random jitter of the same bounded size (what a band
    # costs on the worst group when the learned score carries no information), length
    # with the learned score as a tie-break only, and length in bins of 5 % / 10 % of
    # its own value with the learned score ordering prompts inside a bin.
    jitter_rng = np.random.default_rng(args.seed)
    jitter = {id(x): jitter_rng.standard_normal(len(x.z)) for x in (dev, s_oof, s_held, s_probe)}
    for b in (0.02, 0.1, 0.3):
        recipes[f"control: length + random jitter, band {b}"] = lambda x, b=b: (
            x.z + b * np.clip(jitter[id(x)], -1, 1)
        )
    recipes["length, learned score as tie-break only"] = lambda x: x.z + 1e-9 * np.clip(x.u, -1, 1)
    z_sd = float(f_sd[z_col])
    for width in (0.05, 0.1):
        step = np.log1p(width) / z_sd  # a bin spans this share of the prompt's length
        recipes[f"length bins of {width:.0%}, learned order inside"] = lambda x, step=step: (
            np.floor(x.z / step) + 0.5 + 0.49 * np.tanh(x.u)
        )
    # A length backbone with the explicit hard cues (proof/reasoning, code) lifting a prompt.
    cue_cols = [list(full.feature_names).index(c) for c in ("cue_reasoning", "cue_code")]
    cue_zero = -f_mean[cue_cols] / f_sd[cue_cols]  # a raw count of 0, standardised
    for lift in (0.5, 1.0):
        recipes[f"length + cue lift {lift} (reasoning or code cue)"] = lambda x, lift=lift: (
            x.z + lift * (x.feats[:, cue_cols] > cue_zero).any(axis=1)
        )
    # The same cues as linear terms (expressible in the shipped file format: weights on
    # log_chars, cue_reasoning and cue_code only, no embedding).
    for c in (0.25, 0.5):
        recipes[f"length + {c} x standardised reasoning and code cues (linear)"] = lambda x, c=c: (
            x.z + c * x.feats[:, cue_cols].sum(axis=1)
        )
    length = dev.z

    def apgr(s: np.ndarray, mask: np.ndarray) -> float:
        return routing_curve(s[mask], weak[mask], strong[mask]).apgr

    results: dict[str, Any] = {}
    for name, fn in recipes.items():
        s = fn(dev)
        # Rounded to 6 places: float noise between equal rankings is not "below length".
        margins = {g: round(apgr(s, groups == g) - apgr(length, groups == g), 6) for g in eligible}
        worst = min(margins, key=lambda g: margins[g])
        cis = {
            g: margin_interval(
                s[groups == g],
                length[groups == g],
                weak[groups == g],
                strong[groups == g],
                args.seed,
            )
            for g in eligible
            if margins[g] < 0
        }
        lo, hi = cis.get(worst, (0.0, 0.0))
        # The default cut on the sanity training two-thirds (out-of-fold), then the shares.
        cut = recipe.default_cut(_sigmoid(fn(s_oof)), rows.sanity_y)
        cut_x = float(_logit(np.array([cut]))[0])
        oof_s, held_s, probe_s = fn(s_oof), fn(s_held), fn(s_probe)
        k = len(PROBES_HARD)
        results[name] = {
            "worst_group": worst,
            "worst_margin": round(margins[worst], 6),
            "worst_margin_ci90": [round(lo, 4), round(hi, 4)],
            "groups_below_length": sorted(g for g, v in margins.items() if v < 0),
            "groups_below_length_beyond_ci90": sorted(g for g, c in cis.items() if c[1] < 0),
            "pooled_apgr": {
                src: round(apgr(s, source == src), 4) for src in ("mmlu", "routerarena")
            },
            "mean_group_apgr": round(float(np.mean([apgr(s, groups == g) for g in eligible])), 4),
            "mean_margin": round(float(np.mean(list(margins.values()))), 4),
            "sanity_train_oof": {
                "hard_strong": round(float(np.mean(oof_s[rows.sanity_y == 1] >= cut_x)), 4),
                "easy_strong": round(float(np.mean(oof_s[rows.sanity_y == 0] >= cut_x)), 4),
            },
            "sanity_heldout_third": {
                "hard_strong": f"{int((held_s[held_y == 1] >= cut_x).sum())}/{(held_y == 1).sum()}",
                "easy_strong": f"{int((held_s[held_y == 0] >= cut_x).sum())}/{(held_y == 0).sum()}",
            },
            "probes_hard_strong": f"{int((probe_s[:k] >= cut_x).sum())}/{k}",
            "probes_easy_strong": f"{int((probe_s[k:] >= cut_x).sum())}/{len(PROBES_EASY)}",
            "readme_proof_strong": bool(probe_s[0] >= cut_x),
            "readme_faq_cheap": bool(probe_s[k] < cut_x),
            "benchmark_mix_strong_share": round(float(np.mean(s >= cut_x)), 4),
            "per_group_margin": {g: round(v, 6) for g, v in sorted(margins.items())},
        }
        r = results[name]
        print(
            f"{name:52s} worst {worst:34s} {r['worst_margin']:+.3f} "
            f"[{lo:+.3f}, {hi:+.3f}] below {len(r['groups_below_length']):2d} "
            f"(CI {len(r['groups_below_length_beyond_ci90'])})  "
            f"mmlu {r['pooled_apgr']['mmlu']:.3f} ra {r['pooled_apgr']['routerarena']:.3f}  "
            f"sanity held {r['sanity_heldout_third']['hard_strong']} "
            f"{r['sanity_heldout_third']['easy_strong']}  probes "
            f"{r['probes_hard_strong']} {r['probes_easy_strong']}",
            flush=True,
        )

    figures = {
        "what": "leave-one-group-out worst-group margin over prompt length, fusion recipes",
        "learned_target": args.target,
        "rule": f"groups with n >= {MIN_N} and strong-weak gap >= {MIN_GAP}",
        "groups_reported": len(eligible),
        "gate_levels": {str(q): round(t, 4) for q, t in tau_levels.items()},
        "recipes": results,
        "seconds": round(time.perf_counter() - started, 1),
        "licence": "RouteLLM MMLU responses (Apache-2.0; MMLU MIT), RouterArena sub_10 "
        "(Apache-2.0 over ~40 public benchmarks, several research-use only): research figures",
    }
    path = (
        write_result("router_robust", figures, path=args.out)
        if args.out
        else write_result("router_robust", figures)
    )
    print(f"wrote {path} in {figures['seconds']} s")
    return 0


def _std(x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    return np.asarray((x - ref.mean()) / ref.std())


if __name__ == "__main__":
    sys.exit(main())
