"""Build ``models/word_vectors.npz``: one static vector per word piece of the shipped tokenizer.

The pruner's soft lexical match (``semroute.pruning.static``) needs word
similarity without a transformer pass at prune time. Each of the tokenizer's
30,522 word pieces is run through the shipped fp32 encoder alone, as
``[CLS] piece [SEP]``, and the piece position's output row is kept (the
distillation idea of model2vec, done with onnxruntime only). The rows are
centred, projected on their first ``--dim`` principal axes, L2-normalised and
stored as float16 (about 7.8 MB at 128 dimensions). Deterministic: same
encoder, same file.

    python models/scripts/build_word_vectors.py [--dim 128] [--out models/word_vectors.npz]

Takes about a minute on two cores. Licence: derived from all-MiniLM-L6-v2
(Apache-2.0), like the encoder itself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from semroute.encoder.encoder import Encoder

MODELS = Path(__file__).resolve().parents[1]


def piece_rows(encoder: Encoder, batch: int = 1024) -> np.ndarray:
    tokenizer = encoder.tokenizer
    size = tokenizer.get_vocab_size()
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    rows = np.zeros((size, encoder.dim), np.float32)
    for start in range(0, size, batch):
        ids = np.arange(start, min(size, start + batch), dtype=np.int64)
        x = np.stack([np.full_like(ids, cls), ids, np.full_like(ids, sep)], axis=1)
        (hidden,) = encoder._session.run(None, {"input_ids": x, "attention_mask": np.ones_like(x)})
        rows[ids] = hidden[:, 1]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--out", type=Path, default=MODELS / "word_vectors.npz")
    args = parser.parse_args(argv)
    encoder = Encoder(threads=2, cache_size=0)
    rows = piece_rows(encoder).astype(np.float64)
    rows -= rows.mean(axis=0)
    _, _, axes = np.linalg.svd(rows, full_matrices=False)
    table = rows @ axes[: args.dim].T
    table /= np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-12)
    np.savez_compressed(
        args.out,
        table=table.astype(np.float16),
        encoder=np.array(encoder.model_id),
        method=np.array("piece row of [CLS] piece [SEP], centred, PCA, L2"),
    )
    print(f"wrote {args.out}: {table.shape}, {args.out.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
