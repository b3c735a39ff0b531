"""The shipped encoder behind semroute.wrap: a paraphrase is served, a different question is not,
however long the system prompt (the query is the last user message, not the serialised request)."""

from __future__ import annotations

import pytest

openai = pytest.importorskip("openai")

import semroute  # noqa: E402
from tests.openai_fakes import FakeAPI  # noqa: E402

# A system prompt far longer than the encoder's window: embedding the whole request
# would make every question look alike.
SYSTEM = {
    "role": "system",
    "content": "You are ACME's support assistant. " + "Always be polite and precise. " * 200,
}


@pytest.mark.integration
def test_paraphrase_hit_and_unrelated_miss_with_the_real_encoder() -> None:
    api = FakeAPI()
    client = semroute.wrap(api.client(), cache=semroute.SemanticCache())

    def ask(question: str) -> object:
        return client.chat.completions.create(
            model="gpt-4o-mini", messages=[SYSTEM, {"role": "user", "content": question}]
        )

    first = ask("How do I reset my password?")
    paraphrase = ask("How can I reset my password?")
    info = semroute.call_info(paraphrase)
    assert api.calls == 1
    assert info.outcome == "semantic" and info.similarity >= 0.95
    assert paraphrase.choices[0].message.content == first.choices[0].message.content
    other = ask("What is your refund policy?")
    assert api.calls == 2
    assert other.choices[0].message.content == "answer: What is your refund policy?"
