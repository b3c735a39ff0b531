"""How many word pieces of a prompt must the router embed? Held-out quality vs the cap N.

    python benchmarks/router/router_tokens.py [--tokens 32,64,128,254]
                                               # writes benchmarks/results/router_tokens_<date>.json

On a seeded sample of the development queries (all 809 RouterArena queries and
1,700 MMLU ones), the shipped recipe is trained and scored out-of-fold (5 folds
over whole subjects/benchmarks, as router_eval.py) with the embedding of each
query's first N word pieces; N = 254 is the encoder's own limit (256 with
[CLS]/[SEP]), i.e. no router cap. Also reported: ROC-AUC and the strong/easy
shares at the default share on the held-out third of the project-written
sanity set, for a model trained on the whole sample. Embeddings are cached in
benchmarks/.cache/ (keyed by the prefix text's hash).

Data: RouteLLM MMLU responses (Apache-2.0; MMLU MIT) and RouterArena sub_10
(Apache-2.0 over ~40 public benchmarks, several research-use only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from semroute.router.data import (
    embed_cached,
    load_mmlu,
    load_routerarena,
    load_sanity_set,
    targets,
)
from semroute.router.features import route_features
from semroute.router.metrics import routing_curve
from semroute.router.model import train_scorer
from semroute.router.prefix import route_prefixes

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models" / "scripts"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_router as recipe  # noqa: E402
from router_eval import folds_by_group, group_of, roc_auc  # noqa: E402
from router_synthetic import easy_queries, hard_queries  # noqa: E402

SAMPLE_MMLU = 1700


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / ".cache")
    parser.add_argument("--tokens", default="32,64,128,254")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    from semroute.encoder.encoder import Encoder

    started = time.perf_counter()
    encoder = Encoder(threads=1)
    mmlu, arena = load_mmlu(args.data), load_routerarena(args.data)
    rng = np.random.default_rng(0)
    mmlu = mmlu.subset(np.isin(np.arange(len(mmlu)), rng.permutation(len(mmlu))[:SAMPLE_MMLU]))
    sets = [mmlu, arena]
    texts = [t for s in sets for t in s.texts]
    weak = np.concatenate([s.weak for s in sets])
    strong = np.concatenate([s.strong for s in sets])
    source = np.concatenate([[s.name] * len(s) for s in sets])
    groups = [group_of(s.name, g) for s in sets for g in s.groups]
    fold = folds_by_group(groups, 5, 0)
    y_dev = targets(weak, strong, recipe.TARGET)
    written = easy_queries(recipe.N_EASY, seed=recipe.SYNTHETIC_SEED) + hard_queries(
        recipe.N_HARD, seed=recipe.SYNTHETIC_SEED
    )
    y_written = np.r_[np.zeros(recipe.N_EASY), np.ones(recipe.N_HARD)]
    w_written = np.r_[
        np.full(recipe.N_EASY, recipe.EASY_WEIGHT), np.full(recipe.N_HARD, recipe.HARD_WEIGHT)
    ]
    _, held = load_sanity_set()
    sanity_q = [r.query for r in held]
    sanity_hard = np.array([r.hard for r in held])
    feats = route_features(texts)
    feats_w = route_features(written)
    feats_s = route_features(sanity_q)
    length = np.array([len(t) for t in texts], float)

    def fit(e: np.ndarray, x: np.ndarray, y: np.ndarray, ew: np.ndarray):  # type: ignore[no-untyped-def]
        return train_scorer(
            np.concatenate([e, ew]),
            np.concatenate([x, feats_w]),
            np.r_[y, y_written],
            encoder_id=encoder.model_id,
            l2_embedding=recipe.L2_EMBEDDING,
            l2_features=recipe.L2_FEATURES,
            sample_weight=np.r_[np.ones(len(y)), w_written],
            reference=np.arange(len(y) + len(y_written)) < len(y),
        )

    rows = {}
    for n in [int(v) for v in args.tokens.split(",")]:
        t0 = time.perf_counter()
        emb = embed_cached(encoder, route_prefixes(texts, encoder, n), args.cache)
        emb_w = embed_cached(encoder, route_prefixes(written, encoder, n), args.cache)
        emb_s = embed_cached(encoder, route_prefixes(sanity_q, encoder, n), args.cache)
        oof = np.zeros(len(texts))
        for f in range(5):
            train, test = fold != f, fold == f
            scorer = fit(emb[train], feats[train], y_dev[train], emb_w)
            oof[test] = scorer.scores(emb[test], feats[test])
        full = fit(emb, feats, y_dev, emb_w)
        sanity = full.scores(emb_s, feats_s)
        cut = full.share_threshold(0.3)
        row = {}
        for name in ("mmlu", "routerarena"):
            m = source == name
            row[name] = {
                "apgr": round(routing_curve(oof[m], weak[m], strong[m]).apgr, 4),
                "cpt50": round(routing_curve(oof[m], weak[m], strong[m]).cpt(0.5), 4),
                "length_apgr": round(routing_curve(length[m], weak[m], strong[m]).apgr, 4),
            }
        row["sanity_heldout"] = {
            "roc_auc": round(roc_auc(sanity, sanity_hard), 4),
            "hard_to_strong_at_share_0.3": round(
                float((sanity[sanity_hard == 1] >= cut).mean()), 4
            ),
            "easy_to_strong_at_share_0.3": round(
                float((sanity[sanity_hard == 0] >= cut).mean()), 4
            ),
        }
        row["seconds"] = round(time.perf_counter() - t0, 1)
        rows[str(n)] = row
        print(n, json.dumps(row), flush=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    result = {
        "what": "held-out routing quality vs the number of word pieces embedded (router cap)",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": f"2-core shared VM, load average ~10-16, {platform.python_version()}",
        "encoder": encoder.model_id,
        "sample": f"{len(mmlu)} MMLU (seed 0) + {len(arena)} RouterArena; 5 grouped folds",
        "by_tokens": rows,
        "seconds": round(time.perf_counter() - started, 1),
    }
    out = args.out or ROOT / "benchmarks" / "results" / f"router_tokens_{dt.date.today()}.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print("wrote", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
