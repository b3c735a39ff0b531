"""Pruning with the shipped encoder (and, when present, the development SQuAD file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from semroute.pruning.prune import Pruner, prune

pytestmark = pytest.mark.integration

SQUAD = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "data"
    / "pruning"
    / "squad_v2_dev_small.json"
)


@pytest.fixture(scope="module")
def pruner() -> Pruner:
    from semroute.encoder.encoder import Encoder

    return Pruner(encoder=Encoder(threads=1))


@pytest.fixture(scope="module")
def dense() -> Pruner:
    """The encoder path (lexical_weight 0.5), off by default since issue 18."""
    from semroute.encoder.encoder import Encoder

    return Pruner(encoder=Encoder(threads=1), lexical_weight=0.5)


def test_embedding_finds_a_paraphrase_with_no_shared_words(dense: Pruner) -> None:
    context = [
        "The museum opens at nine and closes at five on weekdays.",
        "Tickets for children under twelve are free of charge.",
        "The firm was established in 1998 by two students in a garage.",
        "Parking is available behind the main building.",
        "The cafe serves soup, sandwiches and cakes.",
    ]
    r = dense.prune(context, query="When did the company start?", ratio=0.2)
    assert "1998" in r.text
    assert r.encoder_ms > 0
    assert r.original_tokens > r.kept_tokens > 0


def test_counts_use_the_shipped_tokenizer(pruner: Pruner) -> None:
    text = "Tokenization of unbelievably long words, 2024-01-05."
    r = pruner.prune(text, ratio=1.0)
    assert r.original_tokens == pruner.encoder.count_tokens([text])[0]


def test_module_level_prune_uses_the_default_encoder() -> None:
    r = prune(
        "Cats purr. Paris is the capital of France. Dogs bark.", query="French capital?", ratio=0.5
    )
    assert "Paris" in r.text


@pytest.mark.skipif(not SQUAD.exists(), reason="development data ../shared/data is absent")
def test_squad_answers_survive_a_quarter_of_the_article(pruner: Pruner) -> None:
    article = json.loads(SQUAD.read_text())["data"][0]
    context = "\n\n".join(p["context"] for p in article["paragraphs"])
    qas = [
        qa
        for p in article["paragraphs"][::6]
        for qa in p["qas"]
        if not qa.get("is_impossible") and qa["answers"]
    ][:12]
    survived = 0
    for qa in qas:
        r = pruner.prune(context, query=qa["question"], ratio=0.25)
        assert r.kept_tokens <= 0.25 * r.original_tokens
        survived += any(a["text"] in r.text for a in qa["answers"])
    # A sample of 12: the full measurement is benchmarks/pruning/prune_squad.py.
    assert survived >= 10


def test_prune_messages_with_the_shipped_tokenizer() -> None:
    from semroute import context_message, prune_messages

    passages = [
        ("Hastings", "In 1066 William of Normandy won the battle. Harold died there."),
        ("Bread", "Bread is baked from flour and water. Towns had bakers."),
        ("Rivers", "The river was full that spring. Boats carried goods downstream."),
    ]
    msgs = [
        {"role": "system", "content": "Answer in one word."},
        context_message(passages),
        {"role": "user", "content": "Who won the battle in 1066?"},
    ]
    out = prune_messages(msgs, ratio=0.4)
    assert "William of Normandy" in out.messages[1]["content"]
    assert "Bread" not in out.messages[1]["content"]
    assert out.messages[0] is msgs[0] and out.messages[2] is msgs[2]
    assert out.kept_tokens <= 0.4 * out.original_tokens
