"""Hit-guard kernels, native against the plain-Python twin, in the same run.

pytest benchmarks/cache/bench_guards.py --benchmark-only --benchmark-group-by=group
python benchmarks/cache/bench_guards.py        # median and p99 per call, same cases

``signature`` runs once per query (and once per stored entry, at put time);
``compare`` runs once per candidate above the threshold, on stored signatures.
"""

from __future__ import annotations

import numpy as np
import pytest

from semroute import _guards
from semroute.cache.guards import twin as _guards_ref
from semroute.cache.guards.api import Guards, guard_reason, guard_signature, lexicon

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


def _percentiles() -> None:
    import time

    a = _guards.signature(QUERY, KEYS, CODES)
    b = _guards.signature(CACHED, KEYS, CODES)
    mask = Guards().mask
    stored = guard_signature(CACHED)
    cases = {
        "signature native": (lambda: _guards.signature(QUERY, KEYS, CODES), 20000),
        "signature reference": (lambda: _guards_ref.signature(QUERY, KEYS, CODES), 3000),
        "compare native": (lambda: _guards.compare(a, b, mask), 50000),
        "compare reference": (lambda: _guards_ref.compare(a, b, mask), 5000),
        "guard_reason(text, stored signature)": (lambda: guard_reason(QUERY, stored), 20000),
    }
    for name, (call, n) in cases.items():
        for _ in range(200):
            call()
        spent = np.empty(n)
        for i in range(n):
            started = time.perf_counter_ns()
            call()
            spent[i] = time.perf_counter_ns() - started
        print(
            f"{name:38s} median {np.median(spent) / 1e3:8.2f} us"
            f"  p99 {np.percentile(spent, 99) / 1e3:8.2f} us  (n={n})"
        )


if __name__ == "__main__":
    _percentiles()
