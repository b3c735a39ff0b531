"""Clients made by ``with_options`` / ``copy`` are wrapped alike; ``responses.parse`` is wrapped.

The real openai SDK against the in-process fake API (httpx MockTransport), no network.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

openai = pytest.importorskip("openai")
pydantic = pytest.importorskip("pydantic")

import semroute  # noqa: E402
from semroute import SemanticCache  # noqa: E402
from semroute.integrations.openai import counts  # noqa: E402
from tests.fakes import FakeEncoder  # noqa: E402
from tests.openai_fakes import FakeAPI  # noqa: E402

MODEL = "gpt-4o-mini"
MSGS = [
    {"role": "system", "content": "You are the support bot of ACME."},
    {"role": "user", "content": "What is your refund policy?"},
]


class City(pydantic.BaseModel):  # type: ignore[misc]
    city: str


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()


@pytest.fixture
def cache() -> SemanticCache:
    return SemanticCache(encoder=FakeEncoder())


def ask(client: Any) -> Any:
    return client.chat.completions.create(model=MODEL, messages=MSGS)


# -- with_options / copy ----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["with_options", "copy"])
def test_a_copy_of_a_wrapped_client_is_wrapped_with_the_same_cache(
    api: FakeAPI, cache: SemanticCache, how: str
) -> None:
    seen: list[Any] = []

    class Rec:
        def on_call(self, info: Any) -> None:
            seen.append(info)

    client = semroute.wrap(api.client(), cache=cache, observers=[Rec()], tags={"app": "a"})
    first = ask(client)
    other = getattr(client, how)(timeout=7.0)
    assert other is not client
    again = ask(other)  # answered from the cache the original client filled
    assert api.calls == 1
    assert again.choices[0].message.content == first.choices[0].message.content
    info = semroute.call_info(again)
    assert info is not None and info.outcome == "exact" and info.tags == {"app": "a"}
    assert [i.outcome for i in seen] == ["miss", "exact"]  # the same observers
    assert counts(other) == {"exact": 1} and counts(client) == {"miss": 1}
    # a copy of the copy is wrapped too, and so is one made with a new option set
    assert semroute.call_info(ask(other.with_options(max_retries=1))).outcome == "exact"
    assert api.calls == 1


def test_a_copy_with_another_base_url_keys_apart(api: FakeAPI, cache: SemanticCache) -> None:
    client = semroute.wrap(api.client(), cache=cache)
    ask(client)
    elsewhere = client.with_options(base_url="http://other.test/v1")
    assert semroute.call_info(ask(elsewhere)).outcome == "miss"  # another provider endpoint
    assert semroute.call_info(ask(elsewhere)).outcome == "exact"
    assert api.calls == 2


def test_copies_of_an_async_client_are_wrapped(api: FakeAPI, cache: SemanticCache) -> None:
    client = semroute.wrap(api.client(is_async=True), cache=cache)

    async def go() -> list[str]:
        await client.chat.completions.create(model=MODEL, messages=MSGS)
        other = client.with_options(timeout=3.0)
        r = await other.chat.completions.create(model=MODEL, messages=MSGS)
        info = semroute.call_info(r)
        assert info is not None
        return [info.outcome]

    assert asyncio.run(go()) == ["exact"]
    assert api.calls == 1


def test_unwrap_restores_the_copying_methods(api: FakeAPI, cache: SemanticCache) -> None:
    client = semroute.wrap(api.client(), cache=cache)
    semroute.unwrap(client)
    other = client.with_options(timeout=3.0)
    ask(other)
    ask(other)
    assert api.calls == 2  # not wrapped any more
    assert semroute.call_info(ask(client.copy())) is None


# -- responses.parse ---------------------------------------------------------------------------


def test_responses_parse_is_served_as_a_parsed_response(api: FakeAPI, cache: SemanticCache) -> None:
    client = semroute.wrap(api.client(), cache=cache)
    first = client.responses.parse(model=MODEL, input="Capital of France?", text_format=City)
    second = client.responses.parse(model=MODEL, input="Capital of France?", text_format=City)
    assert api.calls == 1
    assert isinstance(second, openai.types.responses.ParsedResponse)
    assert second.output_parsed == first.output_parsed == City(city="Paris")
    assert second.id != first.id and second.usage.total_tokens == 0
    info = semroute.call_info(second)
    assert info is not None and (info.outcome, info.operation) == ("exact", "responses")
    # create() with the same input keys apart (no text_format)
    plain = client.responses.create(model=MODEL, input="Capital of France?")
    assert api.calls == 2 and plain.output_text == "answer: Capital of France?"


def test_responses_parse_never_serves_a_continued_response(
    api: FakeAPI, cache: SemanticCache
) -> None:
    client = semroute.wrap(api.client(), cache=cache)
    for _ in range(2):
        r = client.responses.parse(
            model=MODEL, input="Capital of France?", text_format=City, previous_response_id="r_1"
        )
        assert r.output_parsed == City(city="Paris")
        info = semroute.call_info(r)
        assert info is not None and (info.outcome, info.reason) == (
            "bypass",
            "previous_response_id",
        )
    assert api.calls == 2


def test_async_responses_parse_is_served_from_the_cache(api: FakeAPI, cache: SemanticCache) -> None:
    client = semroute.wrap(api.client(is_async=True), cache=cache)

    async def go() -> Any:
        await client.responses.parse(model=MODEL, input="Capital of France?", text_format=City)
        return await client.responses.parse(
            model=MODEL, input="Capital of France?", text_format=City
        )

    second = asyncio.run(go())
    assert api.calls == 1
    assert isinstance(second, openai.types.responses.ParsedResponse)
    assert second.output_parsed == City(city="Paris")
    info = semroute.call_info(second)
    assert info is not None and info.outcome == "exact"
