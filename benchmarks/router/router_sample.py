"""Make the router-quality test fixture: real embeddings of a development-data sample, no text.

    python benchmarks/router/router_sample.py [--data ../shared/data]
        [--out tests/router/data/router_sample.npz]

A stratified sample of RouteLLM MMLU (up to ``--mmlu-per-group`` per subject) and
RouterArena (up to ``--arena-per-group`` per source benchmark) is embedded with the
shipped encoder. The file holds only numbers: 4-bit embeddings with a per-row scale, the
router's raw feature rows, prompt lengths in characters, each model's quality, the set
(0 MMLU, 1 RouterArena) and an integer group id; no text leaves ``../shared/data``.
``tests/router/test_router_quality.py`` trains on whole groups and scores the
others from it, so the held-out check runs in every CI run. The output is deterministic
for a given encoder and data (the sample is drawn with a fixed seed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

from semroute.encoder.encoder import Encoder
from semroute.router.data import RoutingSet, default_data_dir, load_mmlu, load_routerarena
from semroute.router.features import route_features

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "tests" / "router" / "data" / "router_sample.npz"


def group_key(routing_set: RoutingSet, group: str) -> str:
    """MMLU: the subject; RouterArena: the source benchmark (the prefix before '_')."""
    return (
        f"{routing_set.name}:{group.split('_')[0] if routing_set.name == 'routerarena' else group}"
    )


def sample(routing_set: RoutingSet, per_group: int, rng: np.random.Generator) -> list[int]:
    """Up to ``per_group`` rows of each group, drawn without replacement, in input order."""
    by_group: dict[str, list[int]] = {}
    for i, group in enumerate(routing_set.groups):
        by_group.setdefault(group_key(routing_set, group), []).append(i)
    chosen: list[int] = []
    for key in sorted(by_group):
        rows = by_group[key]
        take = min(per_group, len(rows))
        chosen.extend(int(i) for i in rng.choice(rows, size=take, replace=False))
    return sorted(chosen)


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric 4-bit per row, two values a byte: ``unpack(q) * scale[:, None] ~= vectors``.

    4 bits keep the held-out routing figures of the float vectors (checked on this sample:
    APGR margins within 0.01) at an eighth of the size; see ``dequantize``.
    """
    scale = np.abs(vectors).max(axis=1) / 7.0
    scale[scale == 0] = 1.0
    q = (np.clip(np.rint(vectors / scale[:, None]), -7, 7) + 8).astype(np.uint8)  # 1..15
    return (q[:, 0::2] << 4) | q[:, 1::2], scale.astype(np.float32)


def dequantize(packed: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Unit float32 rows back from :func:`quantize`."""
    q = np.empty((packed.shape[0], 2 * packed.shape[1]), np.float32)
    q[:, 0::2] = (packed >> 4).astype(np.float32) - 8
    q[:, 1::2] = (packed & 15).astype(np.float32) - 8
    out = q * scale[:, None]
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float32)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="default ../shared/data")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--mmlu-per-group", type=int, default=40)
    parser.add_argument("--arena-per-group", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data_dir = args.data or default_data_dir()
    rng = np.random.default_rng(args.seed)
    encoder = Encoder(threads=2)
    parts = []
    for set_id, (routing_set, per_group) in enumerate(
        [
            (load_mmlu(data_dir), args.mmlu_per_group),
            (load_routerarena(data_dir), args.arena_per_group),
        ]
    ):
        rows = sample(routing_set, per_group, rng)
        texts = [routing_set.texts[i] for i in rows]
        keys = [group_key(routing_set, routing_set.groups[i]) for i in rows]
        parts.append((set_id, routing_set, rows, texts, keys))
    names = sorted({k for *_, keys in parts for k in keys})
    group_id = {name: i for i, name in enumerate(names)}
    texts = [t for *_, ts, _ in parts for t in ts]
    vectors = encoder.encode(texts)
    q, scale = quantize(np.asarray(vectors, dtype=np.float32))
    np.savez_compressed(
        args.out,
        embeddings=q,
        scale=scale,
        features=route_features(texts).astype(np.float32),
        lengths=np.array([len(t) for t in texts], np.int32),
        weak=np.concatenate([p[1].weak[p[2]] for p in parts]).astype(np.float32),
        strong=np.concatenate([p[1].strong[p[2]] for p in parts]).astype(np.float32),
        source=np.concatenate([[p[0]] * len(p[2]) for p in parts]).astype(np.uint8),
        group=np.array([group_id[k] for *_, keys in parts for k in keys], np.int16),
        # Which texts, without the texts: lets a later run check it drew the same sample.
        text_sha256=np.array([hashlib.sha256(t.encode()).hexdigest()[:16] for t in texts]),
        info=np.array(
            json.dumps(
                {
                    "encoder_id": encoder.model_id,
                    "script": "benchmarks/router/router_sample.py",
                    "args": {k: str(v) for k, v in vars(args).items() if k not in ("out", "data")},
                    "sets": {"0": "RouteLLM MMLU", "1": "RouterArena sub_10"},
                }
            )
        ),
    )
    print(f"{len(texts)} rows, {len(names)} groups -> {args.out} ({args.out.stat().st_size} B)")


if __name__ == "__main__":
    main()
