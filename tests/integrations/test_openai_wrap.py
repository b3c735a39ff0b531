"""semroute.wrap on the real openai SDK against an in-process fake API (httpx MockTransport)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import Any

import pytest

openai = pytest.importorskip("openai")
pydantic = pytest.importorskip("pydantic")

import semroute  # noqa: E402
from semroute import Router, SemanticCache, Tier  # noqa: E402
from semroute.chat.info import CallInfo  # noqa: E402
from semroute.errors import BackendError, BudgetExceeded, ConfigError, InputTypeError  # noqa: E402
from semroute.integrations.openai import counts, wrapped  # noqa: E402
from tests.fakes import FakeEncoder  # noqa: E402
from tests.openai_fakes import FakeAPI  # noqa: E402

SYSTEM = {"role": "system", "content": "You are the support bot of ACME."}
QUESTION = {"role": "user", "content": "What is your refund policy?"}
MSGS = [SYSTEM, QUESTION]
MODEL = "gpt-4o-mini"


class Recorder:
    """An observer that keeps every CallInfo."""

    def __init__(self) -> None:
        self.infos: list[CallInfo] = []

    def on_call(self, info: CallInfo) -> None:
        self.infos.append(info)


@pytest.fixture
def encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture
def cache(encoder: FakeEncoder) -> SemanticCache:
    return SemanticCache(encoder=encoder)


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()


@pytest.fixture
def rec() -> Recorder:
    return Recorder()


@pytest.fixture
def client(api: FakeAPI, cache: SemanticCache, rec: Recorder) -> Any:
    return semroute.wrap(api.client(), cache=cache, observers=[rec])


def ask(client: Any, messages: list[Any] = MSGS, **params: Any) -> Any:
    return client.chat.completions.create(
        model=params.pop("model", MODEL), messages=messages, **params
    )


# -- hits look like real responses -----------------------------------------------------------


def test_miss_then_exact_hit_looks_like_a_real_response_billed_zero(
    client: Any, api: FakeAPI
) -> None:
    first = ask(client)
    second = ask(client)
    assert api.calls == 1
    assert isinstance(second, openai.types.chat.ChatCompletion)
    assert (
        second.choices[0].message.content
        == first.choices[0].message.content
        == "answer: What is your refund policy?"
    )
    assert second.id != first.id and second.id.startswith("chatcmpl-")
    assert second.created >= first.created
    assert second.model == first.model == "gpt-4o-mini-2024"  # the stored model name
    assert (
        second.usage.prompt_tokens,
        second.usage.completion_tokens,
        second.usage.total_tokens,
    ) == (0, 0, 0)
    miss, hit = semroute.call_info(first), semroute.call_info(second)
    assert (miss.outcome, miss.input_tokens, miss.output_tokens) == ("miss", 20, 7)
    assert (hit.outcome, hit.similarity, hit.input_tokens, hit.saved_tokens) == (
        "exact",
        1.0,
        0,
        27,
    )
    assert hit.namespace == miss.namespace and hit.namespace.startswith("chat:")
    assert hit.model_requested == MODEL and hit.model_used == "gpt-4o-mini-2024"


def test_semantic_hit_reports_similarity(client: Any, api: FakeAPI) -> None:
    # the fake encoder embeds a bag of words: same words, another order -> cosine ~1, not exact
    ask(client, [SYSTEM, {"role": "user", "content": "your shop refund policy: what is it?"}])
    served = ask(
        client, [SYSTEM, {"role": "user", "content": "what is it, your shop refund policy?"}]
    )
    info = semroute.call_info(served)
    assert api.calls == 1
    assert info.outcome == "semantic"
    assert info.similarity >= 0.95


def test_texts_reach_call_info_only_with_store_text(api: FakeAPI, cache: SemanticCache) -> None:
    quiet = semroute.wrap(api.client(), cache=cache)
    ask(quiet)
    assert semroute.call_info(ask(quiet)).query is None
    loud = semroute.wrap(api.client(), cache=cache, store_text=True)
    info = semroute.call_info(ask(loud))
    assert (info.query, info.matched_query) == (QUESTION["content"], QUESTION["content"])


@pytest.mark.parametrize(
    "change",
    [
        {"messages": [{"role": "system", "content": "You are a pirate."}, QUESTION]},
        {"temperature": 0.9},
        {
            "tools": [
                {
                    "type": "function",
                    "function": {"name": "lookup", "parameters": {"type": "object"}},
                }
            ]
        },
        {"model": "gpt-4o"},
        {"max_tokens": 5},
        {"response_format": {"type": "json_object"}},
    ],
    ids=["system", "temperature", "tools", "model", "max_tokens", "response_format"],
)
def test_a_request_that_differs_beyond_the_question_is_a_miss(
    client: Any, api: FakeAPI, change: dict[str, Any]
) -> None:
    ask(client)
    ask(client, **change)
    assert api.calls == 2
    # while a left-out parameter does not make a miss
    ask(client, user="u-1", metadata={"a": "b"}, store=False)
    assert api.calls == 2


def test_full_history_serves_a_follow_up_only_within_the_same_conversation(
    client: Any, api: FakeAPI
) -> None:
    def conversation(topic: str) -> list[dict[str, Any]]:
        return [
            SYSTEM,
            {"role": "user", "content": f"Tell me about {topic}"},
            {"role": "assistant", "content": topic},
            {"role": "user", "content": "And in Spanish?"},
        ]

    ask(client, conversation("refunds"))
    ask(client, conversation("refunds"))
    assert api.calls == 1
    ask(client, conversation("shipping"))
    assert api.calls == 2


def test_last_user_only_shares_follow_ups_across_conversations(
    api: FakeAPI, cache: SemanticCache
) -> None:
    client = semroute.wrap(api.client(), cache=cache, history="last_user_only")
    ask(
        client,
        [
            SYSTEM,
            {"role": "user", "content": "Tell me about refunds"},
            {"role": "assistant", "content": "x"},
            {"role": "user", "content": "And in Spanish?"},
        ],
    )
    ask(
        client,
        [
            SYSTEM,
            {"role": "user", "content": "Tell me about shipping"},
            {"role": "assistant", "content": "y"},
            {"role": "user", "content": "And in Spanish?"},
        ],
    )
    assert api.calls == 1


def test_namespace_prefix_keeps_tenants_apart(api: FakeAPI, cache: SemanticCache) -> None:
    a = semroute.wrap(api.client(), cache=cache, namespace="tenant-a")
    b = semroute.wrap(api.client(), cache=cache, namespace="tenant-b")
    assert semroute.call_info(ask(a)).namespace.startswith("tenant-a:chat:")
    ask(b)
    assert api.calls == 2
    ask(a)
    assert api.calls == 2


# -- never served, never stored ---------------------------------------------------------------


def test_tool_call_responses_are_never_stored_or_served(client: Any, api: FakeAPI) -> None:
    api.tool_calls = True
    first = ask(client)
    second = ask(client)
    assert api.calls == 2
    assert second.choices[0].message.tool_calls[0].function.name == "lookup"
    info = semroute.call_info(second)
    assert (info.outcome, info.reason) == ("bypass", "tool_calls")
    assert first.id != second.id
    api.tool_calls = False
    ask(client)
    assert api.calls == 3  # the tool-call answers left nothing behind


def test_cache_tool_calls_opt_in_stores_them(api: FakeAPI, cache: SemanticCache) -> None:
    api.tool_calls = True
    client = semroute.wrap(api.client(), cache=cache, cache_tool_calls=True)
    ask(client)
    served = ask(client)
    assert api.calls == 1
    assert served.choices[0].message.tool_calls[0].id == "call_1"


def test_a_truncated_answer_is_not_stored(client: Any, api: FakeAPI) -> None:
    api.finish_reason = "length"
    ask(client)
    info = semroute.call_info(ask(client))
    assert api.calls == 2
    assert (info.outcome, info.reason) == ("bypass", "finish_reason")


@pytest.mark.parametrize(
    ("messages", "params", "reason"),
    [
        (MSGS, {"n": 2}, "n_gt_1"),
        (
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "What is in this image?"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                    ],
                }
            ],
            {},
            "non_text_content",
        ),
    ],
)
def test_requests_never_cached_pass_through_with_the_reason(
    client: Any, api: FakeAPI, messages: list[Any], params: dict[str, Any], reason: str
) -> None:
    ask(client, messages, **params)
    info = semroute.call_info(ask(client, messages, **params))
    assert api.calls == 2
    assert (info.outcome, info.reason) == ("bypass", reason)
    assert counts(client)[f"bypass:{reason}"] == 2


def test_raw_response_calls_pass_through_untouched(client: Any, api: FakeAPI) -> None:
    ask(client)
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=MSGS)
    assert api.calls == 2  # not served from the cache
    assert raw.http_response.status_code == 200
    assert raw.parse().id == "chatcmpl-2"  # the API's own id, not a fresh one
    assert counts(client)["bypass:raw_response"] == 1
    with client.chat.completions.with_streaming_response.create(
        model=MODEL, messages=MSGS
    ) as streamed:
        assert streamed.parse().id == "chatcmpl-3"
    assert api.calls == 3


def test_api_error_propagates_unchanged_and_nothing_is_stored(
    client: Any, api: FakeAPI, rec: Recorder
) -> None:
    api.fail_status = 500
    with pytest.raises(openai.InternalServerError) as raised:
        ask(client)
    assert raised.value.status_code == 500
    assert rec.infos[-1].outcome == "error" and rec.infos[-1].error_type == "InternalServerError"
    api.fail_status = None
    ask(client)
    assert api.calls == 2  # the error was not stored


class BrokenCache(SemanticCache):
    """A cache whose backend is down: every lookup and write fails."""

    def serve(self, *args: Any, **kwargs: Any) -> Any:
        raise BackendError("backend unreachable")

    async def aserve(self, *args: Any, **kwargs: Any) -> Any:
        raise BackendError("backend unreachable")


def test_a_cache_that_is_down_falls_through_to_the_api(api: FakeAPI, encoder: FakeEncoder) -> None:
    client = semroute.wrap(api.client(), cache=BrokenCache(encoder=encoder))
    r = ask(client)
    assert r.choices[0].message.content == "answer: What is your refund policy?"
    assert (semroute.call_info(r).outcome, semroute.call_info(r).reason) == (
        "bypass",
        "cache_error",
    )
    assert counts(client)["cache_errors"] == 1


class FailingStore(SemanticCache):
    """Lookups work, every store fails (a backend that refuses writes)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

        def refuse(*args: Any, **kw: Any) -> Any:
            raise BackendError("disk full")

        self._writes.put = refuse  # type: ignore[method-assign]


