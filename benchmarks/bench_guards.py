"""Hit-guard kernels, native against the plain-Python twin, in the same run.

pytest benchmarks/bench_guards.py --benchmark-only --benchmark-group-by=group

``signature`` runs once per query (and once per stored entry, at put time);
``compare`` runs once per candidate above the threshold, on stored signatures.
"""

from __future__ import annotations

import numpy as np
import pytest

from semroute import _guards, _guards_ref
from semroute._guards_api import Guards, guard_reason, guard_signature, lexicon

KEYS, CODES = lexicon()
QUERY = "Can't I convert 5 km to miles for the Paris marathon without an app in 2024?"
CACHED = "How do I convert five kilometres to miles for the Rome marathon in 2024?"
IMPLS = {"native": _guards, "reference": _guards_ref}


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_signature(benchmark, impl: str) -> None:
    benchmark.group = "guards signature (one query)"
    sig = benchmark(IMPLS[impl].signature, QUERY, KEYS, CODES)
    np.testing.assert_array_equal(sig, _guards_ref.signature(QUERY, KEYS, CODES))


@pytest.mark.parametrize("impl", ["native", "reference"])
def test_compare(benchmark, impl: str) -> None:
    benchmark.group = "guards compare (two stored signatures, all guards)"
    a = _guards.signature(QUERY, KEYS, CODES)
    b = _guards.signature(CACHED, KEYS, CODES)
    mask = Guards().mask
    got = benchmark(IMPLS[impl].compare, a, b, mask)
    assert got == _guards_ref.compare(a, b, mask) != 0


def test_guard_reason_public_path(benchmark) -> None:
    benchmark.group = "guard_reason (query text vs stored signature)"
    cached = guard_signature(CACHED)
    assert benchmark(guard_reason, QUERY, cached) is not None
