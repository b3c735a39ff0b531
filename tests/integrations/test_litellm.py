"""semroute as LiteLLM's cache and router, offline: mock_response, the local price map,
and every non-loopback socket refused."""

from __future__ import annotations

import asyncio
import doctest
import gc
import inspect
import os
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

# Before litellm is imported: otherwise it fetches its price map from GitHub at import.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

import litellm
from litellm.types.utils import ModelResponse

import semroute.integrations.litellm as adapter
from semroute.cache.cache import SemanticCache
from semroute.chat.info import CallInfo
from semroute.errors import ConfigError
from semroute.integrations.litellm import SemrouteLiteLLMCache, SemrouteRouting
from semroute.router.router import Decision, Router, Tier
from tests.fakes import FakeEncoder
from tests.offline import no_network  # noqa: F401  (autouse: no test here reaches the network)


def test_the_network_really_is_off() -> None:
    with pytest.raises(OSError, match="disabled"), socket.create_connection(("example.com", 443)):
        pass
    with socket.socket() as sock, pytest.raises(OSError, match="disabled"):
        sock.connect(("10.255.255.1", 80))


class Recorder:
    def __init__(self) -> None:
        self.calls: list[CallInfo] = []

    def on_call(self, info: CallInfo) -> None:
        self.calls.append(info)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def lite_cache(recorder: Recorder) -> Iterator[SemrouteLiteLLMCache]:
    cache = SemrouteLiteLLMCache(SemanticCache(encoder=FakeEncoder()), ledger=recorder)
    litellm.cache = cache
    yield cache
    litellm.cache = None


def ask(text: str, *, system: str | None = None, **kwargs: Any) -> Any:
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": text})
    kwargs.setdefault("model", "gpt-4o-mini")
    kwargs.setdefault("mock_response", f"fresh answer to {text}")
    return litellm.completion(messages=messages, **kwargs)


def answer(response: Any) -> str:
    return str(response.choices[0].message.content)


# -- cache -------------------------------------------------------------------------------


def test_hit_is_served_with_a_fresh_id_and_zero_usage(
    lite_cache: SemrouteLiteLLMCache, recorder: Recorder
) -> None:
    first = ask("capital of France", mock_response="Paris")
    # Reordered words embed identically under the fake encoder: a semantic hit.
    again = ask("France capital of", mock_response="not from the cache")
    assert answer(first) == answer(again) == "Paris"
    assert again.id != first.id and again.id.startswith("chatcmpl-")
    assert again.usage.total_tokens == 0 and first.usage.total_tokens > 0
    miss, hit = recorder.calls
    assert (miss.outcome, hit.outcome) == ("miss", "semantic")
    assert hit.saved_tokens == first.usage.total_tokens and hit.cost_usd == 0.0
    assert hit.saved_usd == miss.cost_usd and miss.cost_usd is not None and miss.cost_usd > 0
    assert hit.matched_query == "capital of France" and hit.response_id is not None


@pytest.mark.parametrize(
    "change",
    [
        {"model": "gpt-4o"},
        {"temperature": 0.9},
        {"system": "You are a pirate."},
        {"max_tokens": 5},
    ],
)
def test_another_model_temperature_or_system_prompt_is_a_miss(
    lite_cache: SemrouteLiteLLMCache, change: dict[str, Any]
) -> None:
    base: dict[str, Any] = {"temperature": 0.2}
    ask("capital of France", mock_response="Paris", **base)
    assert answer(ask("capital of France", mock_response="Paris", **base)) == "Paris"
    assert answer(ask("capital of France", mock_response="other", **{**base, **change})) == "other"


def test_async_hit_and_miss(lite_cache: SemrouteLiteLLMCache, recorder: Recorder) -> None:
    async def run() -> list[str]:
        messages = [{"role": "user", "content": "tell me a joke"}]
        first = await litellm.acompletion(
            model="gpt-4o-mini", messages=messages, mock_response="J1"
        )
        # LiteLLM stores from a background task: wait for it, bounded.
        for _ in range(500):
            if len(lite_cache.semantic_cache):
                break
            await asyncio.sleep(0.01)
        second = await litellm.acompletion(
            model="gpt-4o-mini", messages=messages, mock_response="J2"
        )
        third = await litellm.acompletion(model="gpt-4o", messages=messages, mock_response="J3")
        assert second.id != first.id
        return [answer(first), answer(second), answer(third)]

    assert asyncio.run(run()) == ["J1", "J1", "J3"]
    assert [c.outcome for c in recorder.calls][:2] == ["miss", "exact"]


