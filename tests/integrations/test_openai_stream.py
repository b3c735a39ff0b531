"""Streaming through semroute.wrap: tee on a miss, replay as a real Stream on a hit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

openai = pytest.importorskip("openai")

import semroute  # noqa: E402
from semroute import SemanticCache  # noqa: E402
from semroute.integrations.openai import counts  # noqa: E402
from tests.fakes import FakeEncoder  # noqa: E402
from tests.openai_fakes import FakeAPI, LocalServer  # noqa: E402

MSGS = [
    {"role": "system", "content": "Be helpful."},
    {"role": "user", "content": "How do I reset my password?"},
]
ANSWER = "answer: How do I reset my password?"
MODEL = "gpt-4o-mini"


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()


@pytest.fixture
def cache() -> SemanticCache:
    return SemanticCache(encoder=FakeEncoder())


def stream(client: Any, **params: Any) -> Any:
    return client.chat.completions.create(model=MODEL, messages=MSGS, stream=True, **params)


def text_of(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_stream_is_teed_on_a_miss_then_replayed_as_a_real_stream(
    api: FakeAPI, cache: SemanticCache
) -> None:
    client = semroute.wrap(api.client(), cache=cache)
    first = stream(client)
    assert isinstance(first, openai.Stream)
    assert semroute.call_info(first) is None  # recorded when the stream ends
    assert text_of(list(first)) == ANSWER
    assert semroute.call_info(first).outcome == "miss"
    second = stream(client, stream_options={"include_usage": True})
    assert api.calls == 1
    assert isinstance(second, openai.Stream)
    chunks = list(second)
    assert text_of(chunks) == ANSWER
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 0  # include_usage honoured
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[0].id != "chatcmpl-1" and chunks[0].model == "gpt-4o-mini-2024"
    info = semroute.call_info(second)
    assert (info.outcome, info.stream, info.input_tokens) == ("exact", True, 0)
    # a non-streaming call is served from the streamed answer, and the other way round
    plain = client.chat.completions.create(model=MODEL, messages=MSGS)
    assert plain.choices[0].message.content == ANSWER and api.calls == 1


def test_replayed_streams_close_and_read_like_the_sdks(api: FakeAPI, cache: SemanticCache) -> None:
    client = semroute.wrap(api.client(), cache=cache)
    list(stream(client))  # stored
    with stream(client) as replay:  # the context manager closes it, left half read
        assert replay.response.status_code == 200
        assert replay.response.headers["content-type"] == "text/event-stream"
        assert next(iter(replay)).choices[0].delta.role == "assistant"
    assert replay.response.is_closed
    for _ in range(2):  # later replays are whole, closing one does not touch the next
        again = stream(client)
        assert text_of(list(again)) == ANSWER
        again.close()
    assert api.calls == 1

    aclient = semroute.wrap(api.client(is_async=True), cache=cache)

    async def go() -> list[str]:
        texts = []
        for _ in range(2):
            async with await aclient.chat.completions.create(
                model=MODEL, messages=MSGS, stream=True
            ) as replay:
                texts.append(text_of([c async for c in replay]))
        return texts

    assert asyncio.run(go()) == [ANSWER, ANSWER]
    assert api.calls == 1


def test_without_include_usage_no_usage_chunk_is_replayed(
    api: FakeAPI, cache: SemanticCache
) -> None:
    client = semroute.wrap(api.client(), cache=cache)
    client.chat.completions.create(model=MODEL, messages=MSGS)
    chunks = list(stream(client))
    assert all(c.choices for c in chunks) and all(c.usage is None for c in chunks)


def test_a_stream_closed_early_is_not_stored(api: FakeAPI, cache: SemanticCache) -> None:
    client = semroute.wrap(api.client(), cache=cache)
    with stream(client) as s:
        next(iter(s))
        next(iter(s))
    assert (semroute.call_info(s).outcome, semroute.call_info(s).reason) == (
        "bypass",
        "stream_closed_early",
    )
    s2 = stream(client)
    s2.close()  # closed before reading anything
    assert semroute.call_info(s2).reason == "stream_closed_early"
    assert text_of(list(stream(client))) == ANSWER
    assert api.calls == 3  # neither early close left an entry behind
    list(stream(client))
    assert api.calls == 3


def test_a_stream_that_breaks_off_is_not_stored(api: FakeAPI, cache: SemanticCache) -> None:
    client = semroute.wrap(api.client(), cache=cache)
    api.abort_stream = True
    s = stream(client)
    list(s)
    assert semroute.call_info(s).outcome == "bypass"
    api.abort_stream = False
    list(stream(client))
    assert api.calls == 2


def test_an_error_while_streaming_propagates_and_stores_nothing(
    api: FakeAPI, cache: SemanticCache
) -> None:
    client = semroute.wrap(api.client(), cache=cache)
    api.error_mid_stream = True
    s = stream(client)
    received = []
    with pytest.raises(openai.APIError, match="overloaded"):
        for chunk in s:
            received.append(chunk)
    assert len(received) == 1
    info = semroute.call_info(s)
    assert (info.outcome, info.error_type) == ("error", "APIError")
    api.error_mid_stream = False
    list(stream(client))
    assert api.calls == 2


def test_tool_call_streams_are_not_stored(api: FakeAPI, cache: SemanticCache) -> None:
    api.tool_calls = True
    client = semroute.wrap(api.client(), cache=cache)
    s = stream(client)
    chunks = list(s)
    assert any(c.choices and c.choices[0].delta.tool_calls for c in chunks)
    assert semroute.call_info(s).reason == "tool_calls"
    list(stream(client))
    assert api.calls == 2
    assert counts(client)["bypass:tool_calls"] == 2


def test_async_stream_tee_then_replay(api: FakeAPI, cache: SemanticCache) -> None:
    async def main() -> tuple[str, Any, list[Any]]:
        client = semroute.wrap(api.client(is_async=True), cache=cache)
        first = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        text = text_of([c async for c in first])
        second = await client.chat.completions.create(
            model=MODEL, messages=MSGS, stream=True, stream_options={"include_usage": True}
        )
        return text, second, [c async for c in second]

    text, second, chunks = asyncio.run(main())
    assert text == text_of(chunks) == ANSWER
    assert isinstance(second, openai.AsyncStream)
    assert chunks[-1].usage.total_tokens == 0
    assert api.calls == 1


def test_async_stream_closed_early_is_not_stored(api: FakeAPI, cache: SemanticCache) -> None:
    async def main() -> None:
        client = semroute.wrap(api.client(is_async=True), cache=cache)
        async with await client.chat.completions.create(
            model=MODEL, messages=MSGS, stream=True
        ) as s:
            await s.__anext__()
        assert semroute.call_info(s).reason == "stream_closed_early"
        again = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        assert text_of([c async for c in again]) == ANSWER

    asyncio.run(main())
    assert api.calls == 2


def test_responses_stream_tee_then_replay(api: FakeAPI, cache: SemanticCache) -> None:
    client = semroute.wrap(api.client(), cache=cache)
    first = client.responses.create(model=MODEL, input="Capital of France?", stream=True)
    kinds = [e.type for e in first]
    second = client.responses.create(model=MODEL, input="Capital of France?", stream=True)
    events = list(second)
    assert api.calls == 1
    assert isinstance(second, openai.Stream)
    assert [e.type for e in events] == kinds
    assert (
        "".join(e.delta for e in events if e.type == "response.output_text.delta")
        == "answer: Capital of France?"
    )
    done = events[-1]
    assert (
        done.type == "response.completed"
        and done.response.output_text == "answer: Capital of France?"
    )
    assert done.response.usage.output_tokens == 0
    assert semroute.call_info(second).outcome == "exact"


def test_async_responses_stream_replay(api: FakeAPI, cache: SemanticCache) -> None:
    async def main() -> list[Any]:
        client = semroute.wrap(api.client(is_async=True), cache=cache)
        first = await client.responses.create(model=MODEL, input="Capital of France?", stream=True)
        [e async for e in first]
        second = await client.responses.create(model=MODEL, input="Capital of France?", stream=True)
        return [e async for e in second]

    events = asyncio.run(main())
    assert api.calls == 1
    assert events[-1].response.output_text == "answer: Capital of France?"


# -- over real HTTP ----------------------------------------------------------------------------


def test_through_a_local_http_server_sync(cache: SemanticCache) -> None:
    api = FakeAPI()
    with LocalServer(api) as server:
        client = semroute.wrap(
            openai.OpenAI(api_key="test", base_url=server.url, max_retries=0), cache=cache
        )
        a = client.chat.completions.create(model=MODEL, messages=MSGS)
        b = client.chat.completions.create(model=MODEL, messages=MSGS)
        s = list(
            client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "stream me"}], stream=True
            )
        )
        s2 = list(
            client.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "stream me"}], stream=True
            )
        )
        r = client.responses.create(model=MODEL, input="hello", stream=True)
        kinds = [e.type for e in r]
        r2 = client.responses.create(model=MODEL, input="hello")
        client.close()
    assert a.choices[0].message.content == b.choices[0].message.content == ANSWER
    assert text_of(s) == text_of(s2) == "answer: stream me"
    assert kinds[-1] == "response.completed" and r2.output_text == "answer: hello"
    assert api.calls == 3
    assert semroute.call_info(r2).outcome == "exact"


def test_through_a_local_http_server_async(cache: SemanticCache) -> None:
    api = FakeAPI()

    async def main(url: str) -> list[Any]:
        client = semroute.wrap(
            openai.AsyncOpenAI(api_key="test", base_url=url, max_retries=0), cache=cache
        )
        first = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
        [c async for c in first]
        results = await asyncio.gather(
            *(client.chat.completions.create(model=MODEL, messages=MSGS) for _ in range(8))
        )
        await client.close()
        return list(results)

    with LocalServer(api) as server:
        results = asyncio.run(main(server.url))
    assert api.calls == 1
    assert {r.choices[0].message.content for r in results} == {ANSWER}