def test_a_failed_store_still_returns_the_api_answer(api: FakeAPI, encoder: FakeEncoder) -> None:
    client = semroute.wrap(api.client(), cache=FailingStore(encoder=encoder))
    r = ask(client)
    assert r.id == "chatcmpl-1"
    assert (semroute.call_info(r).outcome, semroute.call_info(r).reason) == (
        "bypass",
        "cache_error",
    )
    assert counts(client)["cache_errors"] == 1


# -- structured outputs and the Responses API ----------------------------------------------------


class City(pydantic.BaseModel):  # type: ignore[misc]
    city: str


def test_parse_is_served_as_a_parsed_completion(client: Any, api: FakeAPI) -> None:
    first = client.chat.completions.parse(model=MODEL, messages=MSGS, response_format=City)
    second = client.chat.completions.parse(model=MODEL, messages=MSGS, response_format=City)
    assert api.calls == 1
    assert isinstance(second.choices[0].message.parsed, City)
    assert second.choices[0].message.parsed == first.choices[0].message.parsed == City(city="Paris")
    assert semroute.call_info(second).outcome == "exact"
    # create() with the same schema as a plain dict keys apart (a different response_format)
    ask(client)
    assert api.calls == 2


def test_responses_create_miss_hit_and_bypass(client: Any, api: FakeAPI) -> None:
    first = client.responses.create(
        model=MODEL, input="Capital of France?", instructions="Be brief."
    )
    second = client.responses.create(
        model=MODEL, input="Capital of France?", instructions="Be brief."
    )
    assert api.calls == 1
    assert isinstance(second, openai.types.responses.Response)
    assert second.output_text == first.output_text == "answer: Capital of France?"
    assert (
        second.id != first.id and second.usage.input_tokens == 0 and second.usage.output_tokens == 0
    )
    assert semroute.call_info(second).outcome == "exact"
    assert semroute.call_info(second).operation == "responses"
    client.responses.create(
        model=MODEL, input="Capital of France?", instructions="Explain at length."
    )
    assert api.calls == 2
    chained = client.responses.create(
        model=MODEL,
        input="Capital of France?",
        instructions="Be brief.",
        previous_response_id="resp_1",
    )
    assert api.calls == 3
    assert (semroute.call_info(chained).outcome, semroute.call_info(chained).reason) == (
        "bypass",
        "previous_response_id",
    )


