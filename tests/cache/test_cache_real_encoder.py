"""SemanticCache with the shipped encoder: paraphrases hit, unrelated queries miss."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from semroute.cache.cache import SemanticCache

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="module")
def cache() -> SemanticCache:
    return SemanticCache()  # the default encoder, loaded lazily on first use


def test_paraphrase_hits_and_unrelated_misses(cache: SemanticCache) -> None:
    calls: list[str] = []

    def llm(q: str) -> str:
        calls.append(q)
        return f"answer to {q}"

    ns = "integration/paraphrase"
    first = cache.get_or_call("How do I reset my password?", llm, namespace=ns)
    again = cache.get_or_call("How can I reset my password?", llm, namespace=ns)
    assert first == again and calls == ["How do I reset my password?"]
    hit = cache.get("How can I reset my password?", namespace=ns)
    assert hit is not None and 0.95 <= hit.similarity < 1.0 and not hit.exact
    assert cache.get("What is the capital of France?", namespace=ns) is None
    assert cache.get("How can I reset my password?", namespace="integration/other") is None


def test_async_path_uses_the_real_encoder(cache: SemanticCache) -> None:
    async def llm(q: str) -> dict[str, str]:
        return {"content": "Paris"}

    async def main() -> tuple[object, object]:
        a = await cache.aget_or_call("What is the capital of France?", llm, namespace="geo")
        b = await cache.aget_or_call("What is the capital city of France?", llm, namespace="geo")
        return a, b

    a, b = asyncio.run(main())
    assert a == b == {"content": "Paris"}


def test_sqlite_round_trip_with_the_real_encoder(tmp_path: Path) -> None:
    path = tmp_path / "faq.db"
    with SemanticCache(f"sqlite:///{path}") as cache:
        cache.put("How do I reset my password?", "Use the 'Forgot password' link.")
    with SemanticCache(f"sqlite:///{path}") as cache:
        hit = cache.get("How can I reset my password?")
        assert hit is not None and hit.response == "Use the 'Forgot password' link."


@pytest.mark.skipif(
    not (DATA / "paraphrase" / "qqp_dev.jsonl").exists(), reason="no ../shared/data"
)
def test_qqp_sample_exact_repeats_hit_and_namespaces_hold(cache: SemanticCache) -> None:
    with (DATA / "paraphrase" / "qqp_dev.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(next(fh)) for _ in range(40)]
    for i, row in enumerate(rows):
        cache.put(row["a"], i, namespace=f"qqp/{i}")
    for i, row in enumerate(rows):
        hit = cache.get(row["a"].upper(), namespace=f"qqp/{i}")
        assert hit is not None and hit.response == i
        other = cache.get(row["a"], namespace=f"qqp/{(i + 1) % len(rows)}", threshold=0.999)
        assert other is None or other.response == (i + 1) % len(rows)


def test_long_texts_sharing_the_encoders_window_are_not_joined(cache: SemanticCache) -> None:
    """Issue #12 item 1: the model embeds 254 word pieces; what follows must match too."""
    prompt = " ".join(
        f"Rule {i}: answer politely, cite the handbook section {i}, never promise refunds."
        for i in range(34)
    )
    assert len(prompt.split()) >= 400
    ns = "integration/long"
    first = prompt + "\n\nCustomer: What is your refund policy?"
    other = prompt + "\n\nCustomer: How do I delete my account?"
    a, b = cache.embed(first), cache.embed(other)
    assert float(a @ b) > 0.999  # the premise: the windows are the same text
    cache.put(first, "refunds answer", namespace=ns)
    assert cache.get(other, namespace=ns) is None
    doc = " ".join(f"Section {i} of the contract sets out obligation {i}." for i in range(3000))
    cache.put(doc + " The tenant pays the deposit.", "tenant pays", namespace=ns)
    assert cache.get(doc + " The landlord pays the deposit.", namespace=ns) is None
    hit = cache.get("  " + first.upper(), namespace=ns)
    assert hit is not None and hit.response == "refunds answer"


def test_encoder_window_end_matches_a_whole_tokenisation() -> None:
    from semroute import default_encoder

    encoder = default_encoder()
    text = "The quick brown fox jumps over the lazy dog. " * 400
    pieces = encoder.tokenizer.encode(text, add_special_tokens=False)
    assert encoder.window_end(text) == pieces.offsets[encoder.max_tokens - 3][1]
    assert encoder.window_end("short text") == len("short text")