def _wait_for_entries(cache: SemrouteLiteLLMCache, n: int, timeout: float = 5.0) -> None:
    # LiteLLM stores a finished stream from its logging thread: wait for it, bounded.
    deadline = time.monotonic() + timeout
    while len(cache.semantic_cache) < n and time.monotonic() < deadline:
        time.sleep(0.01)


def test_stream_is_stored_when_it_ends_and_replayed_as_a_stream(
    lite_cache: SemrouteLiteLLMCache, recorder: Recorder
) -> None:
    messages = [{"role": "user", "content": "capital of France"}]
    text = "Paris is the capital of France."
    stream = litellm.completion(
        model="gpt-4o-mini", messages=messages, mock_response=text, stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream) == text
    _wait_for_entries(lite_cache, 1)
    replay = litellm.completion(
        model="gpt-4o-mini", messages=messages, mock_response="no", stream=True
    )
    chunks = list(replay)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == text
    assert [(c.outcome, c.stream) for c in recorder.calls] == [("miss", True), ("exact", True)]


def test_an_early_closed_stream_is_not_stored(lite_cache: SemrouteLiteLLMCache) -> None:
    messages = [{"role": "user", "content": "tell me a long story"}]
    stream = litellm.completion(
        model="gpt-4o-mini", messages=messages, mock_response="Once upon a time " * 20, stream=True
    )
    next(iter(stream))
    stream.close()
    del stream
    gc.collect()
    _wait_for_entries(lite_cache, 1, timeout=1.0)  # long enough for a finished stream's store
    assert len(lite_cache.semantic_cache) == 0


def test_uncacheable_requests_and_responses_pass_through(
    lite_cache: SemrouteLiteLLMCache, recorder: Recorder
) -> None:
    assert answer(ask("pick a number", n=2, mock_response="7")) == "7"
    assert answer(ask("pick a number", n=2, mock_response="8")) == "8"
    assert recorder.calls[0].outcome == "bypass" and recorder.calls[0].reason == "n_gt_1"
    kwargs = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "weather in Paris"}]}
    tool_call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "weather", "arguments": "{}"},
    }
    lite_cache.add_cache(
        ModelResponse(
            choices=[
                {
                    "finish_reason": "tool_calls",
                    "message": {"role": "assistant", "content": None, "tool_calls": [tool_call]},
                }
            ]
        ),
        **kwargs,
    )
    lite_cache.add_cache(
        ModelResponse(
            choices=[
                {"finish_reason": "length", "message": {"role": "assistant", "content": "It is"}}
            ]
        ),
        **kwargs,
    )
    assert len(lite_cache.semantic_cache) == 0
    assert [c.reason for c in recorder.calls[-2:]] == ["tool_calls", "finish_reason"]


def test_a_miss_record_spans_lookup_to_store(
    lite_cache: SemrouteLiteLLMCache, recorder: Recorder
) -> None:
    kwargs = {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "capital of France"}],
    }
    assert lite_cache.get_cache(**kwargs) is None
    time.sleep(0.05)  # the provider call LiteLLM makes between the two
    body = {"finish_reason": "stop", "message": {"role": "assistant", "content": "Paris"}}
    lite_cache.add_cache(ModelResponse(choices=[body]), **kwargs)
    [miss] = recorder.calls
    assert miss.outcome == "miss" and miss.latency_s >= 0.05
    assert len(lite_cache.semantic_cache) == 1


def test_a_miss_runs_the_encoder_once(lite_cache: SemrouteLiteLLMCache) -> None:
    encoder = FakeEncoder()
    cache = SemrouteLiteLLMCache(SemanticCache(encoder=encoder))
    litellm.cache = cache
    ask("capital of France", mock_response="Paris")
    assert len(cache.semantic_cache) == 1 and encoder.calls == 1  # the lookup's vector is stored
    assert len(cache._pending) == 0  # and the lookup's memo entry is consumed


