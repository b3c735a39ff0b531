"""Hit rate and false-hit rate of SemanticCache on labelled pairs, through the public API.

    python benchmarks/cache/cache_pairs.py [--data ../shared/data] [--out results.json]

For every pair, one side is ``put`` into a fresh namespace and the other is
looked up there (``get``), exactly what a user gets; vectors are the shipped
encoder's, computed once and cached in benchmarks/.cache/. Data sets:
``qqp_dev.jsonl`` (hit rate on duplicates, false hits on non-duplicates;
Quora's terms: research use only, so these are research figures) and
GPTCache's ``gptcache_mock_data.json`` (MIT; positives as given, negatives by
pairing each origin with the next row's paraphrase).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_data import CACHE_DIR, data_dir, embedded_questions, qqp_pairs, usable

from semroute.cache.cache import SemanticCache

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # benchmarks._stamp
from benchmarks._stamp import environment

THRESHOLDS = [0.80, 0.85, 0.88, 0.90, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99]


class Lookup:
    """Vectors by text, so the cache never re-embeds a pair's text (the encoder ran once).

    A text it was not given (the short differing parts the shared-context rule in
    cache/shared_context.py embeds) goes to the shipped encoder, loaded on first use.
    """

    def __init__(self, texts: list[str], vectors: np.ndarray, model_id: str) -> None:
        self.index = {t: i for i, t in enumerate(texts)}
        self.vectors = vectors
        self.model_id = model_id
        self.dim = vectors.shape[1]
        self._encoder: Any = None

    def encode(self, texts: str | list[str]) -> np.ndarray:
        batch = [texts] if isinstance(texts, str) else texts
        if all(t in self.index for t in batch):
            return self.vectors[[self.index[t] for t in batch]]
        if self._encoder is None:
            from semroute.encoder.encoder import Encoder

            self._encoder = Encoder(threads=1, cache_size=0)
        vectors: np.ndarray = self._encoder.encode(batch)
        return vectors

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [0 for _ in texts]


def mock_vectors(data: Path) -> tuple[list[tuple[str, str, bool]], Lookup]:
    """GPTCache mock pairs (positives, and negatives by re-pairing) and their vectors."""
    from semroute.encoder.encoder import Encoder

    model_id = Encoder(threads=1, cache_size=0).model_id
    rows = json.loads((data / "paraphrase" / "gptcache_mock_data.json").read_text(encoding="utf-8"))
    pos = [(r["origin"], r["similar"], True) for r in rows]
    neg = [
        (rows[i]["origin"], rows[(i + 1) % len(rows)]["similar"], False) for i in range(len(rows))
    ]
    pairs = [p for p in pos + neg if usable(p[0]) and usable(p[1])]
    texts = sorted({t for a, b, _ in pairs for t in (a, b)})
    path = CACHE_DIR / f"gptcache_mock_{model_id}.npy"
    vectors = np.load(path) if path.exists() else None
    if vectors is None or vectors.shape[0] != len(texts):
        vectors = Encoder(threads=1, cache_size=0).encode(texts)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)  # absent on a fresh clone
        np.save(path, vectors)
    return pairs, Lookup(texts, vectors, model_id)


def evaluate(pairs: list[tuple[str, str, bool]], encoder: Lookup) -> dict[str, object]:
    """One cache, one namespace per pair; similarity as the cache reports it."""
    # Similarity alone: this is the baseline the guards (cache_quality.py) are measured against.
    cache = SemanticCache(encoder=encoder, max_entries=None, guards=None)
    sims = np.empty(len(pairs), dtype=np.float64)
    default_hits = np.zeros(len(pairs), dtype=bool)
    exact = refused = 0
    for i, (a, b, _) in enumerate(pairs):
        ns = f"pair-{i}"
        cache.put(a, f"answer to pair {i}", namespace=ns)
        hit = cache.get(b, namespace=ns)  # the default threshold, 0.95
        default_hits[i] = hit is not None
        # threshold -1 returns the stored entry whatever the similarity: the sweep's input.
        probe = cache.get(b, namespace=ns, threshold=-1.0)
        if probe is None:
            # Refused whatever the threshold: the two share a long context and one
            # differing part is empty (cache/shared_context.py). Served at no threshold.
            refused += 1
            sims[i] = -np.inf
            continue
        assert probe.response == f"answer to pair {i}"
        sims[i] = probe.similarity
        exact += probe.exact
    labels = np.array([d for _, _, d in pairs])
    sweep = {
        f"{t:.2f}": {
            "hit_rate_positives": float((sims[labels] >= t).mean()) if labels.any() else None,
            "false_hit_rate_negatives": float((sims[~labels] >= t).mean())
            if (~labels).any()
            else None,
        }
        for t in THRESHOLDS
    }
    return {
        "pairs": len(pairs),
        "positives": int(labels.sum()),
        "negatives": int((~labels).sum()),
        "exact_repeats": exact,
        "shared_context_refused_at_any_threshold": refused,
        "at_default_0.95": {
            "hit_rate_positives": float(default_hits[labels].mean()) if labels.any() else None,
            "false_hit_rate_negatives": float(default_hits[~labels].mean())
            if (~labels).any()
            else None,
            "right_hits": int((default_hits & labels).sum()),
            "wrong_hits": int((default_hits & ~labels).sum()),
        },
        "sweep": sweep,
    }


QUICK_PAIRS = 300  # --quick: the first pairs of each set, embedded on the fly (CI smoke)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"first {QUICK_PAIRS} pairs per set (smoke, not results)",
    )
    args = parser.parse_args(argv)
    data = data_dir(args.data)
    qqp = [p for p in qqp_pairs(data) if usable(p[0]) and usable(p[1])]
    if args.quick:
        from semroute.encoder.encoder import Encoder

        qqp = qqp[:QUICK_PAIRS]
        texts = sorted({t for a, b, _ in qqp for t in (a, b)})
        encoder = Encoder(threads=1, cache_size=0)
        qqp_lookup = Lookup(texts, encoder.encode(texts), encoder.model_id)
    else:
        questions, vectors, model_id = embedded_questions(data)
        qqp_lookup = Lookup(questions, vectors, model_id)
    report: dict[str, object] = {
        "model_id": qqp_lookup.model_id,
        "qqp_dev (research-only licence)": evaluate(qqp, qqp_lookup),
    }
    mock_pairs, mock_encoder = mock_vectors(data)
    if args.quick:
        mock_pairs = mock_pairs[:QUICK_PAIRS] + [p for p in mock_pairs if not p[2]][:QUICK_PAIRS]
        report["quick"] = f"first {QUICK_PAIRS} pairs per set: a smoke run, not results"
    report["gptcache_mock_data (MIT)"] = evaluate(mock_pairs, mock_encoder)
    report["environment"] = environment()
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
