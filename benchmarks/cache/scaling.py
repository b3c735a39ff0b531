"""How semroute's costs grow: cache lookup and put with entries, pruning and encoding with text length.

    python -m benchmarks.cache.scaling                 # 1k/10k/100k entries; writes
                                                 # benchmarks/results/scaling.{json,png}
    python -m benchmarks.cache.scaling --quick         # 1k/5k entries, short texts; writes to a
                                                 # temporary directory unless --out is given

Cache rows use random unit vectors of the encoder's dim (384) passed with
``embedding=``, so the model is excluded; "exact scan" keeps the namespace
below ``brute_force_below`` (one native pass over every entry), "hnsw" moves
it to the graph at the default 512 entries, built in the foreground here.
A numpy brute-force search (``matrix @ v`` then ``argmax``) over the same
vectors runs in the same process as the peer baseline, so ratios are
like for like. Text rows use the shipped encoder (one thread, no LRU): one
``encode`` of a question of growing length (truncated at 256 tokens by the
model), and one ``Pruner.prune`` of a seeded synthetic article to 25 %, split
into the encoder's share and the rest. Medians and p99 of per-call wall
time on a shared 2-core VM: expect noise in the tails.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._stamp import environment

ROOT = Path(__file__).resolve().parents[2]
DIM = 384


class VectorsOnly:
    """An encoder that is never asked to embed: every call passes its vector."""

    model_id = "scaling-random-vectors"
    dim = DIM

    def encode(self, texts: str | list[str]) -> np.ndarray:
        raise AssertionError("the scaling benchmark passes every vector itself")

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(t.split()) for t in texts]


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def near(rng: np.random.Generator, v: np.ndarray, cos: float = 0.97) -> np.ndarray:
    noise = unit(rng, v.shape[0])
    noise -= (noise * v).sum(axis=1, keepdims=True) * v
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    return (cos * v + np.sqrt(1 - cos**2) * noise).astype(np.float32)


def per_call_us(calls: int, fn: Callable[[int], object]) -> np.ndarray:
    spent = np.empty(calls)
    for i in range(calls):
        started = time.perf_counter_ns()
        fn(i)
        spent[i] = time.perf_counter_ns() - started
    return spent / 1e3


def stats(samples_us: np.ndarray) -> dict[str, float]:
    return {
        "median_us": round(float(np.median(samples_us)), 2),
        "p99_us": round(float(np.percentile(samples_us, 99)), 2),
        "mean_us": round(float(samples_us.mean()), 2),
    }


def cache_at(n: int, kind: str, probes: int) -> dict[str, Any]:
    from semroute.cache.cache import SemanticCache
    from semroute.cache.config import IndexConfig

    rng = np.random.default_rng(n)
    vectors = unit(rng, n)
    index = IndexConfig(background_build=False)
    if kind == "exact scan":
        index = IndexConfig(brute_force_below=n + 1, background_build=False)
    cache = SemanticCache(encoder=VectorsOnly(), max_entries=None, index=index)
    started = time.perf_counter()
    puts = per_call_us(
        n, lambda i: cache.put(f"stored question {i}", "answer", embedding=vectors[i])
    )
    fill_s = time.perf_counter() - started
    picks = rng.integers(0, n, probes)
    probe_vectors = near(rng, vectors[picks])
    hits = 0

    def semantic(i: int) -> None:
        nonlocal hits
        # The stored text's number in other words: a paraphrase no hit guard refuses.
        text = f"stored question {picks[i]}, in other words"
        hits += cache.get(text, embedding=probe_vectors[i]) is not None

    semantic_us = per_call_us(probes, semantic)
    exact_us = per_call_us(probes, lambda i: cache.get(f"  STORED question {picks[i]}?"))
    numpy_us = per_call_us(probes, lambda i: int(np.argmax(vectors @ probe_vectors[i])))
    cache.close()
    return {
        "entries": n,
        "index": kind,
        "fill_s": round(fill_s, 2),
        "put": stats(puts),
        "semantic_lookup": stats(semantic_us),
        "semantic_hit_rate": round(hits / probes, 4),
        "exact_repeat_lookup": stats(exact_us),
        "numpy_brute_force": stats(numpy_us),
    }


TOPICS = [
    "resetting a forgotten password",
    "the capital city of Australia",
    "cheap flights from Lisbon to Oslo in March",
    "why sourdough bread needs a starter",
    "the difference between a process and a thread",
    "renewing a passport before it expires",
]


def question(words: int) -> str:
    base = "Could you explain in detail what I should know about " + " and ".join(TOPICS)
    tokens = (base + " ") * (words // len(base.split()) + 1)
    return " ".join(tokens.split()[:words]) + "?"


def article(sentences: int, seed: int = 3) -> str:
    """Seeded synthetic prose (the same recipe as bench_prune.py), paragraphs of six sentences."""
    rng = np.random.default_rng(seed)
    vocab = [f"word{i}" for i in range(1200)] + ["the", "of", "and", "in", "a", "was"] * 40
    names = ["Normandy", "Rollo", "Paris", "1066", "William", "10th"]
    out = []
    for _ in range(sentences):
        words = list(rng.choice(vocab, rng.integers(8, 30)))
        words[rng.integers(len(words))] = str(rng.choice(names))
        out.append(" ".join(words).capitalize() + ".")
    return "\n\n".join(" ".join(out[i : i + 6]) for i in range(0, len(out), 6))


def text_rows(word_counts: list[int], sentence_counts: list[int], repeats: int) -> dict[str, Any]:
    from semroute.encoder.encoder import Encoder
    from semroute.pruning.prune import Pruner

    encoder = Encoder(threads=1, cache_size=0)
    encode_rows = []
    for words in word_counts:
        text = question(words)
        tokens = encoder.count_tokens([text])[0]
        encoder.encode(text)  # warm the session for this shape
        spent = per_call_us(repeats * 4, lambda i, t=text: encoder.encode(t))  # type: ignore[misc]
        encode_rows.append({"words": words, "tokens": tokens, **stats(spent)})
    pruner = Pruner(encoder=encoder)
    query = "What did William do in Normandy in 1066 word17 word230?"
    prune_rows = []
    for sentences in sentence_counts:
        text = article(sentences)
        runs = [pruner.prune(text, query=query, ratio=0.25) for _ in range(repeats)]
        total = float(np.median([r.elapsed_ms for r in runs]))
        enc = float(np.median([r.encoder_ms for r in runs]))
        rest = float(np.median([r.elapsed_ms - r.encoder_ms for r in runs]))
        k = runs[0].original_tokens / 1000.0
        prune_rows.append(
            {
                "tokens": runs[0].original_tokens,
                "total_ms": round(total, 2),
                "encoder_ms": round(enc, 2),
                "rest_ms": round(rest, 3),
                "total_ms_per_1k": round(total / k, 2),
                "rest_ms_per_1k": round(rest / k, 3),
            }
        )
    return {"encode": encode_rows, "prune": prune_rows}


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() or "unknown"


def git_dirty() -> bool | None:
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    except OSError:
        return None
    return bool(out.stdout.strip()) if out.returncode == 0 else None


def plot(result: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install 'semroute[bench]')")
        return False
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    ax = axes[0][0]
    for kind in ("exact scan", "hnsw"):
        rows = [r for r in result["cache"] if r["index"] == kind]
        n = [r["entries"] for r in rows]
        ax.plot(
            n, [r["semantic_lookup"]["median_us"] for r in rows], "o-", label=f"semantic, {kind}"
        )
    rows = [r for r in result["cache"] if r["index"] == "hnsw"]
    n = [r["entries"] for r in rows]
    ax.plot(n, [r["exact_repeat_lookup"]["median_us"] for r in rows], "s--", label="exact repeat")
    ax.plot(n, [r["numpy_brute_force"]["median_us"] for r in rows], "x:", label="numpy brute force")
    ax.set(xscale="log", yscale="log", xlabel="entries", ylabel="median µs per lookup")
    ax.set_title("cache lookup (embedding given)")
    ax.legend(fontsize=8)
    ax = axes[0][1]
    for kind in ("exact scan", "hnsw"):
        rows = [r for r in result["cache"] if r["index"] == kind]
        n = [r["entries"] for r in rows]
        ax.plot(n, [r["put"]["median_us"] for r in rows], "o-", label=f"median, {kind}")
        ax.plot(n, [r["put"]["mean_us"] for r in rows], "^:", label=f"mean, {kind}")
    ax.set(xscale="log", yscale="log", xlabel="entries filled", ylabel="µs per put")
    ax.set_title("put while filling to N entries")
    ax.legend(fontsize=8)
    ax = axes[1][0]
    prune = result["text"]["prune"]
    t = [r["tokens"] for r in prune]
    ax.plot(t, [r["total_ms"] for r in prune], "o-", label="whole prune")
    ax.plot(t, [r["encoder_ms"] for r in prune], "s--", label="encoder share")
    ax.plot(t, [r["rest_ms"] for r in prune], "x:", label="everything but the model")
    ax.set(xscale="log", yscale="log", xlabel="article tokens", ylabel="median ms")
    ax.set_title("Pruner.prune to 25 % (shipped encoder, 1 thread)")
    ax.legend(fontsize=8)
    ax = axes[1][1]
    enc = result["text"]["encode"]
    ax.plot([r["tokens"] for r in enc], [r["median_us"] / 1e3 for r in enc], "o-", label="median")
    ax.plot([r["tokens"] for r in enc], [r["p99_us"] / 1e3 for r in enc], "^:", label="p99")
    ax.set(xlabel="tokens in the question (model truncates at 256)", ylabel="ms per encode")
    ax.set_title("encode one text (1 thread, no LRU)")
    ax.legend(fontsize=8)
    fig.suptitle(
        f"semroute scaling{' (QUICK: smoke sizes)' if result['quick'] else ''}: "
        f"{result['machine']}, {result['date'][:10]}, commit {result['commit']}",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke)")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="directory (default: benchmarks/results; temp if --quick)",
    )
    parser.add_argument("--entries", default=None, help="comma-separated, e.g. 1000,10000,100000")
    parser.add_argument("--probes", type=int, default=None, help="lookups timed per size")
    args = parser.parse_args(argv)
    out = args.out
    if out is None:
        out = (
            Path(tempfile.mkdtemp(prefix="semroute-scaling-"))
            if args.quick
            else ROOT / "benchmarks" / "results"
        )
    out.mkdir(parents=True, exist_ok=True)
    if args.entries:
        entries = [int(x) for x in args.entries.split(",")]
    else:
        entries = [1000, 5000] if args.quick else [1000, 10_000, 100_000]
    probes = args.probes or (200 if args.quick else 2000)
    started = time.perf_counter()
    result: dict[str, Any] = {
        "command": "python -m benchmarks.cache.scaling "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "quick": args.quick,
        "machine": f"{platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}, shared 2-core VM",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "uncommitted_changes": git_dirty(),
        "cache": [],
    }
    for n in entries:
        for kind in ("exact scan", "hnsw"):
            row = cache_at(n, kind, probes)
            result["cache"].append(row)
            if row["semantic_hit_rate"] < 0.9:
                print(
                    f"WARNING: only {row['semantic_hit_rate']:.0%} of the near-duplicate probes hit"
                )
            print(
                f"{n:>7} entries {kind:10s}: put {row['put']['median_us']:7.1f} µs  "
                f"semantic {row['semantic_lookup']['median_us']:7.1f} µs (p99 {row['semantic_lookup']['p99_us']:.0f})  "
                f"exact {row['exact_repeat_lookup']['median_us']:6.1f} µs  "
                f"numpy {row['numpy_brute_force']['median_us']:7.1f} µs  fill {row['fill_s']} s",
                flush=True,
            )
    words = [8, 16, 32] if args.quick else [8, 16, 32, 64, 128, 256]
    sentences = [20, 60] if args.quick else [20, 60, 200, 600, 1200]
    result["text"] = text_rows(words, sentences, repeats=2 if args.quick else 5)
    for r in result["text"]["encode"]:
        print(
            f"encode {r['tokens']:>4} tokens: median {r['median_us'] / 1e3:.2f} ms, p99 {r['p99_us'] / 1e3:.2f} ms"
        )
    for r in result["text"]["prune"]:
        print(
            f"prune {r['tokens']:>6} tokens: {r['total_ms']:.1f} ms (encoder {r['encoder_ms']:.1f}, "
            f"rest {r['rest_ms']:.2f}); {r['total_ms_per_1k']:.1f} ms per 1k tokens"
        )
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["environment"] = environment()
    (out / "scaling.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    png = out / "scaling.png"
    wrote_png = plot(result, png)
    print(
        f"wrote {out / 'scaling.json'}"
        + (f" and {png}" if wrote_png else "")
        + f" in {result['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
