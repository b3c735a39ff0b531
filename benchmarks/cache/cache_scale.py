"""Cache at scale on real embeddings: lookup latency, near-duplicate recall, memory, reopen.

    python benchmarks/cache/cache_scale.py --n 100000 [--data ../shared/data]

Stored set: every distinct QQP dev question (embedded once by the shipped
encoder, vectors cached in benchmarks/.cache/), grown to ``--n`` with
perturbed copies (cosine ~0.89 to their source, so copies are not near
duplicates of each other). Probes: the partner question of QQP pairs whose
exact nearest stored neighbour is at cosine >= 0.95, plus near copies
(cosine ~0.97) of random stored entries. The encoder is excluded from every
timing (vectors are passed with ``embedding=``). QQP is research-only data
(Quora's terms): these are research figures. Single-threaded on a shared
2-core VM: expect noise. The hit guards are off: the probes are synthetic texts and
this measures the index (cache_quality.py and bench_cache.py measure the guards).

Memory per entry is the RSS growth over the build divided by ``--n``; the
benchmark's own per-put timings live in an array allocated (and touched) before
the first reading, so they are not counted. ``memory_parts`` lists what the cache
holds per entry, estimated from its structures after the build (hnswlib's from
its layout: level-0 node, capacity-sized arrays, label map), next to the RSS.
``lookup_split_us`` times hnswlib's ``knn_query`` alone, the partition's
``search`` (knn_query plus label -> slot) and the whole ``get`` on the same
probes, one pass each: the difference is semroute's own share of a lookup.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cache_data import data_dir, embedded_questions, qqp_pairs

from semroute.cache.cache import SemanticCache
from semroute.cache.config import IndexConfig
from semroute.cache.index import Partition
from semroute.cache.table import IntMap

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # benchmarks._stamp
from benchmarks._stamp import environment


class VectorsOnly:
    """An encoder that refuses to run: every call passes its vector (timings exclude it)."""

    def __init__(self, model_id: str, dim: int) -> None:
        self.model_id, self.dim = model_id, dim

    def encode(self, texts: object) -> np.ndarray:
        raise AssertionError("the benchmark passes embeddings explicitly")

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [0 for _ in texts]


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def perturb(rng: np.random.Generator, v: np.ndarray, cos: float) -> np.ndarray:
    noise = rng.standard_normal(v.shape).astype(np.float32)
    noise -= (noise * v).sum(axis=1, keepdims=True) * v
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    out = cos * v + np.sqrt(1 - cos * cos) * noise
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def pct(values: list[float]) -> tuple[float, float]:
    a = np.asarray(values) * 1e6
    return float(np.percentile(a, 50)), float(np.percentile(a, 99))


def stored_set(
    questions: list[str], vectors: np.ndarray, n: int, seed: int
) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    texts, parts = list(questions[:n]), [vectors[:n]]
    copy = 0
    while len(texts) < n:
        copy += 1
        take = min(len(questions), n - len(texts))
        src = rng.choice(len(questions), take, replace=False)
        parts.append(perturb(rng, vectors[src], 0.89))
        texts += [f"{questions[i]} [copy {copy}]" for i in src]
    return texts, np.concatenate(parts)


def exact_best(matrix: np.ndarray, probes: np.ndarray) -> np.ndarray:
    best = np.full(len(probes), -2.0, dtype=np.float32)
    for lo in range(0, len(matrix), 10_000):
        best = np.maximum(best, (matrix[lo : lo + 10_000] @ probes.T).max(axis=0))
    return best


def build(cache: SemanticCache, texts: list[str], matrix: np.ndarray, per_put: np.ndarray) -> None:
    for i, (text, vector) in enumerate(zip(texts, matrix, strict=True)):
        t = time.perf_counter()
        cache.put(text, f"answer {i}", embedding=vector)
        per_put[i] = time.perf_counter() - t


def graphs_of(cache: SemanticCache) -> list[Partition]:
    return [ns.partition for ns in cache._store.namespaces.values() if ns.partition.uses_graph]


def lookup_split(cache: SemanticCache, probes: np.ndarray, rounds: int = 2) -> dict[str, object]:
    """hnswlib's knn_query alone, Partition.search, the whole get: one pass over the
    probes each (so each meets a cold cache alike), repeated ``rounds`` times."""
    (part,) = graphs_of(cache)
    graph, k = part._hnsw, cache.index_config.k
    calls = {
        "knn_query": lambda j, v: graph.knn_query(v, k=k, num_threads=1),
        "partition_search": lambda j, v: part.search(v),
        "cache_get": lambda j, v: cache.get(f"split {j}", embedding=v),
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            for j, v in enumerate(probes):
                t = time.perf_counter()
                call(j, v)
                times[name].append(time.perf_counter() - t)
    out: dict[str, object] = {"ef": part.ef}
    for name, values in times.items():
        out[name] = dict(zip(("p50", "p99"), pct(values), strict=True))
    own = np.asarray(times["cache_get"]) - np.asarray(times["knn_query"])
    out["get_minus_knn_same_probe"] = dict(zip(("p50", "p99"), pct(own.tolist()), strict=True))
    return out


def memory_parts(cache: SemanticCache, n: int) -> dict[str, float]:
    """Bytes per entry the cache holds, by structure (estimates; RSS is the measurement)."""
    table = cache._store.table
    (part,) = graphs_of(cache)
    graph = part._hnsw
    dim, m = graph.dim, graph.M
    cap = graph.get_max_elements()
    # hnswlib 0.8: level-0 node (2M links + count, vector, label) per element; per slot of
    # capacity a std::mutex (40), a level (4), a visited mark (2); a pointer per element;
    # label map node (~32) + bucket (8); upper-level links for ~1/M of the elements.
    level0 = (2 * m * 4 + 4) + 4 * dim + 8
    hnsw = n * (level0 + 8 + 40 + (m * 4 + 4 + 16) / m) + cap * (40 + 4 + 2)

    def map_bytes(mapping: IntMap) -> int:
        return int(mapping._keys.nbytes + mapping._slots.nbytes)

    strs = sum(sys.getsizeof(q) for q in table.queries if q) + sum(
        sys.getsizeof(v) for v in table.values if v is not None
    )
    parts = {
        "hnswlib_estimate": hnsw,
        "slot_columns": sum(getattr(table, a).nbytes for a in table._ARRAYS),
        "slot_lists_queries_values": sys.getsizeof(table.queries) + sys.getsizeof(table.values),
        "str_objects_query_and_answer": strs,
        "exact_key_maps": sum(map_bytes(ns.exact) for ns in cache._store.namespaces.values()),
        "id_map": map_bytes(cache._store.id_to_slot),
        "label_slot": part._label_slot.nbytes,
    }
    out = {key: value / n for key, value in parts.items()}
    out["graph_capacity"] = cap
    out["table_capacity"] = table.capacity
    return out


def lookups(
    cache: SemanticCache, probes: np.ndarray, rounds: int = 3
) -> tuple[list[float], list[object]]:
    times: list[float] = []
    hits: list[object] = []
    for r in range(rounds):
        for j, v in enumerate(probes):
            t = time.perf_counter()
            hit = cache.get(f"probe {j} round {r}", embedding=v)
            times.append(time.perf_counter() - t)
            if r == 0:
                hits.append(hit)
    return times, hits


def crossover(
    vectors: np.ndarray, model_id: str, probes: np.ndarray
) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    enc = VectorsOnly(model_id, vectors.shape[1])
    for n in (1000, 2000, 4000, 8000):
        row = {}
        for kind, below in (("exact", n + 1), ("hnsw", 1)):
            cache = SemanticCache(
                encoder=enc,
                max_entries=None,
                guards=None,
                index=IndexConfig(brute_force_below=below, background_build=False),
            )
            for i in range(n):
                cache.put(f"q{i}", "a", embedding=vectors[i])
            times, _ = lookups(cache, probes[:300], rounds=3)
            row[kind] = pct(times)[0]
        out[str(n)] = row
        print(
            f"crossover n={n}: exact p50 {row['exact']:.1f} us, hnsw p50 {row['hnsw']:.1f} us",
            file=sys.stderr,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--probes", type=int, default=2000)
    parser.add_argument("--data", default=None)
    parser.add_argument("--skip-crossover", action="store_true")
    parser.add_argument(
        "--ef", type=int, default=None, help="HNSW ef_search (default: automatic, by size)"
    )
    parser.add_argument("--k", type=int, default=IndexConfig().k, help="HNSW candidates")
    parser.add_argument("--skip-reopen", action="store_true")
    parser.add_argument("--out", default=None, help="write the figures as JSON here")
    args = parser.parse_args()

    data = data_dir(args.data)
    questions, vectors, model_id = embedded_questions(data)
    rng = np.random.default_rng(7)
    report: dict[str, object] = {"n": args.n, "model_id": model_id}

    texts, matrix = stored_set(questions, vectors, args.n, seed=1)
    # Probes: QQP partners whose best stored neighbour is a near duplicate, and near copies.
    index_of = {q: i for i, q in enumerate(questions)}
    partner = [
        index_of[b]
        for a, b, _ in qqp_pairs(data)
        if a in index_of and b in index_of and index_of[a] < args.n
    ]
    # A sample keeps the exact search (stored x probes) small in time and memory.
    sample = rng.choice(np.unique(partner), min(len(set(partner)), 4 * args.probes), replace=False)
    partner_v = vectors[sample]
    best = exact_best(matrix, partner_v)
    real = partner_v[best >= 0.95][: args.probes // 2]
    copies = perturb(rng, matrix[rng.choice(args.n, args.probes - len(real), replace=False)], 0.97)
    probes = np.concatenate([real, copies])
    truth = exact_best(matrix, probes)
    report["probes"] = {"qqp_partners": len(real), "near_copies": len(copies)}

    if not args.skip_crossover:
        report["crossover_p50_us"] = crossover(vectors, model_id, probes)

    enc = VectorsOnly(model_id, matrix.shape[1])
    tmp = Path(tempfile.mkdtemp(prefix="semroute-scale-"))
    db = tmp / "scale.db"
    try:
        per_put = np.full(args.n, math.nan)  # written now: its pages count before rss0
        rss0 = rss_bytes()
        index = IndexConfig(ef_search=args.ef, k=args.k)
        report["index"] = {
            "m": index.m,
            "ef_construction": index.ef_construction,
            "ef_search": index.ef_search,
            "ef_search_at_n": index.ef_for(args.n),
            "k": index.k,
            "brute_force_below": index.brute_force_below,
        }
        cache = SemanticCache(
            f"sqlite:///{db}", encoder=enc, max_entries=None, index=index, guards=None
        )
        started = time.perf_counter()
        build(cache, texts, matrix, per_put)
        built = time.perf_counter() - started
        cache._wait_index()
        ready = time.perf_counter() - started
        rss1 = rss_bytes()
        per_put = per_put.tolist()
        payload = sum(len(t) * 2 + len(f"answer {i}") + 2 for i, t in enumerate(texts))
        report["build"] = {
            "sqlite_put_p50_us": pct(per_put)[0],
            "sqlite_put_p99_us": pct(per_put)[1],
            "puts_per_s": args.n / built,
            "seconds_until_graph_installed": ready,
            "rss_per_entry_bytes": (rss1 - rss0) / args.n,
            "payload_per_entry_bytes": payload / args.n,
            "accounted_bytes_per_entry": cache.stats.bytes / args.n,
        }
        report["memory_parts_per_entry"] = memory_parts(cache, args.n)
        print(
            json.dumps(report["build"]),
            json.dumps(report["memory_parts_per_entry"]),
            file=sys.stderr,
        )

        times, hits = lookups(cache, probes)
        need = truth >= 0.95
        found = np.array([h is not None for h in hits])
        report["semantic_lookup_us"] = dict(zip(("p50", "p99"), pct(times), strict=True))
        report["near_duplicate_recall"] = {
            "queries_with_neighbour_at_0.95": int(need.sum()),
            "found": int((found & need).sum()),
            "recall": float((found & need).sum() / max(1, need.sum())),
            "false_hits_without_neighbour": int((found & ~need).sum()),
        }
        report["lookup_split_us"] = lookup_split(cache, probes)
        print(json.dumps(report["lookup_split_us"]), file=sys.stderr)
        # ef_search sweep on the same graph: latency against near-duplicate recall.
        sweep = {}
        parts = graphs_of(cache)
        for ef in (16, 32, 48, 64, 96, 128, 192, 256):
            for part in parts:
                part._hnsw.set_ef(ef)
            ef_times, ef_hits = lookups(cache, probes, rounds=2)
            got = np.array([h is not None for h in ef_hits])
            sweep[str(ef)] = {
                "p50_us": pct(ef_times)[0],
                "p99_us": pct(ef_times)[1],
                "recall": float((got & need).sum() / max(1, need.sum())),
            }
            print(f"ef={ef}: {sweep[str(ef)]}", file=sys.stderr)
        for part in parts:
            part._hnsw.set_ef(part.ef)  # back to the width the cache chose
        report["ef_search_sweep"] = sweep
        exact_times = []
        for _ in range(3):
            for j in rng.choice(args.n, 2000, replace=False):
                t = time.perf_counter()
                hit = cache.get("  " + texts[j])
                exact_times.append(time.perf_counter() - t)
                assert hit is not None and hit.exact
        report["exact_repeat_lookup_us"] = dict(zip(("p50", "p99"), pct(exact_times), strict=True))
        print(
            json.dumps(report["semantic_lookup_us"]),
            json.dumps(report["near_duplicate_recall"]),
            file=sys.stderr,
        )

        if args.skip_reopen:
            cache.close()
        else:
            reopen(report, cache, db, enc, index, probes)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["environment"] = environment()
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


def reopen(
    report: dict[str, object],
    cache: SemanticCache,
    db: Path,
    enc: VectorsOnly,
    index: IndexConfig,
    probes: np.ndarray,
) -> None:
    """Close (saving the graph), reopen with it, then reopen without it."""
    started = time.perf_counter()
    cache.close()
    report["close_seconds_incl_graph_save"] = time.perf_counter() - started

    started = time.perf_counter()
    again = SemanticCache(
        f"sqlite:///{db}", encoder=enc, max_entries=None, index=index, guards=None
    )
    with_graph = time.perf_counter() - started
    restored = all(ns.partition.uses_graph for ns in again._store.namespaces.values())
    times, _ = lookups(again, probes[:500], rounds=2)
    assert again._backend is not None
    again._backend.close()  # skip re-saving the graph: the next open must rebuild it
    shutil.rmtree(db.with_name(db.name + ".index"))

    started = time.perf_counter()
    cold = SemanticCache(f"sqlite:///{db}", encoder=enc, max_entries=None, index=index, guards=None)
    serving = time.perf_counter() - started
    cold._wait_index()
    installed = time.perf_counter() - started
    assert cold._backend is not None
    cold._backend.close()
    report["reopen"] = {
        "seconds_with_saved_graph": with_graph,
        "graph_restored": restored,
        "lookup_after_reopen_p50_us": pct(times)[0],
        "seconds_without_graph_until_serving": serving,
        "seconds_without_graph_until_graph_installed": installed,
    }
    print(json.dumps(report["reopen"]), file=sys.stderr)


if __name__ == "__main__":
    main()
