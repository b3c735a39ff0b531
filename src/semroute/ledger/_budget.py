"""``Budget``: a spending limit per period and tag scope, checked before each call.

The spend is read from the ledger (every process writing to the same SQLite file
counts), cached for ``refresh_s`` so a check is usually a dictionary look-up. When
the spend crosses a share in ``alert_at`` the callback fires once per threshold per
period: the alert is claimed with an ``INSERT OR IGNORE`` in the ledger, so when
several processes see the crossing only the one whose insert lands calls back. At
100 % of the limit ``action`` decides: ``"alert"`` lets the call through,
``"downgrade"`` asks the wrapper to route to the cheapest tier, ``"block"`` raises
``BudgetExceeded`` before the provider is called.

The spend lags the truth by the writer's batching (milliseconds) plus ``refresh_s``,
so a burst of concurrent calls can overshoot the limit by what they cost.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Literal

from semroute.chat.info import BudgetAction
from semroute.errors import BudgetExceeded, ConfigError
from semroute.ledger._ledger import Ledger

__all__ = ["Budget", "BudgetAlert", "period_start"]

Period = Literal["day", "week", "month"]
Action = Literal["alert", "downgrade", "block"]
_PERIODS = ("day", "week", "month")
_ACTIONS = ("alert", "downgrade", "block")


@dataclass(frozen=True, slots=True)
class BudgetAlert:
    """What ``on_alert`` receives: which budget crossed which share of its limit."""

    budget: str
    threshold: float
    spend_usd: float
    limit_usd: float
    period: str
    period_start: datetime
    scope: Mapping[str, str] = field(default_factory=dict)


def period_start(now: float, period: Period) -> datetime:
    """The UTC start of the day, week (Monday) or month containing ``now`` (epoch seconds).

    >>> period_start(1_780_000_000, "month").isoformat()
    '2026-05-01T00:00:00+00:00'
    """
    moment = datetime.fromtimestamp(now, tz=timezone.utc)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


class Budget:
    """A dollar limit per period for the calls whose tags include ``scope``.

    Pass it to a wrapper (``semroute.wrap(client, budgets=[budget])``) or call
    ``check(tags, model)`` yourself before each call. ``clock`` returns seconds since
    the epoch (tests pass a fake one).

    >>> from semroute.ledger import Ledger
    >>> seen = []
    >>> with Ledger("memory://") as ledger:
    ...     budget = Budget(1.0, period="day", scope={"feature": "chat"}, ledger=ledger,
    ...                     on_alert=seen.append, action="block", refresh_s=0)
    ...     _ = ledger.record(model="m", cost_usd=0.85, tags={"feature": "chat"})
    ...     ledger.flush()
    ...     budget.check({"feature": "chat"}, "gpt-4o")
    'allow'
    >>> [a.threshold for a in seen]
    [0.8]
    """

    def __init__(
        self,
        limit_usd: float,
        *,
        ledger: Ledger,
        period: Period = "month",
        scope: Mapping[str, str] | None = None,
        alert_at: Sequence[float] = (0.8, 1.0),
        on_alert: Callable[[BudgetAlert], object] | None = None,
        action: Action = "alert",
        name: str | None = None,
        clock: Callable[[], float] = time.time,
        refresh_s: float = 1.0,
    ) -> None:
        if (
            isinstance(limit_usd, bool)
            or not isinstance(limit_usd, int | float)
            or not math.isfinite(limit_usd)
            or limit_usd <= 0
        ):
            raise ConfigError(f"limit_usd must be a number > 0, got {limit_usd!r}")
        if period not in _PERIODS:
            raise ConfigError(f"period must be one of {', '.join(_PERIODS)}, got {period!r}")
        if action not in _ACTIONS:
            raise ConfigError(f"action must be one of {', '.join(_ACTIONS)}, got {action!r}")
        shares = []
        for share in alert_at:
            if isinstance(share, bool) or not isinstance(share, int | float) or not share > 0:
                raise ConfigError(f"alert_at holds shares of the limit > 0, got {share!r}")
            shares.append(float(share))
        if not isinstance(ledger, Ledger):
            raise ConfigError(f"ledger must be a semroute Ledger, got {type(ledger).__name__}")
        if on_alert is not None and not callable(on_alert):
            raise ConfigError("on_alert must be callable")
        if isinstance(refresh_s, bool) or not isinstance(refresh_s, int | float) or refresh_s < 0:
            raise ConfigError(f"refresh_s must be a number >= 0, got {refresh_s!r}")
        self.limit_usd = float(limit_usd)
        self.period: Period = period
        self.scope = {str(k): str(v) for k, v in (scope or {}).items()}
        self.alert_at = tuple(sorted(set(shares)))
        self.on_alert = on_alert
        self.action: Action = action
        self.ledger = ledger
        self.name = name or (
            f"{period}:{self.limit_usd:g}:{json.dumps(self.scope, sort_keys=True)}"
        )
        self._clock = clock
        self._refresh_s = float(refresh_s)
        self._cached: tuple[float, float, float] | None = None  # (period start, read at, spend)
        self._claimed: set[tuple[float, float]] = set()
        #: The last exception raised by ``on_alert`` (it never reaches the call).
        self.last_alert_error: BaseException | None = None

    def applies_to(self, tags: Mapping[str, str]) -> bool:
        """True when every ``scope`` tag is present in ``tags`` with the same value."""
        return all(tags.get(key) == value for key, value in self.scope.items())

    def spent(self) -> float:
        """Dollars spent in scope since the current period began (all processes)."""
        now = self._clock()
        start = period_start(now, self.period).timestamp()
        cached = self._cached
        if cached is not None and cached[0] == start and now - cached[1] < self._refresh_s:
            return cached[2]
        # Periods start at UTC midnight, so the daily totals sum to the period exactly.
        spend = self.ledger.spend_since_day(int(start // 86400), scope=self.scope)
        self._cached = (start, now, spend)
        return spend

    def check(self, tags: Mapping[str, str], model: str) -> BudgetAction:
        """``"allow"`` or ``"downgrade"`` for the next call; raises ``BudgetExceeded`` to block.

        Fires ``on_alert`` for each newly crossed share of the limit first.
        """
        if not self.applies_to(tags):
            return "allow"
        spend = self.spent()
        share = spend / self.limit_usd
        for threshold in self.alert_at:
            if share >= threshold:
                self._alert(threshold, spend)
        if share < 1.0 or self.action == "alert":
            return "allow"
        if self.action == "downgrade":
            return "downgrade"
        raise BudgetExceeded(
            f"budget {self.name!r} spent ${spend:,.4f} of ${self.limit_usd:,.2f} this "
            f"{self.period}: call to {model} refused"
        )

    def _alert(self, threshold: float, spend: float) -> None:
        start = period_start(self._clock(), self.period)
        key = (start.timestamp(), threshold)
        if key in self._claimed:
            return  # settled in this process: no database round trip per call
        self._claimed.add(key)
        if not self.ledger.mark_alert(self.name, start.timestamp(), threshold, spend):
            return  # another process already fired it this period
        if self.on_alert is None:
            return
        alert = BudgetAlert(
            budget=self.name,
            threshold=threshold,
            spend_usd=spend,
            limit_usd=self.limit_usd,
            period=self.period,
            period_start=start,
            scope=dict(self.scope),
        )
        try:
            self.on_alert(alert)
        except Exception as exc:  # a failing alert hook must not fail the call
            self.last_alert_error = exc

    def __repr__(self) -> str:
        return (
            f"Budget({self.limit_usd:g}, period={self.period!r}, scope={self.scope!r}, "
            f"action={self.action!r})"
        )