def test_responses_tool_calls_are_not_stored(client: Any, api: FakeAPI) -> None:
    api.tool_calls = True
    client.responses.create(model=MODEL, input="Look it up")
    again = client.responses.create(model=MODEL, input="Look it up")
    assert api.calls == 2
    assert semroute.call_info(again).reason == "tool_calls"


# -- concurrency ------------------------------------------------------------------------------


def test_32_concurrent_identical_requests_make_one_upstream_call_threads(
    client: Any, api: FakeAPI
) -> None:
    api.delay_s = 0.3
    barrier = threading.Barrier(32)
    results: list[Any] = []
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            results.append(ask(client))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert api.calls == 1
    assert len(results) == 32
    assert {r.choices[0].message.content for r in results} == {
        "answer: What is your refund policy?"
    }
    outcomes = sorted(semroute.call_info(r).outcome for r in results)
    assert outcomes.count("miss") == 1 and outcomes.count("exact") == 31
    assert len({r.id for r in results}) == 32  # each caller got its own response object and id


def test_32_concurrent_identical_requests_make_one_upstream_call_asyncio(
    api: FakeAPI, cache: SemanticCache
) -> None:
    api.delay_s = 0.3

    async def main() -> list[Any]:
        client = semroute.wrap(api.client(is_async=True), cache=cache)
        return await asyncio.gather(
            *(client.chat.completions.create(model=MODEL, messages=MSGS) for _ in range(32))
        )

    results = asyncio.run(main())
    assert api.calls == 1
    assert {r.choices[0].message.content for r in results} == {
        "answer: What is your refund policy?"
    }
    assert sorted(semroute.call_info(r).outcome for r in results).count("miss") == 1


