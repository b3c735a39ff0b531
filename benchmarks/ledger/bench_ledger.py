"""What the ledger and the OpenTelemetry tracer cost per call, beside no observer, same run.

    python -m benchmarks.ledger.bench_ledger [--calls N] [--wrapped N] [--json F]

Two levels, each configuration interleaved round by round so machine noise hits all alike:

1. ``on_call``: handing one finished ``CallInfo`` to the observers, as the wrappers do
   after every call (none / ledger memory:// / ledger SQLite file / tracer / both).
   The tracer is the SDK's ``TracerProvider`` with a ``BatchSpanProcessor`` and an
   exporter that drops spans, so the figure is semroute's span building plus the
   SDK's span bookkeeping, not a network.
2. A whole wrapped call: ``semroute.wrap(OpenAI())`` serving an exact cache hit from the
   in-process fake API (tests/openai_fakes.py, no network), with and without them.

Also ``Budget.check`` on a ledger holding a period's rows, the writer's throughput (rows per second into SQLite) and how many rows the
bounded queue dropped in the tight loop (a real app calls far slower than this loop).
Medians and p99 of per-call wall time; the same-run differences are the figures to quote.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from semroute.chat.info import CallInfo

ROUNDS = 5
RESULTS = Path(__file__).resolve().parents[1] / "results" / "ledger_overhead.json"


def _info(i: int) -> CallInfo:
    now = time.time_ns()
    return CallInfo(
        operation="chat",
        provider="openai",
        namespace="chat:3f2a9c",
        model_requested="gpt-4o-mini",
        model_used="gpt-4o-mini-2024-07-18",
        outcome="exact" if i % 3 else "miss",
        similarity=1.0,
        input_tokens=0 if i % 3 else 1200,
        output_tokens=0 if i % 3 else 180,
        cost_usd=0.0 if i % 3 else 0.000288,
        saved_usd=0.000288 if i % 3 else None,
        request_params={"temperature": 0.2, "max_tokens": 256},
        response_id=f"chatcmpl-{i}",
        finish_reason="stop",
        tags={"feature": "support", "user": f"u{i % 50}"},
        start_ns=now - 250_000,
        end_ns=now,
    )


def _tracer() -> tuple[Any, Any]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    from semroute.integrations.otel import SpanEmitter

    class Drop(SpanExporter):
        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Drop()))
    return SpanEmitter(tracer_provider=provider), provider


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_us": round(statistics.median(ordered), 2),
        "p99_us": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
    }


def bench_on_call(calls: int, tmp: Path) -> dict[str, Any]:
    from semroute.ledger import Ledger

    memory = Ledger("memory://")
    sqlite = Ledger(tmp / "bench.db")
    tracer, provider = _tracer()
    configs: dict[str, list[Any]] = {
        "none": [],
        "ledger memory://": [memory],
        "ledger sqlite": [sqlite],
        "tracer": [tracer],
        "ledger sqlite + tracer": [sqlite, tracer],
    }
    infos = [_info(i) for i in range(calls // ROUNDS)]
    samples: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(ROUNDS):
        for name, observers in configs.items():
            for info in infos:
                started = time.perf_counter_ns()
                for observer in observers:  # what the wrappers' _emit does
                    observer.on_call(info)
                samples[name].append((time.perf_counter_ns() - started) / 1e3)
            memory.flush()
            sqlite.flush()
    out = {name: _stats(values) for name, values in samples.items()}
    base = out["none"]["median_us"]
    for name in out:
        out[name]["overhead_median_us"] = round(out[name]["median_us"] - base, 2)
    out["dropped_rows"] = {
        "ledger memory://": memory.stats().dropped,
        "ledger sqlite": sqlite.stats().dropped,
    }
    memory.close()
    sqlite.close()
    provider.shutdown()
    return out


def bench_writer(rows: int, tmp: Path) -> dict[str, float]:
    from semroute.ledger import Ledger

    with Ledger(tmp / "writer.db", queue_size=rows + 1) as ledger:
        infos = [_info(i) for i in range(rows)]
        started = time.perf_counter()
        for info in infos:
            ledger.on_call(info)
        queued = time.perf_counter()
        ledger.flush()
        done = time.perf_counter()
    size = (tmp / "writer.db").stat().st_size + sum(
        p.stat().st_size for p in tmp.glob("writer.db-*")
    )
    return {
        "rows": rows,
        "queue_s": round(queued - started, 3),
        "until_written_s": round(done - started, 3),
        "rows_per_s": round(rows / (done - started)),
        "bytes_per_row": round(size / rows),
    }


def bench_budget(rows: int, checks: int, tmp: Path) -> dict[str, Any]:
    """``Budget.check`` on a ledger already holding ``rows`` calls this period.

    ``refresh_s=0`` (read the ledger on every check: the worst case) and the default 1 s.
    """
    from semroute.ledger import Budget, Ledger

    out: dict[str, Any] = {"rows_in_period": rows}
    with Ledger(tmp / "budget.db", queue_size=rows + checks + 1) as ledger:
        for i in range(rows):
            ledger.on_call(_info(i))
        ledger.flush()
        for refresh in (0.0, 1.0):
            budget = Budget(
                1e9, period="month", scope={"feature": "support"}, ledger=ledger, refresh_s=refresh
            )
            first = time.perf_counter()
            budget.check({"feature": "support"}, "gpt-4o-mini")  # the one full read
            first_us = (time.perf_counter() - first) * 1e6
            samples = []
            for i in range(checks):
                ledger.on_call(_info(i))  # a new call between checks, as in a real app
                started = time.perf_counter_ns()
                budget.check({"feature": "support"}, "gpt-4o-mini")
                samples.append((time.perf_counter_ns() - started) / 1e3)
            out[f"refresh_s={refresh:g}"] = {
                "first_check_us": round(first_us, 1),
                **_stats(samples),
            }
    return out


def bench_wrapped(calls: int, tmp: Path) -> dict[str, Any]:
    import semroute
    from semroute import SemanticCache
    from semroute.ledger import Ledger
    from tests.fakes import FakeEncoder
    from tests.openai_fakes import FakeAPI

    ledger = Ledger(tmp / "wrapped.db")
    tracer, provider = _tracer()
    messages = [{"role": "user", "content": "What is your refund policy?"}]
    clients: dict[str, Any] = {}
    for name, kwargs in (
        ("none", {}),
        ("ledger sqlite", {"ledger": ledger}),
        ("tracer", {"observers": [tracer]}),
        ("ledger sqlite + tracer", {"ledger": ledger, "observers": [tracer]}),
    ):
        client = semroute.wrap(
            FakeAPI().client(), cache=SemanticCache(encoder=FakeEncoder()), **kwargs
        )
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)  # the miss
        clients[name] = client
    samples: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(ROUNDS):
        for name, client in clients.items():
            create: Callable[..., Any] = client.chat.completions.create
            for _ in range(calls // ROUNDS):
                started = time.perf_counter_ns()
                create(model="gpt-4o-mini", messages=messages)
                samples[name].append((time.perf_counter_ns() - started) / 1e3)
            ledger.flush()
    out = {name: _stats(values) for name, values in samples.items()}
    base = out["none"]["median_us"]
    for name in out:
        out[name]["overhead_median_us"] = round(out[name]["median_us"] - base, 2)
    ledger.close()
    provider.shutdown()
    return out


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("semroute", "openai", "opentelemetry-sdk"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def _table(title: str, figures: dict[str, Any]) -> None:
    print(
        f"\n{title}\n| observers | median µs | p99 µs | median overhead µs |\n|---|---:|---:|---:|"
    )
    for name, row in figures.items():
        if "median_us" in row:
            print(
                f"| {name} | {row['median_us']:.2f} | {row['p99_us']:.2f} | "
                f"{row['overhead_median_us']:+.2f} |"
            )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50_000, help="on_call samples per setting")
    parser.add_argument("--wrapped", type=int, default=5_000, help="wrapped hits per setting")
    parser.add_argument("--writer-rows", type=int, default=100_000)
    parser.add_argument("--checks", type=int, default=2_000, help="budget checks per setting")
    parser.add_argument("--json", type=Path, default=None, help=f"write results (e.g. {RESULTS})")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        on_call = bench_on_call(args.calls, tmp)
        writer = bench_writer(args.writer_rows, tmp)
        budget = bench_budget(args.writer_rows, args.checks, tmp)
        wrapped = bench_wrapped(args.wrapped, tmp)
    load = os.getloadavg()
    result = {
        "command": "python -m benchmarks.ledger.bench_ledger "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": _git("rev-parse", "--short", "HEAD"),
        # The results folder is this script's own output, not the code measured.
        "uncommitted_changes": bool(
            _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!benchmarks/results")
        ),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared VM), "
        f"load average {load[0]:.1f} at the end",
        "versions": _versions(),
        "on_call": on_call,
        "writer": writer,
        "budget_check": budget,
        "wrapped_exact_hit": wrapped,
    }
    _table("on_call: one finished call handed to the observers", on_call)
    print(f"rows dropped by the bounded queue in the tight loop: {on_call['dropped_rows']}")
    print(f"writer: {writer}")
    print(f"budget check: {budget}")
    _table("a whole wrapped chat.completions.create served as an exact hit", wrapped)
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def test_bench_ledger_smoke() -> None:
    result = main(["--calls", "200", "--wrapped", "20", "--writer-rows", "200", "--checks", "20"])
    assert set(result["on_call"]) >= {"none", "ledger sqlite", "tracer"}
    assert result["writer"]["rows"] == 200
    assert result["wrapped_exact_hit"]["none"]["median_us"] > 0


if __name__ == "__main__":
    main()
