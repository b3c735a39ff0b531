"""semroute as LangChain's LLM cache: LangChain's own standard suites, then real chat models.

The standard suites (``langchain_tests``) run unmodified against ``SemrouteCache`` over a
fake encoder; the end-to-end tests drive ``GenericFakeChatModel`` through
``set_llm_cache`` and through a per-model ``cache=`` with the shipped encoder, so a
paraphrase is judged by the real model.
"""

from __future__ import annotations

import asyncio
import doctest
import json
import time
from collections.abc import Iterator

import pytest
from langchain_core.caches import BaseCache
from langchain_core.globals import set_llm_cache
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, Generation
from langchain_tests.integration_tests import AsyncCacheTestSuite, SyncCacheTestSuite

from semroute.cache.cache import SemanticCache
from semroute.chat.info import CallInfo
from semroute.errors import ConfigError
from semroute.integrations.langchain import SemrouteCache
from tests.fakes import FakeEncoder


class TestSemrouteCacheSync(SyncCacheTestSuite):
    @pytest.fixture
    def cache(self) -> BaseCache:
        return SemrouteCache(SemanticCache(encoder=FakeEncoder()))


class TestSemrouteCacheAsync(AsyncCacheTestSuite):
    @pytest.fixture
    async def cache(self) -> BaseCache:
        return SemrouteCache(SemanticCache(encoder=FakeEncoder()))


class Recorder:
    def __init__(self) -> None:
        self.calls: list[CallInfo] = []

    def on_call(self, info: CallInfo) -> None:
        self.calls.append(info)


def _chat_prompt(*messages: object) -> str:
    return dumps(list(messages))


# -- the adapter's own contract (fake encoder) ------------------------------------------


@pytest.fixture
def fast() -> SemrouteCache:
    return SemrouteCache(SemanticCache(encoder=FakeEncoder()))


def test_chat_prompt_keys_on_last_human_message(fast: SemrouteCache) -> None:
    sys_a = SystemMessage("You are terse.")
    prompt = _chat_prompt(sys_a, HumanMessage("capital of France"))
    fast.update(prompt, "m", [ChatGeneration(message=AIMessage("Paris"))])
    # The same question with the words reordered embeds identically under the fake encoder:
    # a semantic hit, found through the last human message, not the serialised JSON.
    hit = fast.lookup(_chat_prompt(sys_a, HumanMessage("France capital of")), "m")
    assert hit is not None and hit[0].text == "Paris"
    assert isinstance(hit[0], ChatGeneration)
    # Another system prompt, another llm_string, or another earlier turn: another namespace.
    other_sys = _chat_prompt(SystemMessage("You are verbose."), HumanMessage("capital of France"))
    assert fast.lookup(other_sys, "m") is None
    assert fast.lookup(prompt, "m2") is None
    longer = _chat_prompt(
        sys_a, HumanMessage("hi"), AIMessage("hello"), HumanMessage("capital of France")
    )
    assert fast.lookup(longer, "m") is None


def test_unparseable_or_uncacheable_prompt_is_a_miss_never_an_error(fast: SemrouteCache) -> None:
    gens = [Generation(text="x")]
    broken = '[{"lc": 1, "type": "constructor", "id": ["no", "such", "Class"]'
    evil = (
        dumps([HumanMessage("hi")])
        .replace("HumanMessage", "ChatOpenAI")
        .replace('"messages"', '"chat_models"')
    )
    image = _chat_prompt(
        HumanMessage(content=[{"type": "image_url", "image_url": {"url": "http://x/y.png"}}])
    )
    for prompt in (broken, evil, image, ""):
        assert fast.lookup(prompt, "m") is None
        fast.update(prompt, "m", gens)  # never raises, never stores
        assert asyncio.run(fast.alookup(prompt, "m")) is None
    assert len(fast.cache) == 0


def test_tool_calls_and_truncated_answers_are_not_stored(fast: SemrouteCache) -> None:
    recorder = Recorder()
    cache = SemrouteCache(fast.cache, observers=[recorder])
    tool = AIMessage("", tool_calls=[{"name": "lookup", "args": {"q": "x"}, "id": "call_1"}])
    cache.update(
        _chat_prompt(HumanMessage("weather in Paris")), "m", [ChatGeneration(message=tool)]
    )
    cut = ChatGeneration(
        message=AIMessage("Once upon", response_metadata={"finish_reason": "length"})
    )
    cache.update(_chat_prompt(HumanMessage("tell a story")), "m", [cut])
    assert len(fast.cache) == 0
    assert [(c.outcome, c.reason) for c in recorder.calls] == [
        ("bypass", "tool_calls"),
        ("bypass", "finish_reason"),
    ]


