"""The LangChain and LiteLLM adapters' cost per call, beside the bare framework call.

pytest benchmarks/bench_frameworks.py --benchmark-only --benchmark-group-by=group \
    --benchmark-json=benchmarks/results/frameworks_overhead.json

Every figure is one whole framework call: ``GenericFakeChatModel.invoke`` for LangChain,
``litellm.completion(mock_response=...)`` (and ``litellm.Router.completion``) for LiteLLM,
so the provider costs nothing and what remains is the framework plus semroute. "bare" is
the framework with no cache (or its own cache); the adapter's overhead is the difference
in the same run. Misses and semantic hits run the shipped encoder (one thread), timed
alone in the ``encoder`` group; exact repeats skip it. Offline: the local price map, no
socket opened.
"""

from __future__ import annotations

import itertools
import os
import platform
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import pytest

# Before litellm is imported: otherwise it fetches its price map from GitHub.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm
from langchain_core.caches import InMemoryCache
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from benchmarks._sizes import size
from semroute._cache import SemanticCache
from semroute._encoder import Encoder
from semroute._router import Router
from semroute.integrations.langchain import SemrouteCache
from semroute.integrations.litellm import SemrouteLiteLLMCache, SemrouteRouting

SYSTEM = "You are a helpful support agent for Acme. Answer in two sentences."
STORED = "How do I reset my password?"
PARAPHRASE = "How can I reset my password?"
_VERSIONS = {
    name: version(name)
    for name in ("semroute", "langchain-core", "litellm", "onnxruntime", "numpy")
}


def _tag(benchmark: Any, framework: str, case: str) -> None:
    benchmark.extra_info.update(
        {
            "framework": framework,
            "case": case,
            "versions": _VERSIONS,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        }
    )


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    try:
        return Encoder(threads=1, cache_size=0)  # no memo: every paraphrase pays the model
    except Exception as exc:  # no shipped model in this checkout
        pytest.skip(f"shipped encoder unavailable: {exc}")


@pytest.fixture
def cache(encoder: Encoder) -> Iterator[SemanticCache]:
    semantic = SemanticCache(encoder=encoder)
    yield semantic
    semantic.close()


ROUNDS = size(300, 3)


def _run(benchmark: Any, fn: Any, *args: Any) -> None:
    """Fixed rounds of one call each, after a warm-up: medians comparable across cases."""
    benchmark.pedantic(fn, args=args, rounds=ROUNDS, warmup_rounds=size(20, 1), iterations=1)


def _unique() -> Iterator[str]:
    return (f"Question number {i}: what does error code E{i} mean?" for i in itertools.count())


@pytest.mark.benchmark(group="encoder")
def test_encoder_alone(benchmark: Any, cache: SemanticCache) -> None:
    _tag(benchmark, "-", "encoder: one query")
    _run(benchmark, cache.embed, PARAPHRASE)


# -- LangChain -------------------------------------------------------------------------


def _chat_model(cache: object) -> GenericFakeChatModel:
    return GenericFakeChatModel(
        messages=itertools.repeat(AIMessage("Click 'Forgot password'.")), cache=cache
    )


def _lc_messages(question: str) -> list[Any]:
    return [SystemMessage(SYSTEM), HumanMessage(question)]


@pytest.mark.benchmark(group="langchain")
def test_langchain_bare(benchmark: Any) -> None:
    _tag(benchmark, "langchain", "bare: no cache")
    model = _chat_model(False)
    _run(benchmark, model.invoke, _lc_messages(STORED))


@pytest.mark.benchmark(group="langchain")
def test_langchain_inmemorycache_hit(benchmark: Any) -> None:
    _tag(benchmark, "langchain", "LangChain InMemoryCache, exact hit")
    model = _chat_model(InMemoryCache())
    model.invoke(_lc_messages(STORED))
    _run(benchmark, model.invoke, _lc_messages(STORED))


@pytest.mark.benchmark(group="langchain")
def test_langchain_semroute_exact_hit(benchmark: Any, cache: SemanticCache) -> None:
    _tag(benchmark, "langchain", "SemrouteCache, exact hit")
    model = _chat_model(SemrouteCache(cache))
    model.invoke(_lc_messages(STORED))
    _run(benchmark, model.invoke, _lc_messages(STORED))


