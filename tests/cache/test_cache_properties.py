"""Hypothesis properties: no cross-namespace hit, caps never exceeded, index exactness."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from semroute.cache.cache import SemanticCache
from semroute.cache.config import IndexConfig
from tests.fakes import FakeEncoder

ENCODER = FakeEncoder(dim=16)
WORDS = st.sampled_from(["red", "blue", "cat", "dog", "sky", "sea", "one", "two"])
QUERIES = st.lists(WORDS, min_size=1, max_size=3).map(" ".join)
NAMESPACES = st.sampled_from(["", "a", "b", "acme/gpt-4o/v1", "acme/gpt-4o/v2"])
INDEXES = st.sampled_from(
    [IndexConfig(), IndexConfig(brute_force_below=4, background_build=False, k=4, ef_search=8)]
)
OPS = st.lists(
    st.tuples(st.sampled_from(["put", "get", "delete"]), QUERIES, NAMESPACES), max_size=40
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS, index=INDEXES)
def test_no_hit_ever_crosses_a_namespace(
    ops: list[tuple[str, str, str]], index: IndexConfig
) -> None:
    # threshold -1 admits any similarity and the guards are off: only the partition
    # stands between namespaces.
    cache = SemanticCache(encoder=ENCODER, threshold=-1.0, index=index, guards=None)
    stored: dict[str, set[str]] = {}
    for op, query, ns in ops:
        if op == "put":
            cache.put(query, f"{ns}|{query}", namespace=ns)
            stored.setdefault(ns, set()).add(query)
        elif op == "delete":
            if cache.delete(query, namespace=ns):
                stored[ns] = {q for q in stored[ns] if q != query}
        else:
            hit = cache.get(query, namespace=ns)
            if not stored.get(ns):
                assert hit is None
            else:
                assert hit is not None and hit.namespace == ns
                assert hit.response.split("|", 1)[0] == ns
                assert hit.matched_query in stored[ns]


@settings(max_examples=60, deadline=None)
@given(
    queries=st.lists(QUERIES, max_size=40),
    max_entries=st.integers(1, 6),
    max_bytes=st.one_of(st.none(), st.integers(400, 2000)),
    gets=st.lists(QUERIES, max_size=10),
)
def test_eviction_never_exceeds_caps_and_keeps_capacity(
    queries: list[str], max_entries: int, max_bytes: int | None, gets: list[str]
) -> None:
    cache = SemanticCache(encoder=ENCODER, max_entries=max_entries, max_bytes=max_bytes)
    distinct: set[str] = set()
    for i, query in enumerate(queries):
        cache.put(query, "r" * (i % 7))
        distinct.add(" ".join(query.split()))
        stats = cache.stats
        assert stats.entries <= max_entries
        assert max_bytes is None or stats.bytes <= max_bytes
        if max_bytes is None:
            # Eviction removes only what the cap requires.
            assert stats.entries == min(len(distinct), max_entries)
        if gets:
            cache.get(gets[i % len(gets)], threshold=0.99)


@settings(max_examples=30, deadline=None)
@given(queries=st.lists(QUERIES, min_size=1, max_size=30, unique=True))
def test_graph_and_exact_search_agree_on_stored_queries(queries: list[str]) -> None:
    exact = SemanticCache(encoder=ENCODER, index=IndexConfig(brute_force_below=10_000))
    graph = SemanticCache(
        encoder=ENCODER, index=IndexConfig(brute_force_below=2, background_build=False)
    )
    for query in queries:
        exact.put(query, query)
        graph.put(query, query)
    for query in queries:
        a, b = exact.get(query + " sky", threshold=-1.0), graph.get(query + " sky", threshold=-1.0)
        assert a is not None and b is not None
        assert abs(a.similarity - b.similarity) < 1e-5


@settings(max_examples=60, deadline=None)
@given(
    ops=st.lists(st.tuples(st.booleans(), st.integers(0, 12)), max_size=60),
    max_entries=st.integers(1, 5),
)
def test_eviction_order_is_exact_lru(ops: list[tuple[bool, int]], max_entries: int) -> None:
    from collections import OrderedDict

    cache = SemanticCache(encoder=FakeEncoder(dim=64), max_entries=max_entries, threshold=0.999)
    model: OrderedDict[str, None] = OrderedDict()
    for is_put, n in ops:
        query = f"token{n}"
        if is_put:
            cache.put(query, n)
            model[query] = None
            model.move_to_end(query)
            while len(model) > max_entries:
                model.popitem(last=False)
        else:
            hit = cache.get(query)
            assert (hit is not None) == (query in model)
            if hit is not None:
                model.move_to_end(query)
    assert sorted(q for q in model) == sorted(
        cache._store.table.queries[s] for s in cache._store.id_to_slot.values()
    )
