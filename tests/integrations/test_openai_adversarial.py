"""Adversarial cases for semroute.wrap on the real openai SDK (in-process fake API): calls
that must not be served from one another, answers that must not be stored."""

from __future__ import annotations

import json
from typing import Any

import pytest

openai = pytest.importorskip("openai")

import semroute  # noqa: E402
from semroute import Router, SemanticCache, Tier  # noqa: E402
from tests.fakes import FakeEncoder  # noqa: E402
from tests.openai_fakes import HTTPX, FakeAPI  # noqa: E402

MSGS = [{"role": "user", "content": "What is the capital of France?"}]
MODEL = "gpt-4o-mini"


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()


@pytest.fixture
def encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def cache(encoder: FakeEncoder) -> SemanticCache:
    return SemanticCache(encoder=encoder)


def ask(client: Any, **params: Any) -> Any:
    return client.chat.completions.create(
        model=params.pop("model", MODEL), messages=params.pop("messages", MSGS), **params
    )


def test_a_base_url_set_after_wrap_keys_the_next_calls(api: FakeAPI, cache: SemanticCache) -> None:
    client = semroute.wrap(api.client(), cache=cache)
    ask(client)
    client.base_url = "http://other-provider.test/v1"  # the SDK's own setter
    again = ask(client)
    assert semroute.call_info(again).outcome == "miss"
    assert api.calls == 2


def test_a_default_query_keys_the_namespace_like_extra_query(
    api: FakeAPI, cache: SemanticCache
) -> None:
    # AzureOpenAI sends its api-version this way; extra_query={...} already keys apart.
    client = semroute.wrap(api.client(default_query={"api-version": "1"}), cache=cache)
    ask(client)
    other = client.with_options(default_query={"api-version": "2"})
    assert semroute.call_info(ask(other)).outcome == "miss"
    same = client.with_options(default_query={"api-version": "1"})
    assert semroute.call_info(ask(same)).outcome == "exact"
    assert api.calls == 2


class Gate:
    def __init__(self, action: str) -> None:
        self.action = action

    def check(self, tags: Any, model: str) -> str:
        return self.action


def test_a_budget_downgraded_answer_is_never_served_to_the_model_asked_for(
    api: FakeAPI, encoder: FakeEncoder
) -> None:
    cache = SemanticCache(encoder=encoder)
    tiers = [Tier("small-model", 0.1, 0.4), Tier("big-model", 2.0, 8.0)]
    router = Router(tiers=tiers, encoder=encoder, model=None, threshold=0.5).fit(
        ["hi there", "thanks a lot", "prove the theorem", "derive the integral"], [0, 0, 1, 1]
    )
    gate = Gate("downgrade")
    client = semroute.wrap(api.client(), cache=cache, router=router, budgets=[gate])
    cheap = ask(client, model="big-model")
    assert cheap.model == "small-model-2024"
    assert semroute.call_info(cheap).model_requested == "big-model"
    gate.action = "allow"  # a new month: big-model answers again
    full = ask(client, model="big-model")
    assert semroute.call_info(full).outcome == "miss"
    assert full.model == "big-model-2024"
    # While downgraded, the downgraded answer is still served.
    gate.action = "downgrade"
    assert semroute.call_info(ask(client, model="big-model")).outcome == "exact"
    assert api.calls == 2


def wrapped_over(handler: Any, cache: SemanticCache) -> Any:
    """A wrapped client whose API is ``handler`` (an httpx MockTransport handler)."""
    http = HTTPX.Client(transport=HTTPX.MockTransport(handler))
    return semroute.wrap(
        openai.OpenAI(api_key="t", base_url="http://fake.test/v1", http_client=http), cache=cache
    )


def sse_response(deltas: list[dict[str, Any]]) -> Any:
    """A chat stream as the API sends it: one chunk per delta, then ``stop`` and ``[DONE]``."""
    head = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": MODEL}
    events = [
        {**head, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas
    ]
    events.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    return HTTPX.Response(200, headers={"content-type": "text/event-stream"}, content=body)


def audio_stream(request: Any) -> Any:
    """A spoken answer streamed as the API does: audio deltas, no text content."""
    return sse_response(
        [
            {
                "role": "assistant",
                "audio": {"id": "audio_1", "transcript": "Paris.", "data": "UklG"},
            },
            {"audio": {"expires_at": 1, "transcript": ""}},
        ]
    )


def test_a_streamed_spoken_answer_is_not_stored_without_its_audio(cache: SemanticCache) -> None:
    client = wrapped_over(audio_stream, cache)
    params = {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "pcm16"}}
    first = ask(client, stream=True, **params)
    assert len(list(first)) == 3
    assert semroute.call_info(first).outcome == "bypass"  # the API answered; nothing stored
    second = ask(client, stream=True, **params)
    assert semroute.call_info(second) is None  # not a replay: recorded when it ends
    list(second)
    assert semroute.call_info(second).outcome == "bypass"


def test_a_conversation_in_extra_body_is_never_served(api: FakeAPI, cache: SemanticCache) -> None:
    client = semroute.wrap(api.client(), cache=cache)
    for _ in range(2):
        r = client.responses.create(
            model=MODEL, input="And then?", extra_body={"conversation": "c"}
        )
        assert (semroute.call_info(r).outcome, semroute.call_info(r).reason) == (
            "bypass",
            "conversation",
        )
    assert api.calls == 2


def reasoning_stream(request: Any) -> Any:
    """An OpenAI-compatible provider's stream with a text field the SDK does not define."""
    return sse_response(
        [
            {"role": "assistant", "content": "", "reasoning_content": "France's capital "},
            {"reasoning_content": "is Paris."},
            {"content": "Paris."},
        ]
    )


def test_a_streamed_text_field_the_sdk_does_not_define_is_kept_and_replayed(
    cache: SemanticCache,
) -> None:
    client = wrapped_over(reasoning_stream, cache)
    first = ask(client, stream=True)
    list(first)
    assert semroute.call_info(first).outcome == "miss"  # stored
    hit = ask(client)
    assert semroute.call_info(hit).outcome == "exact"
    message = hit.choices[0].message
    assert message.content == "Paris."
    assert message.model_extra["reasoning_content"] == "France's capital is Paris."
    replay = ask(client, stream=True)
    assert semroute.call_info(replay).outcome == "exact"
    chunks = list(replay)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Paris."
    reasoning = [(c.choices[0].delta.model_extra or {}).get("reasoning_content") for c in chunks]
    assert "".join(r for r in reasoning if r) == "France's capital is Paris."


def test_a_streamed_structured_field_the_sdk_does_not_define_is_not_stored(
    cache: SemanticCache,
) -> None:
    def annotated(request: Any) -> Any:
        return sse_response(
            [{"role": "assistant", "content": "Paris."}, {"citations": [{"url": "u"}]}]
        )

    client = wrapped_over(annotated, cache)
    first = ask(client, stream=True)
    list(first)
    assert semroute.call_info(first).outcome == "bypass"
    second = ask(client, stream=True)
    assert semroute.call_info(second) is None  # not a replay: nothing was stored
    list(second)
    assert semroute.call_info(second).outcome == "bypass"
