"""The query-text kernels (``semroute._text``) against their plain Python twin, in the same run.

pytest benchmarks/cache/bench_text_native.py --benchmark-only --benchmark-group-by=group

The pooling kernel's twin is timed beside the encoder (benchmarks/encoder/bench_pool_native.py).
"""

from __future__ import annotations

import pytest

from semroute import _text
from semroute.cache import text_ref as _reference

QUERY = "  How do I RESET my password if I no longer have access to my e-mail?? "

IMPLS = {"native": _text, "reference": _reference}


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_query_key(benchmark, impl: str) -> None:
    benchmark.group = "query_key (normalise + hash)"
    key = benchmark(IMPLS[impl].query_key, QUERY)
    assert key == _reference.query_key(QUERY)


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_normalize_query(benchmark, impl: str) -> None:
    benchmark.group = "normalize_query"
    out = benchmark(IMPLS[impl].normalize_query, QUERY)
    assert out == _reference.normalize_query(QUERY)
