"""Fuzz every public entry point: only documented exception types may escape.

Documented means a ``semroute.errors`` type, or the user's own ``fn`` exception passed
through unchanged. Arguments mix valid values with wrong types, str subclasses, lone
surrogates, numpy scalars, NaN and infinities, so many calls get past validation and
exercise the lookup, store and flight paths too. Sizes: ``scaled(quick, long)`` examples
per entry point (``SEMROUTE_SOAK=long`` for the long mode).
"""

from __future__ import annotations

import asyncio
import enum
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from semroute import Guards, analyze, prune
from semroute.cache.cache import SemanticCache
from semroute.errors import SemrouteError
from semroute.router.router import Router, Tier
from tests.fakes import FakeEncoder
from tests.soak.conftest import scaled

EXAMPLES = scaled(60, 5000)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
COUNTS: dict[str, int] = {}


class FnFailure(Exception):
    """What the user's fn raises: it must come back unchanged."""


class Colour(enum.StrEnum):
    RED = "What colour is the sky?"


def _count(name: str) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1


words = st.sampled_from(
    ["what", "is", "5", "the", "capital", "of", "France", "not", "reset", "password", "n"]
)
sentences = st.lists(words, min_size=1, max_size=8).map(" ".join)
weird_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(
        ["", " ", "?", "...", "!", "What is 5!", "a\ud800b", "\udfff", "\x00", "\u2026" * 3]
    ),
    sentences.map(lambda s: s + "?"),
    sentences.map(lambda s: (s + " ") * 200),  # longer than any window
)
texts = st.one_of(sentences, weird_text, sentences.map(np.str_), st.just(Colour.RED))
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=8),
    st.lists(st.integers(), max_size=3),
    st.just(np.bool_(True)),
    st.just(np.float32("nan")),
    st.just(object()),
)
numbers = st.one_of(
    st.floats(-2, 2),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 5),
    st.floats(0.5, 1.0).map(np.float32),
    st.integers(1, 100).map(np.int64),
    st.booleans(),
    st.text(max_size=3),
)
maybe = st.one_of(st.none(), numbers)
namespaces = st.one_of(st.none(), st.sampled_from(["a", "b", "c/d"]), weird_text, junk)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)
responses = st.one_of(json_values, junk, st.just("half \udc80 char"))
embeddings = st.one_of(
    st.none(),
    st.integers(0, 70).map(lambda n: np.random.default_rng(n).standard_normal(n)),
    st.just(np.zeros(64)),
    st.just(np.full(64, np.nan)),
    st.just("not a vector"),
    junk,
)
guards = st.one_of(st.none(), st.just(Guards()), st.just(Guards.none()), junk)


def _fn(result: Any, mode: str) -> Any:
    if mode == "raise":

        def failing(q: str) -> Any:
            raise FnFailure(q)

        return failing
    if mode == "async":

        async def coroutine(q: str) -> Any:
            return result

        return coroutine
    if mode == "not callable":
        return result
    return lambda q: result


fns = st.tuples(responses, st.sampled_from(["ok", "ok", "ok", "raise", "async", "not callable"]))


