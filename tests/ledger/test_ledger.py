"""The ledger: one row per call for every outcome, privacy, the bounded writer, threads."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from semroute.errors import BackendError, ConfigError, CorruptStoreError, InputError
from semroute.ledger import Ledger, PriceBook
from semroute.ledger._writer import BatchWriter
from tests.call_infos import T0, info, routed


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    with Ledger(f"sqlite:///{tmp_path}/ledger.db") as opened:
        yield opened


def _only(ledger: Ledger) -> dict[str, object]:
    ledger.flush()
    (row,) = ledger.calls()
    return row


def test_miss_row_has_every_field(ledger: Ledger) -> None:
    ledger.on_call(info("miss"))
    row = _only(ledger)
    assert row["ts"] == pytest.approx(T0)
    assert row["latency_ms"] == pytest.approx(250.0)
    assert (row["operation"], row["provider"], row["namespace"]) == ("chat", "openai", "ns-1")
    assert row["tags"] == {"feature": "support", "user": "u1"}
    assert (row["model_requested"], row["model_used"], row["outcome"]) == (
        "gpt-4o",
        "gpt-4o",
        "miss",
    )
    assert (row["input_tokens"], row["output_tokens"], row["tokens_estimated"]) == (
        1000,
        100,
        False,
    )
    assert row["cost_usd"] == pytest.approx(0.0035)
    assert (row["response_id"], row["finish_reason"], row["error_type"]) == (
        "chatcmpl-1",
        "stop",
        None,
    )
    assert row["saved_cache_usd"] == 0.0 and row["saved_prune_usd"] == 0.0
    # Scalar parameters only, and never the end user's id.
    assert row["request_params"] == {"max_tokens": 256, "temperature": 0.2}


@pytest.mark.parametrize("outcome", ["exact", "semantic"])
def test_hit_row_costs_nothing_and_books_its_saving_to_the_cache(
    ledger: Ledger, outcome: str
) -> None:
    ledger.on_call(info(outcome))
    row = _only(ledger)
    assert row["outcome"] == outcome
    assert row["cost_usd"] == 0.0
    assert row["saved_usd"] == pytest.approx(0.0035)
    assert row["saved_cache_usd"] == pytest.approx(0.0035)
    assert row["saved_route_usd"] == 0.0
    assert row["similarity"] == (1.0 if outcome == "exact" else 0.96)
    assert isinstance(row["intent"], str) and len(row["intent"]) == 12


def test_bypass_row_keeps_its_reason(ledger: Ledger) -> None:
    ledger.on_call(info("bypass"))
    row = _only(ledger)
    assert (row["outcome"], row["reason"]) == ("bypass", "tool_calls")
    assert row["cost_usd"] == pytest.approx(0.0024)


def test_error_row_has_error_type_and_unknown_cost(ledger: Ledger) -> None:
    ledger.on_call(info("error"))
    row = _only(ledger)
    assert (row["outcome"], row["error_type"], row["model_used"]) == (
        "error",
        "RateLimitError",
        None,
    )
    assert row["cost_usd"] is None


def test_routed_row_splits_saving_between_routing_and_pruning(ledger: Ledger) -> None:
    ledger.on_call(routed())
    row = _only(ledger)
    assert (row["route_model"], row["route_score"], row["route_reason"]) == (
        "gpt-4o-mini",
        0.21,
        "score 0.21 < 0.5",
    )
    assert row["pruned_tokens"] == 2000
    # 2,000 pruned tokens at gpt-4o-mini's shipped input price (0.15 $/Mtok).
    assert row["saved_prune_usd"] == pytest.approx(0.0003)
    assert row["saved_route_usd"] == pytest.approx(0.0035 - 0.00021)


def test_texts_are_not_stored_by_default(ledger: Ledger) -> None:
    ledger.on_call(info("semantic"))
    row = _only(ledger)
    assert row["query"] is None and row["matched_query"] is None
    raw = Path(ledger.url).read_bytes() + Path(ledger.url + "-wal").read_bytes()
    assert b"password" not in raw


def test_store_text_keeps_query_and_matched_query(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db", store_text=True) as ledger:
        ledger.on_call(info("semantic"))
        row = _only(ledger)
    assert row["query"] == "How do I reset my password?"
    assert row["matched_query"] == "how do i reset my password"


def test_same_cached_query_gives_same_intent(ledger: Ledger) -> None:
    ledger.on_call(info("exact"))
    ledger.on_call(info("semantic", matched_query="How do I  reset my PASSWORD"))
    ledger.on_call(info("semantic", matched_query="What is your refund policy?"))
    ledger.flush()
    intents = [r["intent"] for r in ledger.calls()]
    assert intents[0] == intents[1] != intents[2]


def test_missing_cost_is_priced_from_tokens_and_unknown_model_stays_unknown(ledger: Ledger) -> None:
    ledger.on_call(info("miss", cost_usd=None, model_used="gpt-4o-mini"))
    ledger.on_call(info("miss", cost_usd=None, model_used="house-model-7b"))
    ledger.flush()
    known, unknown = ledger.calls()
    assert known["cost_usd"] == pytest.approx((1000 * 0.15 + 100 * 0.6) / 1e6)
    assert unknown["cost_usd"] is None  # never zero
    assert ledger.unpriced_calls() == 1


def test_ledger_prices_override_the_shipped_table(tmp_path: Path) -> None:
    with Ledger("memory://", prices={"house-model-7b": [1.0, 2.0]}) as ledger:
        ledger.on_call(info("miss", cost_usd=None, model_used="house-model-7b"))
        assert _only(ledger)["cost_usd"] == pytest.approx((1000 * 1.0 + 100 * 2.0) / 1e6)


def test_estimated_tokens_are_flagged(ledger: Ledger) -> None:
    ledger.on_call(info("miss", tokens_estimated=True))
    assert _only(ledger)["tokens_estimated"] is True


def test_record_for_hand_wired_code(ledger: Ledger) -> None:
    hit = ledger.record(
        model="gpt-4o-mini", outcome="exact", saved_usd=0.001, tags={"feature": "faq"}
    )
    miss = ledger.record(
        model="gpt-4o-mini", input_tokens=2000, output_tokens=500, latency_s=1.5, at=T0
    )
    assert hit.cost_usd == 0.0 and hit.input_tokens == 0
    assert miss.cost_usd == pytest.approx((2000 * 0.15 + 500 * 0.6) / 1e6)
    ledger.flush()
    rows = ledger.calls()
    assert [r["outcome"] for r in sorted(rows, key=lambda r: r["id"])] == ["exact", "miss"]
    assert ledger.calls(since=T0 - 1, until=T0 + 1)[0]["latency_ms"] == pytest.approx(1500)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"model": ""},
        {"model": "m", "outcome": "hit"},
        {"model": "m", "input_tokens": -1, "output_tokens": 1},
    ],
)
def test_record_rejects_bad_input(ledger: Ledger, kwargs: dict[str, object]) -> None:
    with pytest.raises(InputError):
        ledger.record(**kwargs)  # type: ignore[arg-type]


def test_spend_and_calls_filter_by_scope_and_time(ledger: Ledger) -> None:
    ledger.on_call(info("miss", tags={"feature": "chat"}, cost_usd=1.0, at=T0))
    ledger.on_call(info("miss", tags={"feature": "chat", "user": "a"}, cost_usd=2.0, at=T0 + 10))
    ledger.on_call(info("miss", tags={"feature": "search"}, cost_usd=4.0, at=T0 + 20))
    ledger.flush()
    assert ledger.spend() == pytest.approx(7.0)
    assert ledger.spend(scope={"feature": "chat"}) == pytest.approx(3.0)
    assert ledger.spend(scope={"feature": "chat", "user": "a"}) == pytest.approx(2.0)
    assert ledger.spend(since=T0 + 5) == pytest.approx(6.0)
    assert ledger.spend(until=T0 + 5) == pytest.approx(1.0)
    with pytest.raises(ConfigError):
        ledger.spend(scope={'bad"key': "x"})


def test_close_flushes_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    ledger = Ledger(path, batch_size=7)
    for i in range(100):
        ledger.on_call(info("miss", at=T0 + i))
    ledger.close()
    ledger.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM calls").fetchone() == (100,)
    ledger.on_call(info("miss"))  # after close: counted as dropped, never raises
    assert ledger.stats().dropped == 1


def test_context_manager_closes(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        ledger.on_call(info("miss"))
    with sqlite3.connect(tmp_path / "l.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM calls").fetchone() == (1,)


def test_full_queue_drops_and_counts_without_blocking() -> None:
    entered, gate = threading.Event(), threading.Event()
    written: list[int] = []

    def slow_write(rows: object) -> None:
        entered.set()
        gate.wait(10)
        written.append(len(rows))  # type: ignore[arg-type]

    writer = BatchWriter(slow_write, queue_size=3, batch_size=100)
    assert writer.put((0,))
    assert entered.wait(10)  # the thread holds row 0 and waits on the disk
    accepted = [writer.put((i,)) for i in range(1, 21)]
    assert accepted == [True] * 3 + [False] * 17
    assert writer.dropped == 17
    gate.set()
    writer.close()
    assert sum(written) == 4 and writer.written == 4


def test_write_failure_is_counted_and_never_raises() -> None:
    def broken(rows: object) -> None:
        raise BackendError("disk full")

    writer = BatchWriter(broken, queue_size=10, batch_size=5)
    for i in range(7):
        writer.put((i,))
    writer.flush()
    assert writer.failed == 7 and writer.written == 0
    assert isinstance(writer.last_error, BackendError)
    writer.close()


def test_many_threads_lose_nothing(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db", batch_size=64) as ledger:

        def work(t: int) -> None:
            for i in range(250):
                ledger.on_call(info("miss", tags={"thread": str(t)}, at=T0 + i))

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ledger.flush()
        stats = ledger.stats()
        assert (stats.queued, stats.written, stats.dropped, stats.failed) == (2000, 2000, 0, 0)
        counts = ledger.query(
            "SELECT json_extract(tags, '$.thread'), COUNT(*) FROM calls GROUP BY 1"
        )
        assert sorted(n for _, n in counts) == [250] * 8


def test_on_call_queues_while_the_writer_is_blocked(tmp_path: Path) -> None:
    # Not a timing assertion: the writer is blocked, yet on_call returns and queues.
    gate = threading.Event()
    with Ledger(tmp_path / "l.db") as ledger:
        original = ledger._store.write

        def blocked(rows: object) -> None:
            gate.wait(10)
            original(rows)  # type: ignore[arg-type]

        ledger._writer._write = blocked
        for i in range(50):
            ledger.on_call(info("miss", at=T0 + i))
        assert ledger.stats().queued == 50
        gate.set()


@pytest.mark.parametrize("url", ["", "redis://localhost", "sqlite://", 42])
def test_bad_urls_raise_config_error(url: object) -> None:
    with pytest.raises(ConfigError):
        Ledger(url)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"queue_size": 0}, {"batch_size": True}])
def test_bad_options_raise_config_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        Ledger("memory://", **kwargs)  # type: ignore[arg-type]


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CorruptStoreError):
        Ledger(path)
    assert path.read_bytes() == b"this is not sqlite" * 100


def test_a_ledger_from_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    Ledger(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE ledger_meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(ConfigError, match="schema 99"):
        Ledger(path)


def test_prices_book_type_is_accepted(tmp_path: Path) -> None:
    book = PriceBook({"x": [1, 1]}, shipped=False)
    with Ledger("memory://", prices=book) as ledger:
        ledger.on_call(info("miss", cost_usd=None, model_used="gpt-4o"))
        assert _only(ledger)["cost_usd"] is None  # shipped table switched off


def test_the_hot_path_imports_stay_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, semroute.ledger; semroute.ledger.price_of('gpt-4o', 1, 1); "
        "print(sorted(m for m in ('numpy', 'rich', 'opentelemetry', 'litellm') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_malformed_record_is_counted_failed_and_its_batch_still_written() -> None:
    with Ledger("memory://") as ledger:
        ledger.on_call(info("miss"))
        ledger.on_call("not a CallInfo")  # type: ignore[arg-type]
        ledger.on_call(info("exact"))
        ledger.flush()
        stats = ledger.stats()
        assert (stats.written, stats.failed) == (2, 1)
        assert stats.last_error is not None
        assert [c["outcome"] for c in ledger.calls()] == ["miss", "exact"]


def test_cached_json_keeps_true_and_one_apart() -> None:
    with Ledger("memory://") as ledger:
        ledger.on_call(info("miss", request_params={"n": 1}, tags={"k": "v"}))
        ledger.on_call(info("miss", request_params={"n": True}, tags={"k": "v"}))
        ledger.on_call(info("miss", request_params={"n": 1.0}, tags={"k": ["not", "a", "str"]}))  # type: ignore[dict-item]
        ledger.flush()
        params = [c["request_params"]["n"] for c in ledger.calls()]
        assert [type(p) for p in params] == [int, bool, float]
        assert ledger.calls()[2]["tags"] == {"k": ["not", "a", "str"]}


def test_a_ledger_never_closed_is_flushed_when_the_interpreter_exits(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "forgotten.db"
    code = (
        "from semroute.ledger import Ledger\n"
        f"ledger = Ledger({str(path)!r})\n"
        "for _ in range(500):\n"
        "    ledger.record(model='gpt-4o', input_tokens=1, output_tokens=1)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM calls").fetchone() == (500,)


def test_daily_spend_table_agrees_with_the_calls(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)
    with Ledger(tmp_path / "l.db", batch_size=13) as ledger:
        for i in range(600):
            cost = None if i % 17 == 0 else round(rng.uniform(0, 0.01), 6)
            tags = {"feature": rng.choice(["chat", "search"]), "user": rng.choice("abc")}
            ledger.on_call(
                info("miss", at=T0 + rng.uniform(-5, 5) * 86400, cost_usd=cost, tags=tags)
            )
        ledger.flush()
        for day_offset in (-6, -2, 0, 3, 6):
            day = int(T0 // 86400) + day_offset
            for scope in ({}, {"feature": "chat"}, {"feature": "search", "user": "b"}):
                expected = ledger.spend(since=day * 86400, scope=scope)
                assert ledger.spend_since_day(day, scope=scope) == pytest.approx(expected)
        ((calls,),) = ledger.query("SELECT SUM(calls) FROM spend_daily")
        assert calls == 600


def test_reads_do_not_wait_for_a_write_in_progress(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db") as ledger:
        ledger.on_call(info("miss", cost_usd=1.0))
        ledger.flush()
        answers: list[float] = []
        with ledger._store._lock:  # the writer's side is busy (a batch being committed)
            reader = threading.Thread(target=lambda: answers.append(ledger.spend()))
            reader.start()
            reader.join(timeout=10)
            assert answers == [1.0]
