"""Issue #12 items 5, 12, 13, 14: exact keys, punctuation-only queries, typed errors, numbers."""

from __future__ import annotations

import asyncio
import enum
from pathlib import Path

import numpy as np
import pytest

from semroute import _text
from semroute.cache import text_ref as _reference
from semroute.cache.cache import SemanticCache
from semroute.cache.config import IndexConfig
from semroute.errors import ConfigError, InputError, InputTypeError, SemrouteError
from semroute.router.router import Router
from tests.fakes import FakeEncoder


class Model(enum.StrEnum):
    MINI = "gpt-4o-mini"


class Loud(str):
    def __str__(self) -> str:
        return "something else"


@pytest.fixture
def cache() -> SemanticCache:
    return SemanticCache(encoder=FakeEncoder())


# -- item 5: only punctuation that cannot change the meaning is stripped --------------


@pytest.mark.parametrize(
    ("a", "b"),
    [("What is 5!", "What is 5?"), ("n!", "n?"), ("(n+1)!", "(n+1)"), ("what is 5!", "5")],
)
def test_a_factorial_bang_is_kept_in_the_exact_key(a: str, b: str) -> None:
    for module in (_text, _reference):
        assert module.normalize_query(a) != module.normalize_query(b)
    assert _text.query_key(a) != _text.query_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("How do I reset my password?", "how do i reset my password"),
        ("Help!", "help"),
        ("What is 5?", "what is 5."),
        ("What is 5!?", "what is 5!"),
        ("what is 5 !", "what is 5"),
        ("Thanks!!!", "thanks"),
    ],
)
def test_meaningless_trailing_punctuation_is_still_stripped(a: str, b: str) -> None:
    assert _text.query_key(a) == _text.query_key(b)
    assert _text.normalize_query(a) == _reference.normalize_query(a)


def test_what_is_5_bang_and_question_are_not_one_exact_entry(cache: SemanticCache) -> None:
    cache.put("What is 5!", "120")
    assert cache.get("What is 5?", threshold=1.0, guards=None) is None or (
        not cache.get("What is 5?", threshold=1.0).exact  # type: ignore[union-attr]
    )
    cache.put("What is 5?", "5")
    assert cache.get("what is 5!").response == "120"  # type: ignore[union-attr]
    assert cache.get("what is 5").response == "5"  # type: ignore[union-attr]
    assert len(cache) == 2


def test_rows_keyed_by_an_older_normaliser_do_not_answer_another_query(tmp_path: Path) -> None:
    """A store written before the factorial rule holds "What is 5!" under the key of
    "what is 5"; reopened, the key is recomputed, so "What is 5?" never gets 120."""
    import sqlite3

    db = tmp_path / "old.db"
    with SemanticCache(str(db), encoder=FakeEncoder()) as old:
        old.put("What is 5!", "120")
    with sqlite3.connect(db) as conn:
        # What the previous normaliser wrote: the "!" stripped from norm and key.
        conn.execute(
            "UPDATE semroute_entries SET norm = ?, key = ?",
            ("what is 5", _text.query_key("What is 5?")),
        )
    with SemanticCache(str(db), encoder=FakeEncoder()) as reopened:
        hit = reopened.get("What is 5?", guards=None, threshold=1.0)
        assert hit is None or not hit.exact
        again = reopened.get("What is 5!")
        assert again is not None and again.exact and again.response == "120"


# -- item 12: punctuation-only queries pass through --------------------------------------


@pytest.mark.parametrize("query", ["?", "...", "?!.", "\u2026", "!"])
def test_punctuation_only_queries_pass_through_to_fn(cache: SemanticCache, query: str) -> None:
    calls: list[str] = []

    def llm(q: str) -> str:
        calls.append(q)
        return f"you asked {q}"

    assert cache.get_or_call(query, llm) == f"you asked {query}"
    assert cache.get_or_call(query, llm) == f"you asked {query}"
    assert calls == [query, query] and len(cache) == 0
    served = cache.serve(query, llm)
    assert served.hit is None and not served.stored
    misses = cache.stats.misses
    assert cache.get(query) is None
    assert cache.stats.misses == misses + 1
    cache.put(query, "never kept")
    assert len(cache) == 0 and cache.delete(query) is False and cache.report_wrong(query) is None

    async def allm(q: str) -> str:
        return "async " + q

    assert asyncio.run(cache.aget_or_call(query, allm)) == "async " + query