def test_a_broken_cache_falls_through_to_the_provider(
    lite_cache: SemrouteLiteLLMCache, recorder: Recorder
) -> None:
    ask("capital of France", mock_response="Paris")
    lite_cache.semantic_cache.close()
    assert (
        answer(ask("capital of France", mock_response="from the provider")) == "from the provider"
    )
    assert [c.reason for c in recorder.calls[1:]] == ["cache_error", "cache_error"]


def test_provider_errors_are_recorded_through_the_failure_logger(
    lite_cache: SemrouteLiteLLMCache, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(litellm, "callbacks", [lite_cache.failure_logger])
    error = litellm.RateLimitError("slow down", llm_provider="openai", model="gpt-4o-mini")
    with pytest.raises(litellm.RateLimitError):
        ask("capital of France", mock_response=error)

    async def failing() -> None:
        with pytest.raises(litellm.RateLimitError):
            await litellm.acompletion(
                model="gpt-4o",
                messages=[{"role": "user", "content": "capital of Spain"}],
                mock_response=error,
            )
        for _ in range(300):  # LiteLLM logs failures from a background task
            if len(recorder.calls) >= 2:
                return
            await asyncio.sleep(0.01)

    asyncio.run(failing())
    deadline = time.monotonic() + 5
    while len(recorder.calls) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    errors = [c for c in recorder.calls if c.outcome == "error"]
    assert sorted(c.model_requested for c in errors) == ["gpt-4o", "gpt-4o-mini"]
    assert {c.error_type for c in errors} == {"RateLimitError"}
    assert all(c.end_ns >= c.start_ns > 0 and c.namespace for c in errors)
    assert len(lite_cache.semantic_cache) == 0  # nothing stored for a failed call


def test_the_litellm_hooks_we_override_still_exist() -> None:
    # The adapter overrides these public Cache methods; LiteLLM's caching handler calls them.
    # If an upgrade renames or reshapes one, fail here with the reason, not by silently missing.
    for name in ("get_cache", "async_get_cache", "add_cache", "async_add_cache"):
        params = inspect.signature(getattr(litellm.Cache, name)).parameters
        assert any(p.kind is p.VAR_KEYWORD for p in params.values()), name
    init = inspect.signature(litellm.Cache.__init__).parameters
    assert {"supported_call_types", "max_messages"} <= set(init)
    assert callable(getattr(litellm.Router, "register_plugin", None))


def test_bad_configuration_raises_config_error() -> None:
    with pytest.raises(ConfigError):
        SemrouteLiteLLMCache("memory://")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        SemrouteLiteLLMCache(SemanticCache(encoder=FakeEncoder()), history="nope")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        SemrouteRouting(litellm.Router(model_list=[]), "router")  # type: ignore[arg-type]


# -- routing -----------------------------------------------------------------------------

EASY = ["hi there", "thanks a lot", "hello friend", "good morning"]
HARD = [
    "prove the theorem formally",
    "derive the integral step by step",
    "prove the lemma by induction",
    "derive the gradient formally",
]


@pytest.fixture
def router() -> Router:
    # Fitted in the test, with its own threshold: independent of the shipped model.
    tiers = [Tier("small-model", 0.1, 0.4), Tier("large-model", 2.5, 10.0)]
    return Router(tiers=tiers, encoder=FakeEncoder(), model=None, threshold=0.5).fit(
        EASY + HARD, [0] * len(EASY) + [1] * len(HARD)
    )


@pytest.fixture
def llm_router() -> litellm.Router:
    return litellm.Router(
        model_list=[
            {
                "model_name": "auto",
                "litellm_params": {"model": "openai/small-model", "mock_response": "small"},
                "model_info": {"id": "small-model"},
            },
            {
                "model_name": "auto",
                "litellm_params": {"model": "openai/large-model", "mock_response": "large"},
                "model_info": {"id": "large-model"},
            },
        ],
        cache_responses=True,
    )


def test_routing_picks_small_for_easy_and_large_for_hard(
    router: Router, llm_router: litellm.Router
) -> None:
    decisions: list[tuple[str, Decision]] = []
    SemrouteRouting(llm_router, router, on_decision=lambda g, d: decisions.append((g, d))).install()

    def call(text: str) -> str:
        messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}]
        return answer(llm_router.completion(model="auto", messages=messages))

    assert call("hi there friend") == "small"
    assert call("prove the theorem by induction") == "large"
    assert [(g, d.model) for g, d in decisions] == [
        ("auto", "small-model"),
        ("auto", "large-model"),
    ]
    assert "-> large-model" in decisions[1][1].reason

    async def acall(text: str) -> str:
        messages = [{"role": "user", "content": text}]
        return answer(await llm_router.acompletion(model="auto", messages=messages))

    assert asyncio.run(acall("good morning")) == "small"
    assert asyncio.run(acall("derive the integral formally")) == "large"


