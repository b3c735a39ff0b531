"""The pair verifier in the cache: on, off, failing; stats, CacheHit probability, resolve.

The model is replaced by a scripted ``PairVerifier`` (its ``probabilities``) so these run
without loading ONNX; test_verifier_model.py runs the shipped model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from semroute.cache.cache import SemanticCache
from semroute.cache.guards.api import Guards
from semroute.cache.verifier import PairVerifier, Verdict, resolve
from semroute.errors import ConfigError, EncoderError
from tests.fakes import FakeEncoder

DIM = 64


def unit(axis: int) -> npt.NDArray[np.float32]:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[axis] = 1.0
    return vector


def at(sim: float, axis: int) -> npt.NDArray[np.float32]:
    vector = sim * unit(0) + np.sqrt(1.0 - sim * sim) * unit(axis)
    out: npt.NDArray[np.float32] = vector.astype(np.float32)
    return out


class Scripted(PairVerifier):
    """A PairVerifier whose probabilities come from a table (no model loaded)."""

    def __init__(self, table: dict[tuple[str, str], float], **kwargs: Any) -> None:
        super().__init__(threshold=0.5, candidate_threshold=0.85, **kwargs)
        self.table = table
        self.asked: list[tuple[str, str]] = []

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> npt.NDArray[np.float64]:
        self.asked += list(pairs)
        return np.array([self.table[p] for p in pairs], dtype=np.float64)


class Broken(PairVerifier):
    def __init__(self) -> None:
        super().__init__(threshold=0.5, candidate_threshold=0.85)

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> npt.NDArray[np.float64]:
        raise EncoderError("model file damaged")


def test_verified_hit_carries_probability_and_is_counted() -> None:
    verifier = Scripted({("convert 100 usd to eur", "how much is 100 usd in eur"): 0.93})
    cache = SemanticCache(encoder=FakeEncoder(DIM), verify=verifier)
    assert cache.config.threshold == 0.85  # the verifier's candidate cosine
    cache.put("convert 100 usd to eur", "92 EUR", embedding=unit(0))
    hit = cache.get("how much is 100 usd in eur", embedding=at(0.88, 1))
    assert hit is not None and hit.response == "92 EUR"
    assert hit.verify_probability == pytest.approx(0.93)
    stats = cache.stats
    assert stats.verifications == 1 and stats.verify_seconds > 0
    assert stats.verify_refusals == 0 and stats.verify_errors == 0
    # The exact path is untouched: no verification, no probability.
    exact = cache.get("convert 100 usd to eur")
    assert exact is not None and exact.exact and exact.verify_probability is None
    assert cache.stats.verifications == 1


def test_refused_candidate_falls_back_to_the_next_then_misses() -> None:
    verifier = Scripted(
        {
            ("convert 100 eur to usd", "convert 100 usd to eur"): 0.02,
            ("change 100 usd into eur", "convert 100 usd to eur"): 0.97,
        }
    )
    # Guards off: here the verifier alone must refuse the direction swap.
    cache = SemanticCache(encoder=FakeEncoder(DIM), verify=verifier, guards=None)
    cache.put("convert 100 eur to usd", "108 USD", embedding=at(0.99, 1))
    cache.put("change 100 usd into eur", "92 EUR", embedding=at(0.90, 2))
    hit = cache.get("convert 100 usd to eur", embedding=unit(0))
    assert hit is not None and hit.response == "92 EUR"
    assert hit.verify_probability == pytest.approx(0.97)
    assert cache.stats.verify_refusals == 1 and cache.stats.verifications == 2
    only = SemanticCache(encoder=FakeEncoder(DIM), verify=verifier, guards=None)
    only.put("convert 100 eur to usd", "108 USD", embedding=at(0.99, 1))
    assert only.get("convert 100 usd to eur", embedding=unit(0)) is None
    assert only.stats.misses == 1 and only.stats.verify_refusals == 1


def test_below_candidate_cosine_is_never_verified() -> None:
    verifier = Scripted({})
    cache = SemanticCache(encoder=FakeEncoder(DIM), verify=verifier)
    cache.put("a stored question", "x", embedding=unit(0))
    assert cache.get("another question", embedding=at(0.80, 1)) is None
    assert verifier.asked == [] and cache.stats.verifications == 0


def test_guards_run_before_the_verifier() -> None:
    verifier = Scripted({})
    cache = SemanticCache(encoder=FakeEncoder(DIM), verify=verifier)
    cache.put("convert 5 km to miles", "3.1", embedding=unit(0))
    assert cache.get("convert 8 km to miles", embedding=at(0.97, 1)) is None
    assert cache.stats.guard_blocks == {"numbers": 1}
    assert verifier.asked == [] and cache.stats.verifications == 0


def test_failing_verifier_is_a_counted_miss_and_get_or_call_still_answers() -> None:
    cache = SemanticCache(encoder=FakeEncoder(DIM), verify=Broken())
    cache.put("how do I reset my password", "click forgot", embedding=unit(0))
    assert cache.get("how can I reset my password", embedding=at(0.97, 1)) is None
    stats = cache.stats
    assert stats.verify_errors == 1 and stats.verifications == 1
    assert stats.misses == 1 and stats.verify_refusals == 1
    assert cache.get_or_call("how can I reset my password", lambda q: "fresh") == "fresh"


def test_garbage_model_output_is_a_counted_miss() -> None:
    class NaNSession:
        def run(self, names: Any, feeds: dict[str, Any]) -> list[Any]:
            return [np.full((feeds["input_ids"].shape[0], 1), np.nan, dtype=np.float32)]

    from tokenizers import Tokenizer

    from semroute.encoder.encoder import default_encoder

    verifier = PairVerifier(threshold=0.5, candidate_threshold=0.85)
    tokenizer: Tokenizer = default_encoder().tokenizer
    verifier._session, verifier._tokenizer = NaNSession(), tokenizer
    with pytest.raises(EncoderError, match="no usable scores"):
        verifier.probabilities([("a", "b")])
    cache = SemanticCache(encoder=FakeEncoder(DIM), verify=verifier)
    cache.put("a stored question", "x", embedding=unit(0))
    assert cache.get("a stored question too", embedding=at(0.97, 1)) is None
    assert cache.stats.verify_errors == 1


def test_failing_verifier_in_async_path_is_a_miss() -> None:
    cache = SemanticCache(encoder=FakeEncoder(DIM), verify=Broken())
    cache.put("how do I reset my password", "click forgot")

    async def go() -> Any:
        return await cache.aget_or_call("how do I reset my password now", _afresh)

    assert asyncio.run(go()) == "fresh"
    assert cache.stats.verify_errors == 1


async def _afresh(query: str) -> str:
    return "fresh"


def test_verifier_off_and_user_callbacks_keep_working() -> None:
    off = SemanticCache(encoder=FakeEncoder(DIM))
    assert off.config.threshold == 0.95
    off.put("q", "a", embedding=unit(0))
    hit = off.get("q again", embedding=at(0.97, 1))
    assert hit is not None and hit.verify_probability is None
    assert off.stats.verifications == 0
    seen: list[tuple[str, str]] = []

    def user(query: str, cached_query: str, response: object) -> bool:
        seen.append((query, cached_query))
        return True

    cache = SemanticCache(encoder=FakeEncoder(DIM), verify=user)
    assert cache.config.threshold == 0.95
    cache.put("q", "a", embedding=unit(0))
    hit = cache.get("q again", embedding=at(0.97, 1))
    assert hit is not None and hit.verify_probability is None
    assert seen == [("q again", "q")] and cache.stats.verifications == 1

    def boom(query: str, cached_query: str, response: object) -> bool:
        raise RuntimeError("user hook")

    raising = SemanticCache(encoder=FakeEncoder(DIM), verify=boom)
    raising.put("q", "a", embedding=unit(0))
    with pytest.raises(RuntimeError, match="user hook"):  # a user's hook still propagates
        raising.get("q again", embedding=at(0.97, 1))


def test_explicit_threshold_wins_and_per_call_guards_apply() -> None:
    verifier = Scripted({("q one", "q two"): 0.9})
    cache = SemanticCache(encoder=FakeEncoder(DIM), verify=verifier, threshold=0.95)
    assert cache.config.threshold == 0.95
    cache.put("q one", "a", embedding=unit(0))
    assert cache.get("q two", embedding=at(0.90, 1)) is None
    hit = cache.get("q two", embedding=at(0.90, 1), threshold=0.88, guards=Guards.none())
    assert hit is not None and hit.verify_probability == pytest.approx(0.9)


def test_builtin_resolves_lazily_and_bad_values_raise() -> None:
    verify, threshold = resolve("builtin", None)
    assert isinstance(verify, PairVerifier)
    assert 0.5 <= threshold < 0.95 and threshold == verify.candidate_threshold
    assert verify._session is None  # nothing loaded until a candidate is verified
    cache = SemanticCache(encoder=FakeEncoder(DIM), verify="builtin")
    assert isinstance(cache._verify, PairVerifier) and cache._verify._session is None
    cache.put("q", "a")
    cache.get("q")  # exact: the verifier is not loaded
    assert cache._verify._session is None
    with pytest.raises(ConfigError, match="builtin"):
        SemanticCache(encoder=FakeEncoder(DIM), verify="cross-encoder")
    with pytest.raises(ConfigError):
        PairVerifier(threshold=1.5)
    with pytest.raises(ConfigError):
        PairVerifier(candidate_threshold="high")  # type: ignore[arg-type]


def test_fake_encoder_cache_never_touches_the_verifier(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: PairVerifier) -> None:
        raise AssertionError("the verifier was loaded")

    monkeypatch.setattr(PairVerifier, "_load", fail)
    cache = SemanticCache(encoder=FakeEncoder(DIM))
    cache.put("how do I reset my password", "a")
    cache.get("how do I reset my password please")
    assert cache.get("how do I reset my password") is not None
    assert cache.stats.verifications == 0


def test_verdict_is_bool_like() -> None:
    assert bool(Verdict(0.7, 0.5)) and not bool(Verdict(0.3, 0.5))
    assert Verdict(0.7, 0.5).probability == 0.7
    assert "served=True" in repr(Verdict(0.7, 0.5))