# -- item 13: str subclasses, lone surrogates, typed errors before fn ---------------------


def test_str_subclasses_are_used_as_their_plain_value(cache: SemanticCache) -> None:
    seen: list[type] = []

    def llm(q: str) -> str:
        seen.append(type(q))
        return "answer"

    assert cache.get_or_call(Model.MINI, llm, namespace=Model.MINI) == "answer"
    hit = cache.get(np.str_("gpt-4o-mini"), namespace=np.str_("gpt-4o-mini"))
    assert hit is not None and hit.exact and type(hit.namespace) is str
    cache.put(Loud("loud question"), "ok")
    assert cache.get("loud question") is not None  # the value, not what __str__ says
    assert seen == [str]


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_lone_surrogates_are_refused_before_fn_runs(tmp_path: Path, backend: str) -> None:
    target = None if backend == "memory" else str(tmp_path / "c.db")
    cache = SemanticCache(target, encoder=FakeEncoder())
    calls: list[str] = []

    def llm(q: str) -> str:
        calls.append(q)
        return "paid for"

    with pytest.raises(InputError):
        cache.get_or_call("bad \ud800 query", llm)
    with pytest.raises(InputError):
        cache.get_or_call("good query", llm, namespace="ns\udfff")
    with pytest.raises(InputError):
        cache.put("bad \ud800", "x")
    with pytest.raises(InputError):
        cache.get("bad \ud800")
    assert calls == []
    # A response holding one is stored escaped and comes back identical.
    assert cache.get_or_call("surrogate answer", lambda q: "half \udc80 char") == "half \udc80 char"
    cache.close()
    if target is not None:
        with SemanticCache(target, encoder=FakeEncoder()) as reopened:
            hit = reopened.get("surrogate answer")
            assert hit is not None and hit.response == "half \udc80 char"


def test_encoder_failures_are_encoder_errors(cache: SemanticCache) -> None:
    # The fake encoder raises a bare ValueError for text without words.
    with pytest.raises(SemrouteError):
        cache.embed("\u2603")


def test_router_refuses_bad_input_with_semroute_errors() -> None:
    router = Router(encoder=FakeEncoder(), model=None).fit(["a b", "c d"], [0, 1])
    with pytest.raises(InputTypeError):
        router.choose("a b", embedding="not a vector")  # type: ignore[arg-type]
    with pytest.raises(InputTypeError):
        router.choose_many(["a b"], embeddings=[["x"] * 64])
    with pytest.raises(InputError):
        router.choose("bad \ud800")
    with pytest.raises(InputTypeError):
        router.choose(3)  # type: ignore[arg-type]
    with pytest.raises(InputTypeError):
        router.choose_many(5)  # type: ignore[arg-type]
    assert router.choose(Model.MINI).model in {"gpt-4o-mini", "gpt-4o"}
    assert router.choose_many([np.str_("a b")])[0].model in {"gpt-4o-mini", "gpt-4o"}


# -- item 14: numpy scalars -----------------------------------------------------------------


def test_numpy_numbers_are_accepted_everywhere_a_number_is(cache: SemanticCache) -> None:
    SemanticCache(
        encoder=FakeEncoder(),
        threshold=np.float32(0.9),
        ttl=np.int64(60),
        max_entries=np.int64(10),
        max_bytes=np.int32(10_000_000),
        verify_band=(np.float32(0.9), np.float64(0.99)),
        index=IndexConfig(brute_force_below=np.int64(64), k=np.int32(8)),
    )
    cache.put("q one", "a", ttl=np.int64(60))
    cache.put("q two", "b", ttl=np.float32(1.5))
    assert cache.get("q one", threshold=np.float32(0.99)) is not None
    assert cache.get_or_call("q three", lambda q: "c", ttl=np.uint8(5), threshold=np.float16(0.9))


@pytest.mark.parametrize(
    "bad", [True, np.bool_(True), float("nan"), np.float32("nan"), float("inf"), "0.9", None]
)
def test_meaningless_numbers_are_config_errors(cache: SemanticCache, bad: object) -> None:
    if bad is not None:
        with pytest.raises(ConfigError):
            cache.get("q", threshold=bad)  # type: ignore[arg-type]
    with pytest.raises(InputError):  # a call's argument; the constructor's is a ConfigError
        cache.put("q", "a", ttl=bad if bad is not None else -1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        SemanticCache(encoder=FakeEncoder(), max_entries=bad if bad is not None else 0)  # type: ignore[arg-type]