def test_async_client_hits_and_misses_like_the_sync_one(api: FakeAPI, cache: SemanticCache) -> None:
    async def main() -> tuple[Any, Any, Any]:
        client = semroute.wrap(api.client(is_async=True), cache=cache)
        a = await client.chat.completions.create(model=MODEL, messages=MSGS)
        b = await client.chat.completions.create(model=MODEL, messages=MSGS)
        c = await client.responses.create(model=MODEL, input="Capital of France?")
        await client.responses.create(model=MODEL, input="Capital of France?")
        return a, b, c

    a, b, _ = asyncio.run(main())
    assert api.calls == 2
    assert semroute.call_info(a).outcome == "miss" and semroute.call_info(b).outcome == "exact"
    assert b.usage.total_tokens == 0


# -- routing and budgets -------------------------------------------------------------------------


def make_router(encoder: FakeEncoder) -> Router:
    tiers = [Tier("small-model", 0.1, 0.4), Tier("big-model", 2.0, 8.0)]
    router = Router(tiers=tiers, encoder=encoder, model=None, threshold=0.5)
    return router.fit(
        [
            "hi there",
            "thanks a lot",
            "prove the theorem formally",
            "derive the integral rigorously",
        ],
        [0, 0, 1, 1],
    )


def test_auto_routes_on_the_cache_embedding_and_keys_on_the_requested_model(
    api: FakeAPI, encoder: FakeEncoder
) -> None:
    cache = SemanticCache(encoder=encoder)
    client = semroute.wrap(api.client(), cache=cache, router=make_router(encoder))
    before = encoder.calls
    easy = ask(client, [{"role": "user", "content": "hi there"}], model="auto")
    assert encoder.calls - before == 1  # one embedding serves the router and the cache
    hard = ask(client, [{"role": "user", "content": "prove the theorem formally"}], model="auto")
    assert [r["model"] for r in api.requests] == ["small-model", "big-model"]
    e, h = semroute.call_info(easy), semroute.call_info(hard)
    assert (e.model_requested, e.route_model, h.route_model) == ("auto", "small-model", "big-model")
    assert e.route_score is not None and e.route_reason
    assert e.cost_usd == pytest.approx(Tier("small-model", 0.1, 0.4).cost(20, 7))
    assert e.saved_usd == pytest.approx(Tier("big-model", 2.0, 8.0).cost(20, 7) - e.cost_usd)
    again = ask(client, [{"role": "user", "content": "hi there"}], model="auto")
    assert api.calls == 2 and semroute.call_info(again).outcome == "exact"
    assert e.namespace == semroute.call_info(again).namespace


def test_an_explicit_model_is_never_overridden(api: FakeAPI, encoder: FakeEncoder) -> None:
    client = semroute.wrap(
        api.client(), cache=SemanticCache(encoder=encoder), router=make_router(encoder)
    )
    ask(client, [{"role": "user", "content": "prove the theorem formally"}], model="my-model")
    assert api.requests[-1]["model"] == "my-model"