def test_stored_payload_is_langchain_json_never_pickle(fast: SemrouteCache) -> None:
    gen = ChatGeneration(
        message=AIMessage(
            "Paris", usage_metadata={"input_tokens": 9, "output_tokens": 1, "total_tokens": 10}
        )
    )
    prompt = _chat_prompt(HumanMessage("capital of France"))
    fast.update(prompt, "m", [gen])
    request = fast._request(prompt, "m")
    assert request is not None and request.query == "capital of France"
    stored = fast.cache.get(request.query, namespace=request.namespace)
    assert stored is not None
    payload = json.loads(json.dumps(stored.response))  # plain JSON through and through
    assert payload[0]["lc"] == 1 and payload[0]["id"][-1] == "ChatGeneration"
    assert payload[0]["kwargs"]["message"]["kwargs"]["content"] == "Paris"
    assert fast.lookup(prompt, "m") == [gen]


def test_a_stored_payload_that_does_not_load_is_a_miss(fast: SemrouteCache) -> None:
    prompt = _chat_prompt(HumanMessage("capital of France"))
    fast.update(prompt, "m", [Generation(text="Paris")])
    request = fast._request(prompt, "m")
    assert request is not None and request.query is not None
    # Someone wrote a non-core class into the store: the safe loader refuses it.
    fast.cache.put(
        request.query,
        [{"lc": 1, "type": "constructor", "id": ["langchain_openai", "ChatOpenAI"], "kwargs": {}}],
        namespace=request.namespace,
    )
    assert fast.lookup(prompt, "m") is None


def test_clear_removes_only_this_adapters_entries(fast: SemrouteCache) -> None:
    fast.cache.put("unrelated question", "kept", namespace="app")
    other = SemrouteCache(fast.cache, prefix="tenant-b")
    fast.update("What is 2+2?", "m", [Generation(text="4")])
    other.update("What is 2+2?", "m", [Generation(text="four")])
    fast.clear()
    assert fast.lookup("What is 2+2?", "m") is None
    assert other.lookup("What is 2+2?", "m") == [Generation(text="four")]
    assert fast.cache.get("unrelated question", namespace="app") is not None


def test_observers_get_one_record_per_outcome(fast: SemrouteCache) -> None:
    recorder = Recorder()
    cache = SemrouteCache(fast.cache, ledger=recorder)
    usage = {"input_tokens": 12, "output_tokens": 3, "total_tokens": 15}
    prompt = _chat_prompt(HumanMessage("capital of France"))
    llm_string = '[("model", "fake-1"), ("stop", None)]'.replace('"', "'")
    assert cache.lookup(prompt, llm_string) is None
    cache.update(
        prompt, llm_string, [ChatGeneration(message=AIMessage("Paris", usage_metadata=usage))]
    )
    assert cache.lookup(prompt, llm_string) is not None
    miss, hit = recorder.calls
    assert (miss.outcome, miss.input_tokens, miss.output_tokens, miss.model_requested) == (
        "miss",
        12,
        3,
        "fake-1",
    )
    assert (hit.outcome, hit.input_tokens, hit.cost_usd, hit.saved_tokens) == ("exact", 0, 0.0, 15)
    assert hit.similarity == 1.0 and hit.namespace == miss.namespace and hit.end_ns >= hit.start_ns


def test_a_failing_observer_or_backend_never_breaks_the_chain(fast: SemrouteCache) -> None:
    class Broken:
        def on_call(self, info: CallInfo) -> None:
            raise RuntimeError("observer bug")

    cache = SemrouteCache(fast.cache, observers=[Broken()])
    cache.update("What is 2+2?", "m", [Generation(text="4")])
    assert cache.lookup("What is 2+2?", "m") == [Generation(text="4")]
    fast.cache.close()  # every cache call now raises
    assert cache.lookup("What is 3+3?", "m") is None
    cache.update("What is 3+3?", "m", [Generation(text="6")])


def test_bad_configuration_raises_config_error() -> None:
    with pytest.raises(ConfigError):
        SemrouteCache("sqlite:///x.db")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        SemrouteCache(SemanticCache(encoder=FakeEncoder()), history="all")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        SemrouteCache(SemanticCache(encoder=FakeEncoder()), observers=[object()])  # type: ignore[list-item]


# -- end to end with a LangChain chat model and the shipped encoder ----------------------


class CountingModel(GenericFakeChatModel):
    """GenericFakeChatModel that counts how often the "provider" really answered."""

    calls: int = 0

    def _generate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.calls += 1
        return super()._generate(*args, **kwargs)


def _model(**kwargs: object) -> CountingModel:
    answers = iter([AIMessage(f"answer {i}") for i in range(10)])
    return CountingModel(messages=answers, **kwargs)


@pytest.fixture(scope="module")
def real_cache() -> SemanticCache:
    return SemanticCache()  # the shipped encoder