@pytest.mark.benchmark(group="langchain")
def test_langchain_semroute_semantic_hit(benchmark: Any, cache: SemanticCache) -> None:
    _tag(benchmark, "langchain", "SemrouteCache, paraphrase hit (encoder)")
    model = _chat_model(SemrouteCache(cache))
    model.invoke(_lc_messages(STORED))
    hit = model.invoke(_lc_messages(PARAPHRASE))
    assert hit.content == "Click 'Forgot password'."
    _run(benchmark, model.invoke, _lc_messages(PARAPHRASE))


@pytest.mark.benchmark(group="langchain")
def test_langchain_semroute_miss(benchmark: Any, cache: SemanticCache) -> None:
    _tag(benchmark, "langchain", "SemrouteCache, miss + store (encoder)")
    model = _chat_model(SemrouteCache(cache))
    questions = _unique()
    _run(benchmark, lambda: model.invoke(_lc_messages(next(questions))))


# -- LiteLLM ---------------------------------------------------------------------------


def _lite_messages(question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]


def _complete(question: str) -> Any:
    return litellm.completion(
        model="gpt-4o-mini",
        messages=_lite_messages(question),
        mock_response="Click 'Forgot password'.",
    )


@pytest.fixture
def lite_cache(cache: SemanticCache) -> Iterator[SemrouteLiteLLMCache]:
    litellm.cache = SemrouteLiteLLMCache(cache)
    yield litellm.cache
    litellm.cache = None


@pytest.mark.benchmark(group="litellm")
def test_litellm_bare(benchmark: Any) -> None:
    _tag(benchmark, "litellm", "bare: no cache")
    litellm.cache = None
    _run(benchmark, _complete, STORED)


@pytest.mark.benchmark(group="litellm")
def test_litellm_own_cache_hit(benchmark: Any) -> None:
    _tag(benchmark, "litellm", "litellm.Cache() (local), exact hit")
    litellm.cache = litellm.Cache()
    try:
        _complete(STORED)
        _run(benchmark, _complete, STORED)
    finally:
        litellm.cache = None


@pytest.mark.benchmark(group="litellm")
def test_litellm_semroute_exact_hit(benchmark: Any, lite_cache: SemrouteLiteLLMCache) -> None:
    _tag(benchmark, "litellm", "SemrouteLiteLLMCache, exact hit")
    _complete(STORED)
    _run(benchmark, _complete, STORED)


@pytest.mark.benchmark(group="litellm")
def test_litellm_semroute_semantic_hit(benchmark: Any, lite_cache: SemrouteLiteLLMCache) -> None:
    _tag(benchmark, "litellm", "SemrouteLiteLLMCache, paraphrase hit (encoder)")
    first = _complete(STORED)
    assert _complete(PARAPHRASE).id != first.id
    assert len(lite_cache.semantic_cache) == 1
    _run(benchmark, _complete, PARAPHRASE)


@pytest.mark.benchmark(group="litellm")
def test_litellm_semroute_miss(benchmark: Any, lite_cache: SemrouteLiteLLMCache) -> None:
    _tag(benchmark, "litellm", "SemrouteLiteLLMCache, miss + store (encoder)")
    questions = _unique()
    _run(benchmark, lambda: _complete(next(questions)))


def _llm_router() -> Any:
    return litellm.Router(
        model_list=[
            {
                "model_name": "auto",
                "litellm_params": {"model": "gpt-4o-mini", "mock_response": "small"},
            },
            {"model_name": "auto", "litellm_params": {"model": "gpt-4o", "mock_response": "large"}},
        ]
    )


@pytest.mark.benchmark(group="litellm-router")
def test_litellm_router_bare(benchmark: Any) -> None:
    _tag(benchmark, "litellm", "Router, default strategy")
    router = _llm_router()
    _run(benchmark, lambda: router.completion(model="auto", messages=_lite_messages(STORED)))


@pytest.mark.benchmark(group="litellm-router")
def test_litellm_router_semroute(benchmark: Any, encoder: Encoder) -> None:
    _tag(benchmark, "litellm", "Router + SemrouteRouting (encoder + choose)")
    router = _llm_router()
    SemrouteRouting(router, Router(encoder=encoder, threshold=0.5)).install()
    _run(benchmark, lambda: router.completion(model="auto", messages=_lite_messages(STORED)))