def test_route_reason_reaches_the_call_record_and_cache_keys_on_the_group(
    router: Router, llm_router: litellm.Router, lite_cache: SemrouteLiteLLMCache, recorder: Recorder
) -> None:
    SemrouteRouting(llm_router, router).install()
    messages = [{"role": "user", "content": "prove the theorem formally"}]
    first = llm_router.completion(model="auto", messages=messages)
    again = llm_router.completion(model="auto", messages=messages)
    assert answer(first) == answer(again) == "large" and again.id != first.id
    miss, hit = recorder.calls
    assert (miss.outcome, hit.outcome) == ("miss", "exact")
    assert miss.model_requested == "auto" and miss.route_model == "openai/large-model"
    assert miss.route_reason is not None and "large-model" in miss.route_reason


def test_a_request_without_text_goes_to_the_first_deployment(
    router: Router, llm_router: litellm.Router
) -> None:
    strategy = SemrouteRouting(llm_router, router)
    kwargs: dict[str, object] = {}
    image = [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}
    ]
    picked = strategy.get_available_deployment("auto", messages=image, request_kwargs=kwargs)
    assert picked is not None and picked["model_info"]["id"] == "small-model"
    assert kwargs["metadata"]["semroute_route"]["reason"] == "no query"  # type: ignore[index]


ADAPTER_MODULES = (adapter, adapter.cache, adapter.routing)


def test_module_examples_run() -> None:
    attempted = failed = 0
    try:
        for module in ADAPTER_MODULES:
            result = doctest.testmod(module)
            attempted, failed = attempted + result.attempted, failed + result.failed
    finally:
        litellm.cache = None
    assert attempted >= 2 and failed == 0


def test_module_examples_use_no_test_helpers() -> None:
    tests = [test for module in ADAPTER_MODULES for test in doctest.DocTestFinder().find(module)]
    assert any(test.examples for test in tests)
    for test in tests:
        for example in test.examples:
            assert "tests." not in example.source, (test.name, example.source)


def test_a_tier_without_a_deployment_falls_back_and_says_so(router: Router) -> None:
    llm_router = litellm.Router(
        model_list=[
            {
                "model_name": "auto",
                "litellm_params": {"model": "openai/small-model", "mock_response": "s"},
            },
            {
                "model_name": "auto",
                "litellm_params": {"model": "openai/other", "mock_response": "o"},
            },
        ]
    )
    strategy = SemrouteRouting(llm_router, router)
    messages = [{"role": "user", "content": "hi there"}]
    kwargs: dict[str, Any] = {}
    # "small-model" is found behind the provider prefix of "openai/small-model"
    easy = strategy.get_available_deployment("auto", messages=messages, request_kwargs=kwargs)
    assert easy is not None and easy["litellm_params"]["model"] == "openai/small-model"
    assert "no deployment" not in kwargs["metadata"]["semroute_route"]["reason"]
    hard = [{"role": "user", "content": "prove the theorem formally"}]
    picked = strategy.get_available_deployment("auto", messages=hard, request_kwargs=kwargs)
    first = llm_router.registry().deployments("auto")[0]
    assert picked is not None and picked["model_info"]["id"] == first["model_info"]["id"]
    assert (
        "no deployment of 'auto' is 'large-model'" in kwargs["metadata"]["semroute_route"]["reason"]
    )