def test_auto_without_a_router_is_a_config_error(client: Any, api: FakeAPI) -> None:
    with pytest.raises(ConfigError):
        ask(client, model="auto")
    assert api.calls == 0


class Gate:
    def __init__(self, action: str) -> None:
        self.action = action
        self.seen: list[tuple[Mapping[str, str], str]] = []

    def check(self, tags: Mapping[str, str], model: str) -> str:
        self.seen.append((tags, model))
        if self.action == "block":
            raise BudgetExceeded("monthly budget spent")
        return self.action


def test_a_blocking_budget_stops_the_call_before_the_api(
    api: FakeAPI, cache: SemanticCache
) -> None:
    gate = Gate("block")
    client = semroute.wrap(api.client(), cache=cache, budgets=[gate], tags={"feature": "support"})
    with pytest.raises(BudgetExceeded):
        ask(client)
    assert api.calls == 0
    assert gate.seen == [({"feature": "support"}, MODEL)]


def test_a_downgrading_budget_routes_to_the_cheapest_tier(
    api: FakeAPI, encoder: FakeEncoder
) -> None:
    client = semroute.wrap(
        api.client(),
        cache=SemanticCache(encoder=encoder),
        router=make_router(encoder),
        budgets=[Gate("allow"), Gate("downgrade")],
    )
    r = ask(client, model="big-model")
    assert api.requests[-1]["model"] == "small-model"
    info = semroute.call_info(r)
    assert (info.model_requested, info.route_reason) == ("big-model", "budget_downgrade")


# -- observers, ledger, unwrap, import --------------------------------------------------------


def test_every_call_reaches_the_ledger_and_the_observers(
    api: FakeAPI, cache: SemanticCache
) -> None:
    ledger, other = Recorder(), Recorder()
    client = semroute.wrap(
        api.client(), cache=cache, ledger=ledger, observers=[other], tags={"feature": "faq"}
    )
    ask(client)
    ask(client)
    assert (
        [i.outcome for i in ledger.infos] == [i.outcome for i in other.infos] == ["miss", "exact"]
    )
    assert ledger.infos[0].tags == {"feature": "faq"}
    assert ledger.infos[0].end_ns >= ledger.infos[0].start_ns > 0


def test_an_observer_that_raises_never_breaks_the_call(api: FakeAPI, cache: SemanticCache) -> None:
    class Broken:
        def on_call(self, info: CallInfo) -> None:
            raise RuntimeError("observer bug")

    after = Recorder()
    client = semroute.wrap(api.client(), cache=cache, observers=[Broken(), after])
    assert ask(client).choices[0].message.content
    assert counts(client)["observer_errors"] == 1
    assert len(after.infos) == 1  # the next observer still ran


def test_unwrap_and_the_context_manager_restore_the_client(
    api: FakeAPI, cache: SemanticCache
) -> None:
    client = api.client()
    original = client.chat.completions.create
    semroute.wrap(client, cache=cache)
    assert client.chat.completions.create != original
    with pytest.raises(ConfigError):
        semroute.wrap(client, cache=cache)
    semroute.unwrap(client)
    assert client.chat.completions.create == original
    ask(client)
    ask(client)
    assert api.calls == 2  # no cache any more
    with wrapped(client, cache=cache) as c:
        ask(c)
        ask(c)
    assert api.calls == 3
    ask(client)
    assert api.calls == 4


def test_wrap_rejects_what_is_not_an_openai_client(cache: SemanticCache) -> None:
    with pytest.raises(InputTypeError):
        semroute.wrap(object(), cache=cache)


def test_import_semroute_does_not_import_openai() -> None:
    code = "import sys, semroute, semroute.chat.request, semroute.chat.response; print('openai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    code = "import sys, semroute; semroute.wrap; print('openai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def test_a_stored_body_that_no_longer_validates_still_loads() -> None:
    from semroute.integrations.openai._objects import chat_completion

    body = FakeAPI().completion({"model": MODEL, "messages": [QUESTION]})
    del body["object"]  # a field this SDK version requires, absent in another's dump
    with pytest.raises(pydantic.ValidationError):
        openai.types.chat.ChatCompletion.model_validate(body)
    rebuilt = chat_completion(body)
    assert isinstance(rebuilt, openai.types.chat.ChatCompletion)
    assert rebuilt.choices[0].message.content == "answer: What is your refund policy?"
