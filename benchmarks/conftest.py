"""Speed suite set-up: one command runs every bench_*.py file.

    pytest benchmarks/ --benchmark-only                              # figures
    SEMROUTE_BENCH_QUICK=1 pytest benchmarks/ --benchmark-disable -q   # CI smoke

Quick mode (``SEMROUTE_BENCH_QUICK=1``, read in ``benchmarks/_sizes.py``)
shrinks entries, batch sizes and timed calls; with ``--benchmark-disable``
each benchmark body runs once, as a smoke test of the code it times.

What pytest collects here: the ``bench_*.py`` files (``python_files`` in
pyproject.toml). ``bench_redis.py`` is a script (``python -m
benchmarks.backends.bench_redis``) with one small pytest smoke test that starts its own
``redis-server`` on 127.0.0.1 and skips without one; it takes no
``benchmark`` fixture, so ``--benchmark-only`` skips it by design. The other
scripts in the capability folders (``encoder/cold_start.py``, ``cache/scaling.py``,
the quality reports, ...) and the ``quality/`` runner are not test files and are
never collected.
"""

from __future__ import annotations

import pytest

from benchmarks._sizes import QUICK


def pytest_report_header(config: pytest.Config) -> str:
    if QUICK:
        return "semroute benchmarks: QUICK mode (SEMROUTE_BENCH_QUICK=1): small sizes, smoke only"
    return "semroute benchmarks: full sizes (SEMROUTE_BENCH_QUICK=1 for the CI smoke)"


@pytest.fixture(scope="session")
def bench_quick() -> bool:
    """True under SEMROUTE_BENCH_QUICK=1: bench files may shrink what they time."""
    return QUICK


def pytest_benchmark_update_json(
    config: pytest.Config, benchmarks: object, output_json: dict
) -> None:  # type: ignore[type-arg]
    """``--benchmark-json`` files carry the same stamp as every other result file."""
    from benchmarks._stamp import environment

    output_json["environment"] = environment()