@pytest.fixture
def lc_cache(real_cache: SemanticCache) -> Iterator[SemrouteCache]:
    cache = SemrouteCache(real_cache)
    yield cache
    cache.clear()


@pytest.fixture
def global_cache(lc_cache: SemrouteCache) -> Iterator[SemrouteCache]:
    set_llm_cache(lc_cache)
    yield lc_cache
    set_llm_cache(None)


SYSTEM = SystemMessage("You are a helpful support agent for Acme.")


@pytest.mark.integration
def test_global_cache_serves_a_paraphrase_but_not_another_system_prompt_or_temperature(
    global_cache: SemrouteCache,
) -> None:
    model = _model()
    first = model.invoke([SYSTEM, HumanMessage("How do I reset my password?")], temperature=0.2)
    again = model.invoke([SYSTEM, HumanMessage("How can I reset my password?")], temperature=0.2)
    assert again.content == first.content == "answer 0" and model.calls == 1
    other_system = model.invoke(
        [SystemMessage("You are a pirate."), HumanMessage("How can I reset my password?")],
        temperature=0.2,
    )
    assert other_system.content == "answer 1"
    other_temperature = model.invoke(
        [SYSTEM, HumanMessage("How can I reset my password?")], temperature=0.9
    )
    assert other_temperature.content == "answer 2" and model.calls == 3


@pytest.mark.integration
def test_per_model_cache_and_async_path(lc_cache: SemrouteCache) -> None:
    model = _model(cache=lc_cache)
    uncached = _model(cache=False)

    async def run() -> list[str]:
        a = await model.ainvoke([SYSTEM, HumanMessage("What is your refund policy?")])
        b = await model.ainvoke([SYSTEM, HumanMessage("What's your refund policy?")])
        c = await uncached.ainvoke([SYSTEM, HumanMessage("What's your refund policy?")])
        return [str(a.content), str(b.content), str(c.content)]

    assert asyncio.run(run()) == ["answer 0", "answer 0", "answer 0"]
    assert model.calls == 1 and uncached.calls == 1
    # The long system prompt does not drown the question: another question misses.
    other = model.invoke([SYSTEM, HumanMessage("How do I reset my password?")])
    assert other.content == "answer 1" and model.calls == 2


@pytest.mark.integration
def test_a_hit_is_a_real_chat_generation_with_cost_zeroed(lc_cache: SemrouteCache) -> None:
    model = _model(cache=lc_cache)
    model.invoke([HumanMessage("Capital of France?")])
    hit = model.invoke([HumanMessage("capital of france")])
    assert isinstance(hit, AIMessage) and hit.content == "answer 0" and model.calls == 1


@pytest.mark.integration
def test_module_examples_run() -> None:
    import semroute.integrations.langchain as adapter

    result = doctest.testmod(adapter)
    assert result.attempted >= 4 and result.failed == 0


def test_a_repeated_prompt_is_read_once(
    fast: SemrouteCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    import semroute.integrations.langchain as adapter

    reads: list[object] = []
    real = adapter.convert_to_openai_messages
    monkeypatch.setattr(adapter, "convert_to_openai_messages", lambda m: reads.append(m) or real(m))
    prompt = _chat_prompt(SystemMessage("Be brief."), HumanMessage("capital of France"))
    fast.update(prompt, "m", [Generation(text="Paris")])
    for _ in range(3):
        hit = fast.lookup(prompt, "m")
        assert hit is not None and hit[0].text == "Paris"
    assert len(reads) == 1


def test_a_miss_record_spans_lookup_to_update(fast: SemrouteCache) -> None:
    recorder = Recorder()
    cache = SemrouteCache(fast.cache, observers=[recorder])
    prompt = _chat_prompt(HumanMessage("capital of France"))
    assert cache.lookup(prompt, "m") is None
    time.sleep(0.05)  # the provider call LangChain makes between the two
    cache.update(prompt, "m", [Generation(text="Paris")])
    [miss] = recorder.calls
    assert miss.outcome == "miss" and miss.latency_s >= 0.05


def test_module_examples_use_no_test_helpers() -> None:
    import semroute.integrations.langchain as module

    for test in doctest.DocTestFinder().find(module):
        for example in test.examples:
            assert "tests." not in example.source, (test.name, example.source)


@pytest.mark.integration
def test_a_plain_llm_prompt_is_the_query_as_a_whole(lc_cache: SemrouteCache) -> None:
    from langchain_core.language_models import FakeListLLM

    llm = FakeListLLM(responses=["Paris", "Madrid"], cache=lc_cache)
    assert llm.invoke("What is the capital of France?") == "Paris"
    assert llm.invoke("What's the capital of France?") == "Paris"  # paraphrase: served
    assert llm.invoke("What is the capital of Spain?") == "Madrid"  # another question: a miss
