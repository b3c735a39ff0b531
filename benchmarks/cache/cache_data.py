"""Development data for the cache benchmarks, read where it lies, embedded once.

The data stays in ``../shared/data`` (override with ``--data`` or
``SEMROUTE_DATA``); vectors are cached in ``benchmarks/.cache/`` (gitignored),
keyed by the encoder's model id. QQP is under Quora's research-only terms:
quote results from it as research figures.

    python benchmarks/cache/cache_data.py   # embed QQP questions once (1 thread)
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / "benchmarks" / ".cache"


def data_dir(option: str | None = None) -> Path:
    return Path(option or os.environ.get("SEMROUTE_DATA") or ROOT.parent / "shared" / "data")


def qqp_pairs(data: Path) -> list[tuple[str, str, bool]]:
    path = data / "paraphrase" / "qqp_dev.jsonl"
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return [(r["a"], r["b"], bool(r["duplicate"])) for r in rows]


def usable(text: str) -> bool:
    from semroute._text import normalize_query

    return bool(normalize_query(text))


def embedded_questions(data: Path, *, threads: int = 1) -> tuple[list[str], np.ndarray, str]:
    """Every distinct usable QQP question and its vector (computed once, then loaded)."""
    from semroute.encoder.encoder import Encoder

    encoder = Encoder(threads=threads, cache_size=0)
    questions = sorted({q for a, b, _ in qqp_pairs(data) for q in (a, b) if usable(q)})
    path = CACHE_DIR / f"qqp_{encoder.model_id}.npy"
    if path.exists():
        vectors = np.load(path)
        if vectors.shape == (len(questions), encoder.dim):
            return questions, vectors, encoder.model_id
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    vectors = np.empty((len(questions), encoder.dim), dtype=np.float32)
    step = 256
    for lo in range(0, len(questions), step):
        vectors[lo : lo + step] = encoder.encode(questions[lo : lo + step])
        if lo % (step * 40) == 0:
            print(
                f"embedded {lo}/{len(questions)} in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
            )
    np.save(path, vectors)
    return questions, vectors, encoder.model_id


if __name__ == "__main__":
    q, v, model = embedded_questions(data_dir(sys.argv[1] if len(sys.argv) > 1 else None))
    print(f"{len(q)} questions, {v.shape}, model {model}")
