"""Quantised encoder candidates beside fp32: how close, how fast (issue 20 exploration).

    nice python -m benchmarks.encoder.int8_candidates [--texts 600] [--rounds 30]

Every candidate is built from the shipped fp32 graph into benchmarks/.cache/
(needs ``onnx`` and ``onnx_ir``, the export extra), then:

* closeness: cosine of each pooled vector to fp32's over ``--texts`` texts of
  the GPTCache mock and SICK sets (mean, 1st percentile, min);
* speed: ``InferenceSession.run`` alone (1 thread, spinning off, as Encoder
  opens it) on one input of 8, 16, 64 and 256 word pieces, all candidates
  interleaved in a shuffled order each round; p50 and the same-run ratio to fp32.

Candidates: the shipped dynamic int8 graph (per-channel, FFN output
projections fp32); dynamic int8 on every op (per-channel); weight-only 8-bit
``MatMulNBits`` (blocks of 32, symmetric, int8 compute: ``accuracy_level=4``)
on the 18 MatMuls (attention fused, fp32) and on all 24 (the fused Attention
nodes split into a MatMul and ``MultiHeadAttention``); the same with fp32
compute (``accuracy_level=1``); 4-bit weights. Result: a new dated
benchmarks/results/int8_candidates-*.json.

The 24-MatMul 8-bit graph is also written as a loadable encoder directory,
benchmarks/.cache/int8_candidates/w8_24/ (``Encoder(that_dir)``; its own
``model_id``), for ``benchmarks/encoder/encoder_decisions.py --int8-dir``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._stamp import write_result
from semroute.encoder.encoder import Encoder

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
CACHE = ROOT / "benchmarks" / ".cache" / "int8_candidates"
LENGTHS = (8, 16, 64, 256)
HIDDEN = 384


def split_attention(src: Path, out: Path) -> None:
    """Fused Attention -> MatMul (QKV) + Split + MultiHeadAttention: same outputs, and the
    QKV projection becomes a plain MatMul that weight-only quantisation can reach."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(src))
    graph = model.graph
    # The raw 0/1 mask (int32) the fused graph feeds EmbedLayerNormalization.
    mask = next(n for n in graph.node if n.op_type == "EmbedLayerNormalization").input[7]
    nodes = []
    for node in graph.node:
        if node.op_type != "Attention":
            nodes.append(node)
            continue
        heads = next(a.i for a in node.attribute if a.name == "num_heads")
        x, weight, bias = node.input[:3]
        qkv, q, k, v = (f"{node.name}_{s}" for s in ("qkv", "q", "k", "v"))
        sizes = helper.make_tensor(f"{node.name}_sizes", TensorProto.INT64, [3], [HIDDEN] * 3)
        graph.initializer.append(sizes)
        nodes += [
            helper.make_node("MatMul", [x, weight], [qkv], name=f"{node.name}_qkv_MatMul"),
            helper.make_node(
                "Split", [qkv, sizes.name], [q, k, v], axis=-1, name=f"{node.name}_split"
            ),
            helper.make_node(
                "MultiHeadAttention",
                [q, k, v, bias, mask],
                list(node.output),
                num_heads=heads,
                domain="com.microsoft",
                name=f"{node.name}_mha",
            ),
        ]
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.save(model, str(out))


def weight_only(src: Path, out: Path, *, bits: int, block: int, accuracy: int) -> None:
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )

    config = DefaultWeightOnlyQuantConfig(
        block_size=block, is_symmetric=True, accuracy_level=accuracy, bits=bits
    )
    quantizer = MatMulNBitsQuantizer(
        onnx.load(str(src)),
        bits=bits,
        block_size=block,
        is_symmetric=True,
        accuracy_level=accuracy,
        algo_config=config,
    )
    quantizer.process()
    quantizer.model.save_model_to_file(str(out), use_external_data_format=False)


def dynamic_all(src: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src),
        str(out),
        per_channel=True,
        weight_type=QuantType.QInt8,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def build() -> dict[str, Path]:
    logging.disable(logging.INFO)
    CACHE.mkdir(parents=True, exist_ok=True)
    fp32 = MODELS / "encoder.onnx"
    split = CACHE / "split_attention.onnx"
    if not split.exists():
        split_attention(fp32, split)
    graphs = {"fp32": fp32, "int8 shipped (dynamic, FFN out fp32)": MODELS / "encoder_int8.onnx"}
    recipes: dict[str, Any] = {
        "int8 dynamic, every op": lambda out: dynamic_all(fp32, out),
        "8-bit weights, 18 MatMuls, int8 compute": lambda out: weight_only(
            fp32, out, bits=8, block=32, accuracy=4
        ),
        "8-bit weights, 24 MatMuls, int8 compute": lambda out: weight_only(
            split, out, bits=8, block=32, accuracy=4
        ),
        "8-bit weights, 24 MatMuls, fp32 compute": lambda out: weight_only(
            split, out, bits=8, block=32, accuracy=1
        ),
        "4-bit weights, 24 MatMuls, int8 compute": lambda out: weight_only(
            split, out, bits=4, block=32, accuracy=4
        ),
    }
    for i, (name, recipe) in enumerate(recipes.items()):
        path = CACHE / f"candidate_{i}.onnx"
        if not path.exists():
            recipe(path)
        graphs[name] = path
    return graphs