def _expect_documented(call: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except (SemrouteError, FnFailure):
        return None


@pytest.fixture(scope="module")
def encoder() -> FakeEncoder:
    return FakeEncoder()


@pytest.fixture(scope="module")
def cache(encoder: FakeEncoder, tmp_path_factory: pytest.TempPathFactory) -> SemanticCache:
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    with SemanticCache(str(path), encoder=encoder, max_entries=500) as shared:
        yield shared


@settings(FUZZ, max_examples=4 * EXAMPLES)
@given(data=st.data())
def test_cache_entry_points_raise_only_documented_errors(
    cache: SemanticCache, data: st.DataObject
) -> None:
    op = data.draw(
        st.sampled_from(
            ["get", "put", "get_or_call", "serve", "aserve", "delete", "report_wrong",
             "invalidate", "embed"]
        )
    )  # fmt: skip
    _count("cache." + op)
    query = data.draw(st.one_of(texts, junk))
    ns = data.draw(namespaces)
    if op == "get":
        hit = _expect_documented(
            cache.get,
            query,
            namespace=ns,
            threshold=data.draw(maybe),
            embedding=data.draw(embeddings),
            guards=data.draw(guards),
        )
        assert hit is None or hit.namespace == (ns if ns is not None else "default")
    elif op == "put":
        _expect_documented(
            cache.put,
            query,
            data.draw(responses),
            namespace=ns,
            ttl=data.draw(maybe),
            embedding=data.draw(embeddings),
        )
    elif op in ("get_or_call", "serve"):
        fn = _fn(*data.draw(fns))
        call = cache.get_or_call if op == "get_or_call" else cache.serve
        _expect_documented(
            call,
            query,
            fn,
            namespace=ns,
            ttl=data.draw(maybe),
            threshold=data.draw(maybe),
            guards=data.draw(guards),
            embedding=data.draw(embeddings),
        )
    elif op == "aserve":
        result, mode = data.draw(fns)
        fn = _fn(result, "async" if mode == "ok" else mode)
        _expect_documented(
            asyncio.run, _aserve(cache, query, fn, ns, data.draw(maybe), data.draw(embeddings))
        )
    elif op == "delete":
        _expect_documented(cache.delete, query, namespace=ns)
    elif op == "report_wrong":
        _expect_documented(cache.report_wrong, query, namespace=ns, threshold=data.draw(maybe))
    elif op == "invalidate":
        prefix = data.draw(st.one_of(st.none(), weird_text, junk))
        _expect_documented(cache.invalidate, ns, prefix=prefix)
    else:
        _expect_documented(cache.embed, query)


async def _aserve(
    cache: SemanticCache, query: Any, fn: Any, ns: Any, threshold: Any, embedding: Any
) -> Any:
    try:
        return await cache.aserve(query, fn, namespace=ns, threshold=threshold, embedding=embedding)
    finally:
        await asyncio.sleep(0)


@pytest.fixture(scope="module")
def router(encoder: FakeEncoder) -> Router:
    tiers = [Tier("mini", 0.15, 0.60), Tier("big", 2.50, 10.00)]
    fitted = Router(tiers=tiers, encoder=encoder, model=None, threshold=0.5)
    return fitted.fit(["hi there", "thanks a lot", "prove the theorem", "derive it"], [0, 0, 1, 1])


@FUZZ
@given(query=st.one_of(texts, junk), embedding=embeddings, many=st.booleans())
def test_router_choose_raises_only_documented_errors(
    router: Router, query: Any, embedding: Any, many: bool
) -> None:
    _count("router.choose_many" if many else "router.choose")
    if many:
        decisions = _expect_documented(router.choose_many, [query, query], embeddings=embedding)
        assert decisions is None or len(decisions) == 2
    else:
        _expect_documented(router.choose, query, embedding=embedding)


@FUZZ
@given(
    context=st.one_of(
        texts, st.lists(texts, max_size=4), junk, sentences.map(lambda s: (s + ". ") * 50)
    ),
    query=st.one_of(st.none(), texts, junk),
    ratio=maybe,
    target=st.one_of(st.none(), st.integers(-3, 500), junk),
)
def test_prune_raises_only_documented_errors(
    encoder: FakeEncoder, context: Any, query: Any, ratio: Any, target: Any
) -> None:
    _count("prune")
    result = _expect_documented(
        prune, context, query=query, ratio=ratio, target_tokens=target, encoder=encoder
    )
    assert result is None or isinstance(result.text, str)


@FUZZ
@given(
    flags=st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(st.booleans(), junk)
            for name in ("numbers", "negation", "opposites", "entities", "key_terms")
        },
    )
)
def test_guards_raise_only_documented_errors(flags: dict[str, Any]) -> None:
    _count("Guards")
    made = _expect_documented(Guards, **flags)
    assert made is None or isinstance(made.mask, int)


def _nested(depth: int) -> str:
    return '{"query": ' + "[" * depth + '"x"' + "]" * depth + "}"


log_lines = st.one_of(
    st.builds(
        lambda q, cost: json.dumps({"query": q, "cost_usd": cost}),
        texts.map(str),
        st.one_of(st.floats(0, 1), st.text(max_size=4), st.none()),
    ),
    st.text(max_size=60),
    st.sampled_from(['{"query": "a\\ud800"}', "{", "[]", "null", '{"query": 5}', _nested(1200)]),
)


@FUZZ
@given(lines=st.lists(log_lines, min_size=1, max_size=6))
def test_analyze_raises_only_documented_errors(
    encoder: FakeEncoder, router: Router, tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    _count("analyze")
    path = tmp_path_factory.mktemp("log") / "calls.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    report = _expect_documented(analyze, path, encoder=encoder, router=router)
    assert report is None or report.records >= 0


@settings(FUZZ, max_examples=scaled(30, 1000))
@given(
    value=st.one_of(texts, junk, st.lists(st.one_of(texts, junk), max_size=3)),
    which=st.sampled_from(["encode", "count_tokens", "window_end"]),
)
def test_the_shipped_encoder_raises_only_documented_errors(value: Any, which: str) -> None:
    from semroute import default_encoder

    encoder = default_encoder()
    _count("Encoder." + which)
    if which == "encode":
        vectors = _expect_documented(encoder.encode, value)
        assert vectors is None or np.isfinite(vectors).all()
    elif which == "count_tokens":
        _expect_documented(encoder.count_tokens, value)
    else:
        end = _expect_documented(encoder.window_end, value)
        assert end is None or 0 <= end <= len(value)


def test_zz_report_fuzz_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """Print how many calls each entry point received (the figures quoted in the report)."""
    with capsys.disabled():
        print(f"\nfuzz calls by entry point ({EXAMPLES} examples each test): {COUNTS}")
    assert COUNTS, "the fuzz tests above did not run"
