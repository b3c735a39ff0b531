"""Labelled pairs for the pair verifier: development sets split by question group.

Shared by ``train_verifier.py`` (training) and the verifier benchmark (held-out
figures), so both see the same split. Every set is split by connected group
(a union-find over the texts: no text, and no text paired with it, crosses a
split) into ``train``, ``calib`` (threshold choice) and ``test`` (final figures,
never trained on nor used to choose anything). For Quora the ``test`` groups are
exactly the held-out groups of ``train_cache_encoder.py`` (same hash, same salt,
20 %), so the figures line up with notes/encoder.md.

Labels follow benchmarks/cache/guards_eval.py: QQP as given; GPTCache mock
positives as given, negatives by re-pairing each origin with row i+7's
paraphrase (inside one split); SICK ENTAILMENT with relatedness >= 4 positive,
CONTRADICTION negative; STS-B score >= 4 positive, < 2 negative.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TEST_SHARE = 0.2  # groups kept for final figures
CALIB_SHARE = 0.1  # groups kept for the threshold choice
SPLITS = ("train", "calib", "test")


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    duplicate: bool
    source: str
    kind: str = ""


def bucket(key: str, salt: str) -> float:
    """A stable pseudo-random number in [0, 1) for ``key`` (the same as train_cache_encoder)."""
    digest = hashlib.blake2b(f"{salt}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def groups(pairs: Sequence[tuple[str, str]]) -> list[int]:
    """Connected component of each pair over shared texts (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    roots = [find(a) for a, _ in pairs]
    ids = {root: i for i, root in enumerate(dict.fromkeys(roots))}
    return [ids[root] for root in roots]


def split_of(value: float) -> str:
    if value < TEST_SHARE:
        return "test"
    if value < TEST_SHARE + CALIB_SHARE:
        return "calib"
    return "train"


def _split(pairs: list[Pair], salt: str) -> dict[str, list[Pair]]:
    out: dict[str, list[Pair]] = {name: [] for name in SPLITS}
    for pair, group in zip(pairs, groups([(p.a, p.b) for p in pairs]), strict=True):
        out[split_of(bucket(str(group), salt))].append(pair)
    return out


def load_qqp(para: Path) -> dict[str, list[Pair]]:
    rows = [json.loads(line) for line in (para / "qqp_dev.jsonl").open(encoding="utf-8")]
    # Group over every row (blank texts included), as train_cache_encoder.py does, so
    # the test groups are the same; blank rows are dropped afterwards.
    pairs = [Pair(str(r["a"]), str(r["b"]), bool(r["duplicate"]), "qqp") for r in rows]
    out = _split(pairs, "qqp")
    return {k: [p for p in v if p.a.strip() and p.b.strip()] for k, v in out.items()}


def load_mock(para: Path) -> dict[str, list[Pair]]:
    rows = json.loads((para / "gptcache_mock_data.json").read_text(encoding="utf-8"))
    by_split: dict[str, list[dict[str, str]]] = {name: [] for name in SPLITS}
    for row in rows:
        by_split[split_of(bucket(row["origin"], "mock"))].append(row)
    out: dict[str, list[Pair]] = {}
    for name, part in by_split.items():
        n = len(part)
        pos = [Pair(r["origin"], r["similar"], True, "gptcache_mock") for r in part]
        neg = [
            Pair(part[i]["origin"], part[(i + 7) % n]["similar"], False, "gptcache_mock")
            for i in range(n)
        ]
        out[name] = pos + neg
    return out


def load_sick(para: Path) -> dict[str, list[Pair]]:
    pairs: list[Pair] = []
    with (para / "sick_test_annotated.txt").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            label = row["entailment_judgment"]
            if label == "CONTRADICTION":
                pairs.append(Pair(row["sentence_A"], row["sentence_B"], False, "sick"))
            elif label == "ENTAILMENT" and float(row["relatedness_score"]) >= 4.0:
                pairs.append(Pair(row["sentence_A"], row["sentence_B"], True, "sick"))
    return _split(pairs, "sick")


def load_stsb(para: Path) -> dict[str, list[Pair]]:
    pairs: list[Pair] = []
    with (para / "stsb_dev.csv").open(encoding="utf-8") as fh:
        for line in fh:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 7:
                continue
            score = float(cols[4])
            if score >= 4.0:
                pairs.append(Pair(cols[5], cols[6], True, "stsb"))
            elif score < 2.0:
                pairs.append(Pair(cols[5], cols[6], False, "stsb"))
    return _split(pairs, "stsb")


LOADERS = {"qqp": load_qqp, "gptcache_mock": load_mock, "sick": load_sick, "stsb": load_stsb}


def load_all(data: Path) -> dict[str, dict[str, list[Pair]]]:
    """``{set: {"train" | "calib" | "test": [Pair, ...]}}`` for the development sets."""
    para = data / "paraphrase"
    return {name: load(para) for name, load in LOADERS.items()}
