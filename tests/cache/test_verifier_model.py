"""The shipped pair verifier model: pinned decisions, the cache path, calibrate.

``data/verifier_fixture.jsonl`` holds pairs with the decision the shipped model made
when it was exported (``served``), each at least 0.005 away from the threshold (fp32 graph) so
a different CPU's rounding cannot flip it; a retrained model must re-pin them
(regenerate with ``python tests/cache/test_verifier_model.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pytest

from semroute.cache.cache import SemanticCache
from semroute.cache.calibrate_cli import register
from semroute.cache.calibrate_verifier import calibrate_verifier
from semroute.cache.guards.api import Guards
from semroute.cache.verifier import PairVerifier

pytestmark = pytest.mark.integration

FIXTURE = Path(__file__).parent / "data" / "verifier_fixture.jsonl"
CANDIDATES = Path(__file__).parent / "data" / "verifier_pairs.jsonl"
MARGIN = 0.005


def fixture() -> list[dict[str, object]]:
    return [json.loads(x) for x in FIXTURE.read_text("utf-8").splitlines() if x.strip()]


@pytest.fixture(scope="module")
def verifier() -> PairVerifier:
    return PairVerifier()


def test_pinned_decisions(verifier: PairVerifier) -> None:
    rows = fixture()
    assert len(rows) >= 20
    probs = verifier.probabilities([(str(r["a"]), str(r["b"])) for r in rows])
    decided = [bool(p >= verifier.threshold) for p in probs]
    assert decided == [r["served"] for r in rows]
    assert any(decided) and not all(decided)


def test_manifest_matches_the_shipped_files(verifier: PairVerifier) -> None:
    manifest = verifier.manifest
    assert manifest["licence"].startswith("Apache-2.0")
    assert 0.5 <= verifier.candidate_threshold < 0.95
    assert 0.0 < verifier.threshold < 1.0
    assert verifier.model_id.startswith("semroute-pair-verifier-minilm-")


def test_cache_with_builtin_verifier_serves_and_refuses(verifier: PairVerifier) -> None:
    rows = fixture()
    served = next(r for r in rows if r["served"])
    refused = next(r for r in rows if not r["served"])
    cache = SemanticCache(verify=verifier, guards=None, threshold=-1.0)
    cache.put(str(served["a"]), "right", namespace="s")
    hit = cache.get(str(served["b"]), namespace="s")
    assert hit is not None and hit.response == "right"
    assert hit.verify_probability is not None and hit.verify_probability >= verifier.threshold
    cache.put(str(refused["a"]), "wrong", namespace="r")
    assert cache.get(str(refused["b"]), namespace="r") is None
    stats = cache.stats
    assert stats.verifications == 2 and stats.verify_refusals == 1 and stats.verify_errors == 0
    assert stats.verify_seconds > 0


def test_calibrate_verifier_on_the_fixture(verifier: PairVerifier) -> None:
    pairs = [(str(r["a"]), str(r["b"]), bool(r["duplicate"])) for r in fixture()]
    report = calibrate_verifier(pairs, verifier=verifier, candidate_threshold=-1.0,
                                guards=Guards.none(), target_precision=0.5)  # fmt: skip
    assert report.positives + report.negatives == len(pairs)
    assert "verifier semroute-pair-verifier-minilm-" in report.encoder
    row = next(r for r in report.rows if r.threshold == 0.5)
    # At 0.5 the sweep serves exactly the pairs whose probability reaches 0.5.
    probs = verifier.probabilities([(a, b) for a, b, _ in pairs])
    expected = sum(p >= 0.5 and dup for p, (_, _, dup) in zip(probs, pairs, strict=True))
    assert row.hits == expected


def test_cli_calibrate_verifier(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="semroute")
    register(parser.add_subparsers(dest="command"))
    out = tmp_path / "r.json"
    args = parser.parse_args(
        ["calibrate", str(CANDIDATES), "--verifier", "--candidate-threshold", "0.5",
         "--target-precision", "0.9", "--json", str(out)]
    )  # fmt: skip
    assert args.handler(args) == 0
    data = json.loads(out.read_text("utf-8"))
    assert "cosine >= 0.500" in data["encoder"] and data["rows"][0]["threshold"] == 0.05
    assert "recommended" in capsys.readouterr().out


def _pin() -> None:  # pragma: no cover - run by hand after a retrain
    verifier = PairVerifier()
    rows = [json.loads(x) for x in CANDIDATES.read_text("utf-8").splitlines() if x.strip()]
    probs = verifier.probabilities([(r["a"], r["b"]) for r in rows])
    with FIXTURE.open("w", encoding="utf-8") as out:
        for r, p in zip(rows, probs, strict=True):
            if abs(p - verifier.threshold) >= MARGIN:
                row = {"a": r["a"], "b": r["b"], "duplicate": r["duplicate"]}
                out.write(json.dumps(row | {"served": bool(p >= verifier.threshold)}) + "\n")


if __name__ == "__main__":
    _pin()
    sys.exit(0)
