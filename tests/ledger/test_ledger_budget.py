"""Budgets: thresholds, once per period (across ledgers sharing a file), actions; fake clock."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from semroute.errors import BudgetExceeded, ConfigError
from semroute.ledger import Budget, BudgetAlert, Ledger
from semroute.ledger._budget import period_start


class FakeClock:
    def __init__(self, when: datetime) -> None:
        self.now = when.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when.timestamp()


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(_utc(2026, 3, 10, 12))


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    with Ledger(tmp_path / "ledger.db") as opened:
        yield opened


def _spend(ledger: Ledger, clock: FakeClock, dollars: float, **tags: str) -> None:
    ledger.record(model="gpt-4o", cost_usd=dollars, tags=tags or {"feature": "chat"}, at=clock())
    ledger.flush()


def _budget(
    ledger: Ledger, clock: FakeClock, alerts: list[BudgetAlert], **kwargs: object
) -> Budget:
    options: dict[str, object] = {
        "period": "month",
        "scope": {"feature": "chat"},
        "on_alert": alerts.append,
        "clock": clock,
        "refresh_s": 0,
    }
    options.update(kwargs)
    return Budget(10.0, ledger=ledger, **options)  # type: ignore[arg-type]


def test_alerts_fire_once_per_threshold(ledger: Ledger, clock: FakeClock) -> None:
    alerts: list[BudgetAlert] = []
    budget = _budget(ledger, clock, alerts)
    _spend(ledger, clock, 7.0)
    assert budget.check({"feature": "chat"}, "gpt-4o") == "allow"
    assert alerts == []
    _spend(ledger, clock, 1.5)  # 85 %
    for _ in range(3):
        assert budget.check({"feature": "chat"}, "gpt-4o") == "allow"
    assert [a.threshold for a in alerts] == [0.8]
    first = alerts[0]
    assert first.spend_usd == pytest.approx(8.5) and first.limit_usd == 10.0
    assert first.period == "month" and first.period_start == _utc(2026, 3, 1)
    assert first.scope == {"feature": "chat"}
    _spend(ledger, clock, 2.0)  # 105 %
    budget.check({"feature": "chat"}, "gpt-4o")
    budget.check({"feature": "chat"}, "gpt-4o")
    assert [a.threshold for a in alerts] == [0.8, 1.0]


def test_a_jump_past_both_thresholds_fires_both(ledger: Ledger, clock: FakeClock) -> None:
    alerts: list[BudgetAlert] = []
    budget = _budget(ledger, clock, alerts)
    _spend(ledger, clock, 12.0)
    budget.check({"feature": "chat"}, "gpt-4o")
    assert [a.threshold for a in alerts] == [0.8, 1.0]


def test_a_new_period_starts_from_zero_and_alerts_again(ledger: Ledger, clock: FakeClock) -> None:
    alerts: list[BudgetAlert] = []
    budget = _budget(ledger, clock, alerts)
    _spend(ledger, clock, 9.0)
    budget.check({"feature": "chat"}, "gpt-4o")
    clock.set(_utc(2026, 4, 1, 0, 0, 1))
    assert budget.spent() == 0.0
    budget.check({"feature": "chat"}, "gpt-4o")
    assert len(alerts) == 1
    _spend(ledger, clock, 9.0)
    budget.check({"feature": "chat"}, "gpt-4o")
    assert [(a.threshold, a.period_start) for a in alerts] == [
        (0.8, _utc(2026, 3, 1)),
        (0.8, _utc(2026, 4, 1)),
    ]


def test_two_processes_sharing_a_ledger_fire_each_alert_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    # Two Ledger objects on one file stand for two processes: separate connections,
    # separate Budget objects, one alert table.
    alerts: list[BudgetAlert] = []
    with Ledger(tmp_path / "shared.db") as one, Ledger(tmp_path / "shared.db") as two:
        a = _budget(one, clock, alerts)
        b = _budget(two, clock, alerts)
        _spend(one, clock, 5.0)
        _spend(two, clock, 4.0)
        a.check({"feature": "chat"}, "gpt-4o")
        b.check({"feature": "chat"}, "gpt-4o")
        b.check({"feature": "chat"}, "gpt-4o")
        a.check({"feature": "chat"}, "gpt-4o")
    assert [a.threshold for a in alerts] == [0.8]


def test_calls_out_of_scope_are_neither_counted_nor_checked(
    ledger: Ledger, clock: FakeClock
) -> None:
    alerts: list[BudgetAlert] = []
    budget = _budget(ledger, clock, alerts, action="block")
    _spend(ledger, clock, 50.0, feature="search")
    assert budget.spent() == 0.0
    assert budget.check({"feature": "chat"}, "gpt-4o") == "allow"
    _spend(ledger, clock, 11.0)
    assert budget.check({"feature": "search"}, "gpt-4o") == "allow"  # not in scope
    with pytest.raises(BudgetExceeded):
        budget.check({"feature": "chat", "user": "u1"}, "gpt-4o")


@pytest.mark.parametrize(("action", "expected"), [("alert", "allow"), ("downgrade", "downgrade")])
def test_actions_at_the_limit(ledger: Ledger, clock: FakeClock, action: str, expected: str) -> None:
    budget = _budget(ledger, clock, [], action=action)
    _spend(ledger, clock, 9.99)
    assert budget.check({"feature": "chat"}, "gpt-4o") == "allow"
    _spend(ledger, clock, 0.01)
    assert budget.check({"feature": "chat"}, "gpt-4o") == expected


def test_block_raises_before_the_call(ledger: Ledger, clock: FakeClock) -> None:
    alerts: list[BudgetAlert] = []
    budget = _budget(ledger, clock, alerts, action="block")
    _spend(ledger, clock, 10.0)
    with pytest.raises(BudgetExceeded, match="gpt-4o"):
        budget.check({"feature": "chat"}, "gpt-4o")
    assert [a.threshold for a in alerts] == [0.8, 1.0]  # alerted before refusing


def test_spend_is_cached_for_refresh_s(ledger: Ledger, clock: FakeClock) -> None:
    budget = _budget(ledger, clock, [], refresh_s=30)
    _spend(ledger, clock, 1.0)
    assert budget.spent() == 1.0
    _spend(ledger, clock, 1.0)
    assert budget.spent() == 1.0  # cached
    clock.now += 31
    assert budget.spent() == 2.0


def test_a_failing_callback_never_fails_the_call(ledger: Ledger, clock: FakeClock) -> None:
    def explode(alert: BudgetAlert) -> None:
        raise RuntimeError("pager down")

    budget = _budget(ledger, clock, [], on_alert=explode)
    _spend(ledger, clock, 9.0)
    assert budget.check({"feature": "chat"}, "gpt-4o") == "allow"
    assert isinstance(budget.last_alert_error, RuntimeError)


@pytest.mark.parametrize(
    ("when", "period", "start"),
    [
        (_utc(2026, 3, 11, 15, 30), "day", _utc(2026, 3, 11)),
        (_utc(2026, 3, 11, 15, 30), "week", _utc(2026, 3, 9)),  # a Wednesday; Monday the 9th
        (_utc(2026, 3, 9, 0, 0), "week", _utc(2026, 3, 9)),
        (_utc(2026, 3, 31, 23, 59), "month", _utc(2026, 3, 1)),
    ],
)
def test_period_starts_in_utc(when: datetime, period: str, start: datetime) -> None:
    assert period_start(when.timestamp(), period) == start  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit_usd": 0},
        {"limit_usd": float("inf")},
        {"period": "year"},
        {"action": "panic"},
        {"alert_at": (0.8, -1)},
        {"on_alert": "not callable"},
        {"refresh_s": -1},
        {"ledger": "sqlite:///x.db"},
    ],
)
def test_bad_options_raise_config_error(ledger: Ledger, kwargs: dict[str, object]) -> None:
    options: dict[str, object] = {"limit_usd": 10.0, "ledger": ledger}
    options.update(kwargs)
    with pytest.raises(ConfigError):
        Budget(**options)  # type: ignore[arg-type]


def test_budget_implements_the_gate_protocol(ledger: Ledger) -> None:
    from semroute.chat.info import BudgetGate

    assert isinstance(Budget(1.0, ledger=ledger), BudgetGate)
