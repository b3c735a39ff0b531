"""Adversarial checks of the LangChain and LiteLLM adapters: two calls that must not share an
answer, and answers that must not be stored, with the real langchain-core and litellm, offline."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

# Before litellm is imported: otherwise it fetches its price map from GitHub at import.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

import litellm
from langchain_core.load import dumps
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration

from semroute.cache.cache import SemanticCache
from semroute.integrations.langchain import SemrouteCache
from semroute.integrations.litellm import SemrouteLiteLLMCache
from tests.fakes import FakeEncoder
from tests.offline import no_network  # noqa: F401  (autouse: no test here reaches the network)

# -- LiteLLM -------------------------------------------------------------------------------


@pytest.fixture
def lite_cache() -> Iterator[SemrouteLiteLLMCache]:
    cache = SemrouteLiteLLMCache(SemanticCache(encoder=FakeEncoder()))
    litellm.cache = cache
    yield cache
    litellm.cache = None


def _ask(text: str, mock: str, **kwargs: Any) -> str:
    kwargs.setdefault("model", "gpt-4o-mini")
    messages = [{"role": "user", "content": text}]
    response = litellm.completion(messages=messages, mock_response=mock, **kwargs)
    return str(response.choices[0].message.content)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # A provider parameter LiteLLM forwards as it is (not an OpenAI one).
        ({"top_k": 3}, {"top_k": 50}),
        ({"safety_settings": [{"category": "x", "threshold": "BLOCK_NONE"}]}, {}),
        # The provider, named apart from the model: Azure's gpt-4o is not OpenAI's.
        ({"custom_llm_provider": "azure"}, {}),
        # LiteLLM options that change what the model is asked.
        ({"litellm_system_prompt": "Answer in French."}, {}),
        ({"deployment_id": "gpt-4o-prod"}, {"deployment_id": "gpt-35-legacy"}),
    ],
)
def test_litellm_parameters_outside_the_openai_list_are_keyed(
    lite_cache: SemrouteLiteLLMCache, first: dict[str, Any], second: dict[str, Any]
) -> None:
    assert _ask("capital of France", "first", **first) == "first"
    assert _ask("capital of France", "first again", **first) == "first"  # same request: served
    assert _ask("capital of France", "second", **second) == "second"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("litellm_parent_otel_span", object()),
        ("user_api_key_dict", object()),
        ("litellm_params", {"span": object()}),
    ],
)
def test_litellm_objects_about_the_call_do_not_key_it(
    lite_cache: SemrouteLiteLLMCache, name: str, value: object
) -> None:
    # The proxy adds these (a span, the caller's key): no JSON form, never sent to the model.
    assert _ask("capital of France", "first") == "first"
    assert _ask("capital of France", "second", **{name: value}) == "first"


def test_litellm_text_completion_is_not_served_to_chat(lite_cache: SemrouteLiteLLMCache) -> None:
    model = "gpt-3.5-turbo-instruct"
    text = litellm.text_completion(model=model, prompt="capital of France", mock_response="T")
    assert text.choices[0].text == "T"
    # The completions endpoint and the chat endpoint of one model answer differently.
    assert _ask("capital of France", "C", model=model) == "C"


def test_litellm_s_maxage_refuses_an_older_entry(lite_cache: SemrouteLiteLLMCache) -> None:
    assert _ask("capital of France", "old") == "old"
    time.sleep(0.3)
    # LiteLLM's per-request cache control: no entry older than this many seconds.
    assert _ask("capital of France", "fresh", cache={"s-maxage": 0.1}) == "fresh"
    assert _ask("capital of France", "not served", cache={"s-maxage": 60}) == "fresh"


def test_litellm_per_request_ttl_is_kept(lite_cache: SemrouteLiteLLMCache) -> None:
    assert _ask("capital of France", "short-lived", cache={"ttl": 0.2}) == "short-lived"
    time.sleep(0.4)
    assert _ask("capital of France", "later") == "later"


def test_litellm_hits_still_work_through_the_router(lite_cache: SemrouteLiteLLMCache) -> None:
    router = litellm.Router(
        model_list=[
            {
                "model_name": "g",
                "litellm_params": {"model": "openai/gpt-4o", "mock_response": "R", "api_key": "k"},
            }
        ],
        cache_responses=True,
    )
    messages = [{"role": "user", "content": "capital of France"}]
    first = router.completion(model="g", messages=messages)
    again = router.completion(model="g", messages=messages, mock_response="never")
    assert again.choices[0].message.content == "R" and again.id != first.id


# -- LangChain -----------------------------------------------------------------------------


@pytest.fixture
def lc_cache() -> SemrouteCache:
    return SemrouteCache(SemanticCache(encoder=FakeEncoder()))


@pytest.mark.parametrize(
    "metadata",
    [
        {"stopReason": "max_tokens"},  # langchain-aws ChatBedrockConverse, cut by max_tokens
        {"stopReason": "guardrail_intervened"},
        {"done_reason": "length"},  # langchain-ollama ChatOllama, cut by num_predict
    ],
)
def test_langchain_truncated_answers_named_by_other_providers_are_not_stored(
    lc_cache: SemrouteCache, metadata: dict[str, str]
) -> None:
    prompt = dumps([HumanMessage("tell me a story")])
    cut = ChatGeneration(message=AIMessage("Once upon", response_metadata=metadata))
    lc_cache.update(prompt, "m", [cut])
    assert len(lc_cache.cache) == 0
    assert lc_cache.lookup(prompt, "m") is None


@pytest.mark.parametrize("metadata", [{"stopReason": "end_turn"}, {"done_reason": "stop"}])
def test_langchain_normal_ends_named_by_other_providers_are_stored(
    lc_cache: SemrouteCache, metadata: dict[str, str]
) -> None:
    prompt = dumps([HumanMessage("tell me a story")])
    lc_cache.update(
        prompt, "m", [ChatGeneration(message=AIMessage("The end.", response_metadata=metadata))]
    )
    assert len(lc_cache.cache) == 1


@pytest.mark.parametrize(
    "content",
    [
        # ChatAnthropic with its web search tool: the answer depends on the search results.
        [
            {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {"query": "x"}},
            {"type": "web_search_tool_result", "tool_use_id": "s1", "content": []},
            {"type": "text", "text": "It is sunny."},
        ],
        # ChatOpenAI on the Responses API with web search.
        [
            {"type": "web_search_call", "id": "ws", "status": "completed"},
            {"type": "text", "text": "It is sunny."},
        ],
    ],
)
def test_langchain_answers_with_server_tool_calls_are_not_stored(
    lc_cache: SemrouteCache, content: list[dict[str, object]]
) -> None:
    prompt = dumps([HumanMessage("weather in Paris today")])
    provider = "anthropic" if content[0]["type"] == "server_tool_use" else "openai"
    message = AIMessage(content, response_metadata={"model_provider": provider})  # type: ignore[arg-type]
    lc_cache.update(prompt, "m", [ChatGeneration(message=message)])
    assert len(lc_cache.cache) == 0


def test_langchain_a_tool_results_error_status_keys_the_request(lc_cache: SemrouteCache) -> None:
    from langchain_core.messages import ToolMessage

    call = {"name": "lookup", "args": {"q": "x"}, "id": "t1", "type": "tool_call"}

    def prompt(status: str) -> str:
        return dumps(
            [
                HumanMessage("look it up"),
                AIMessage("", tool_calls=[call]),
                ToolMessage("no result", tool_call_id="t1", status=status),  # type: ignore[arg-type]
                HumanMessage("what did you find?"),
            ]
        )

    answer = [ChatGeneration(message=AIMessage("Nothing was found."))]
    lc_cache.update(prompt("success"), "m", answer)
    assert lc_cache.lookup(prompt("success"), "m") is not None
    # Anthropic sends status="error" as is_error: the model reads a failed tool, not a result.
    assert lc_cache.lookup(prompt("error"), "m") is None


def test_langchain_an_earlier_unparsable_tool_call_keys_the_request(
    lc_cache: SemrouteCache,
) -> None:
    def prompt(bad_args: str | None) -> str:
        invalid = (
            []
            if bad_args is None
            else [
                {
                    "name": "f",
                    "args": bad_args,
                    "id": "t1",
                    "error": "bad json",
                    "type": "invalid_tool_call",
                }
            ]
        )
        return dumps(
            [
                HumanMessage("call f"),
                AIMessage("Trying.", invalid_tool_calls=invalid),  # type: ignore[arg-type]
                HumanMessage("and now?"),
            ]
        )

    lc_cache.update(prompt(None), "m", [ChatGeneration(message=AIMessage("Done."))])
    assert lc_cache.lookup(prompt(None), "m") is not None
    assert lc_cache.lookup(prompt("{oops"), "m") is None
