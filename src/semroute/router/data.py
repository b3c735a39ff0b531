"""Load the routing development sets (``../shared/data/routing``) for training and evaluation.

Not used at run time: the training script, the quality benchmark and the
integration tests read the files where they lie; nothing is copied into the
package. Each query comes with the weak and the strong model's quality on it
(1/0 for MMLU, RouterArena's score in [0, 1]) and a group for grouped splits
(the MMLU subject, the RouterArena source benchmark).

Licences: RouteLLM's responses are Apache-2.0 over MMLU (MIT); RouterArena is
Apache-2.0 over about 40 public benchmarks, some of them research-only.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from semroute._types import TextEncoder

ROUTERARENA_WEAK = "claude-3-haiku-20240307"
ROUTERARENA_STRONG = "gemini-2.0-flash-001"


def default_data_dir() -> Path:
    """``../shared/data`` relative to the repository root."""
    return Path(__file__).resolve().parents[3].parent / "shared" / "data"


@dataclass(frozen=True, eq=False)
class RoutingSet:
    """Queries with each model's quality and a group label per query."""

    name: str
    texts: list[str]
    weak: npt.NDArray[np.float64]
    strong: npt.NDArray[np.float64]
    groups: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, mask: npt.NDArray[np.bool_], name: str | None = None) -> RoutingSet:
        idx = np.flatnonzero(mask)
        return RoutingSet(
            name=name or self.name,
            texts=[self.texts[i] for i in idx],
            weak=self.weak[idx],
            strong=self.strong[idx],
            groups=[self.groups[i] for i in idx],
        )


def load_mmlu(data_dir: Path | None = None) -> RoutingSet:
    """RouteLLM's MMLU responses (Mixtral-8x7B weak, GPT-4-1106 strong), minus contaminated ones."""
    root = (data_dir or default_data_dir()) / "routing"
    contaminated = set()
    with open(root / "mmlu_contaminated_prompts.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                contaminated.update({row["train_prompt"], row["eval_prompt"]})
    texts: list[str] = []
    weak: list[float] = []
    strong: list[float] = []
    groups: list[str] = []
    for path in sorted((root / "mmlu").glob("mmlu_*.csv")):
        subject = path.stem.removeprefix("mmlu_")
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)  # prompt, weak model, strong model
            for prompt, weak_ok, strong_ok in reader:
                if prompt in contaminated:
                    continue
                texts.append(prompt)
                weak.append(float(weak_ok == "True"))
                strong.append(float(strong_ok == "True"))
                groups.append(subject)
    return RoutingSet("mmlu", texts, np.array(weak), np.array(strong), groups)


def load_routerarena(data_dir: Path | None = None) -> RoutingSet:
    """RouterArena sub_10: claude-3-haiku as the weak model, gemini-2.0-flash as the strong."""
    root = (data_dir or default_data_dir()) / "routing" / "routerarena_sub10"

    def read(model: str) -> dict[str, dict[str, object]]:
        with open(root / f"{model}.jsonl", encoding="utf-8") as fh:
            rows = [json.loads(line) for line in fh if line.strip()]
        return {str(r["global_index"]): r for r in rows}

    weak_rows, strong_rows = read(ROUTERARENA_WEAK), read(ROUTERARENA_STRONG)
    keys = sorted(weak_rows.keys() & strong_rows.keys())
    texts = [str(weak_rows[k]["question"]) for k in keys]

    def score(row: dict[str, object]) -> float:
        result = row.get("evaluation_result")
        value = result.get("score") if isinstance(result, dict) else None
        return float(np.clip(float(value), 0.0, 1.0)) if value is not None else 0.0

    return RoutingSet(
        "routerarena",
        texts,
        np.array([score(weak_rows[k]) for k in keys]),
        np.array([score(strong_rows[k]) for k in keys]),
        [k.rsplit("_", 1)[0] for k in keys],
    )


def targets(
    weak: npt.NDArray[np.float64],
    strong: npt.NDArray[np.float64],
    kind: str,
    *,
    needs_weight: float = 0.5,
) -> npt.NDArray[np.float64]:
    """Training target per query: what "needs the strong model" is taken to mean.

    ``needs_strong``: weak wrong and strong right (``strong - weak`` clipped, for
    graded scores); ``weak_wrong``: ``1 - weak``; ``soft``: ``needs_weight`` x
    the first + the rest x the second (their mean by default).
    """
    needs = np.clip(strong - weak, 0.0, 1.0)  # weak wrong and strong right, for 0/1 scores
    if kind == "needs_strong":
        return needs
    if kind == "weak_wrong":
        return 1.0 - weak
    if kind == "soft":  # in between: a hard-for-both query still leans strong
        if not 0.0 <= needs_weight <= 1.0:
            raise ValueError(f"needs_weight must be in [0, 1], got {needs_weight!r}")
        return needs_weight * needs + (1.0 - needs_weight) * (1.0 - weak)
    raise ValueError(f"unknown target kind {kind!r}")


def model_prices(data_dir: Path | None = None) -> dict[str, tuple[float, float]]:
    """RouterArena's ``model_cost.json``: model -> ($ per M input tokens, $ per M output)."""
    path = (data_dir or default_data_dir()) / "routing" / "routerarena_sub10" / "model_cost.json"
    with open(path, encoding="utf-8") as fh:
        table = json.load(fh)
    return {
        name: (
            float(row["input_token_price_per_million"]),
            float(row["output_token_price_per_million"]),
        )
        for name, row in table.items()
    }


def embed_cached(
    encoder: TextEncoder, texts: Sequence[str], cache_dir: Path, *, batch: int = 256
) -> npt.NDArray[np.float32]:
    """Embeddings of ``texts``, reusing and extending ``cache_dir/router_<model_id>.npz``.

    Keyed by the SHA-256 of each text, so the cache holds no text.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"router_{encoder.model_id}.npz"
    known: dict[str, npt.NDArray[np.float32]] = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as data:
            known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        vectors = encoder.encode([t for _, t in chunk])
        known.update(zip([k for k, _ in chunk], vectors, strict=True))
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
        tmp.replace(path)
    return (
        np.stack([known[k] for k in keys]).astype(np.float32)
        if keys
        else np.zeros((0, encoder.dim), np.float32)
    )


@dataclass(frozen=True, slots=True)
class SanityQuery:
    """One project-written query, plainly hard (1) or plainly easy (0), with its domain."""

    query: str
    hard: int
    domain: str


def sanity_set_path() -> Path:
    """``tests/router/data/router_sanity_set.jsonl`` in the repository."""
    return (
        Path(__file__).resolve().parents[3]
        / "tests"
        / "router"
        / "data"
        / "router_sanity_set.jsonl"
    )


def load_sanity_set(path: Path | None = None) -> tuple[list[SanityQuery], list[SanityQuery]]:
    """(training two-thirds, held-out third) of the project-written sanity set.

    The held-out third is, within each class, the third of the queries whose
    SHA-256 hex digest sorts lowest: fixed by the text, not by file order.
    """
    rows = []
    with open(path or sanity_set_path(), encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                rows.append(SanityQuery(str(r["query"]), int(r["hard"]), str(r["domain"])))
    held: set[str] = set()
    for label in (0, 1):
        ranked = sorted(
            (r.query for r in rows if r.hard == label),
            key=lambda q: hashlib.sha256(q.encode("utf-8")).hexdigest(),
        )
        held.update(ranked[: len(ranked) // 3])
    return [r for r in rows if r.query not in held], [r for r in rows if r.query in held]