def model_dir(graph: Path, out: Path, name: str) -> Path:
    """A directory ``Encoder(out)`` loads: the graph, the shipped tokenizer, a MANIFEST."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(graph, out / "encoder.onnx")
    shutil.copyfile(MODELS / "tokenizer.json", out / "tokenizer.json")
    manifest = json.loads((MODELS / "MANIFEST").read_text("utf-8"))
    manifest.pop("precisions", None)
    manifest["name"] = name
    manifest["files"] = {
        "encoder.onnx": hashlib.sha256((out / "encoder.onnx").read_bytes()).hexdigest(),
        "tokenizer.json": manifest["files"]["tokenizer.json"],
    }
    manifest["sizes"] = {
        "encoder.onnx": (out / "encoder.onnx").stat().st_size,
        "tokenizer.json": manifest["sizes"]["tokenizer.json"],
    }
    manifest["quantisation"] = "8-bit weights (MatMulNBits, blocks of 32, int8 compute), 24 MatMuls"
    (out / "MANIFEST").write_text(json.dumps(manifest, indent=1), "utf-8")
    return out


def session(path: Path) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def closeness(graphs: dict[str, Path], texts: list[str]) -> dict[str, Any]:
    encoder = Encoder(threads=1, cache_size=0)
    base = encoder.encode(texts)
    out = {}
    for name, path in graphs.items():
        encoder._session = session(path)  # same tokeniser and pooling, other graph
        cos = np.einsum("ij,ij->i", encoder.encode(texts), base)
        out[name] = {
            "cos_mean": round(float(cos.mean()), 5),
            "cos_p1": round(float(np.percentile(cos, 1)), 5),
            "cos_min": round(float(cos.min()), 5),
        }
        print(f"{name}: {out[name]}", flush=True)
    return out


def speed(graphs: dict[str, Path], rounds: int) -> dict[str, Any]:
    sessions = {name: session(path) for name, path in graphs.items()}
    rng = np.random.default_rng(0)
    feeds = {}
    for n in LENGTHS:
        ids = rng.integers(1000, 20000, size=(1, n)).astype(np.int64)
        ids[0, 0], ids[0, -1] = 101, 102
        feeds[n] = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    configs = [(name, n) for name in sessions for n in LENGTHS]
    times: dict[tuple[str, int], list[float]] = {c: [] for c in configs}
    for name, n in configs:
        sessions[name].run(None, feeds[n])
    order = random.Random(1)
    for r in range(rounds):
        order.shuffle(configs)
        for name, n in configs:
            if n == 256 and r % 2:
                continue  # half the rounds at 256: they dominate the run time
            t0 = time.perf_counter()
            sessions[name].run(None, feeds[n])
            times[(name, n)].append(1e3 * (time.perf_counter() - t0))
    out: dict[str, Any] = {}
    for name in sessions:
        out[name] = {}
        for n in LENGTHS:
            p50 = statistics.median(times[(name, n)])
            base = statistics.median(times[("fp32", n)])
            out[name][str(n)] = {
                "p50_ms": round(p50, 3),
                "p99_ms": round(float(np.percentile(times[(name, n)], 99)), 3),
                "ratio_to_fp32": round(p50 / base, 3),
            }
        cells = "  ".join(f"{n}: x{out[name][str(n)]['ratio_to_fp32']:.2f}" for n in LENGTHS)
        print(f"{name}: {cells}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--texts", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--out", type=Path, help="result file (default: a new dated file)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "benchmarks" / "cache"))
    from guards_eval import LOADERS

    graphs = build()
    w8 = model_dir(
        graphs["8-bit weights, 24 MatMuls, int8 compute"],
        CACHE / "w8_24",
        "all-MiniLM-L6-v2-w8",
    )
    print(f"loadable candidate: {w8} ({Encoder(w8, threads=1).model_id})", flush=True)
    texts = sorted(
        {
            t
            for name in ("gptcache_mock", "sick_contradiction")
            for p in LOADERS[name](args.data)
            for t in p[:2]
        }
    )
    random.Random(0).shuffle(texts)
    figures = {
        "closeness_to_fp32": closeness(graphs, texts[: args.texts]),
        "speed_session_run": speed(graphs, args.rounds),
        "texts": args.texts,
        "graphs": {name: str(path.relative_to(ROOT)) for name, path in graphs.items()},
    }
    path = write_result("int8_candidates", figures, path=args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
