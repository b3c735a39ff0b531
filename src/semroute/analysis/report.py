"""The typed result of ``semroute.analyze`` and ``semroute report``, and its stable JSON form.

One model, two sources: ``analyze`` fills it by replaying a log (what semroute
*would* save), ``semroute report`` from a ledger (what it *did* save); the
terminal and HTML renderers draw both. A report from a ledger carries
``measured`` (outcomes, per-tag tables) and a cache threshold of ``None`` (as
served; the ledger does not know the cache's setting).

``AnalysisReport.to_dict()`` is the ``--json`` output. Its ``schema``
(``semroute.analyze`` or ``semroute.report``) and ``version`` fields name the
layout; a change that removes or renames a key bumps ``version``, adding keys
does not.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from semroute.analysis.log import Malformed

__all__ = [
    "MEASURED_SCHEMA",
    "SCHEMA",
    "SCHEMA_VERSION",
    "AnalysisReport",
    "CacheResult",
    "GroupRow",
    "GroupTable",
    "Intent",
    "Measured",
    "OutcomeCount",
    "PruningResult",
    "RoutingResult",
    "ThresholdResult",
    "TierShare",
    "TimeBucket",
    "Totals",
]

SCHEMA = "semroute.analyze"
MEASURED_SCHEMA = "semroute.report"
SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class ThresholdResult:
    """Replaying the log through one cache at one similarity threshold.

    From a ledger there is one row, ``threshold`` ``None``: the cache as it served.
    """

    threshold: float | None
    hits_exact: int
    hits_semantic: int
    hit_rate: float
    calls_saved: int
    dollars_saved: float


@dataclass(frozen=True, slots=True)
class TimeBucket:
    """Traffic and cache hits (default threshold) in one time slice as the cache warms.

    ``start`` is ``None`` when the log has no time stamps; buckets then count records.
    In a time-stamped log, a record without a time stamp counts everywhere but here.
    """

    label: str
    start: datetime | None
    requests: int
    hits_exact: int
    hits_semantic: int
    cost_before: float
    cost_after: float

    @property
    def hit_rate(self) -> float:
        return (self.hits_exact + self.hits_semantic) / self.requests if self.requests else 0.0


@dataclass(frozen=True, slots=True)
class Intent:
    """A repeated question: the cached entry that served hits and some ways it was asked."""

    query: str
    namespace: str | None
    hits: int
    dollars_saved: float
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CacheResult:
    threshold: float | None  # None: measured from a ledger, whatever the cache's setting
    thresholds: tuple[ThresholdResult, ...]
    over_time: tuple[TimeBucket, ...]
    top_intents: tuple[Intent, ...]

    @property
    def default(self) -> ThresholdResult:
        """The result at the default threshold."""
        return next(t for t in self.thresholds if t.threshold == self.threshold)


@dataclass(frozen=True, slots=True)
class TierShare:
    model: str
    calls: int
    share: float
    cost: float


@dataclass(frozen=True, slots=True)
class RoutingResult:
    """Every record routed (cache aside): share per tier, bill as logged vs routed."""

    tiers: tuple[TierShare, ...]
    bill_before: float
    bill_after: float
    saved: float


@dataclass(frozen=True, slots=True)
class PruningResult:
    """Contexts pruned at ``ratio``; tokens counted by the encoder's tokenizer.

    ``errors`` counts contexts the pruner failed on (billed unpruned);
    ``first_error`` says where and why the first one failed.
    """

    ratio: float
    records_with_context: int
    tokens_before: int
    tokens_after: int
    dollars_saved: float
    errors: int = 0
    first_error: str | None = None

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after


@dataclass(frozen=True, slots=True)
class Totals:
    """All three levers together, without double counting.

    A cache hit costs nothing; a miss is routed and its context pruned. The
    monthly projection scales by ``30 / span_days`` and is ``None`` without time stamps.
    """

    bill_before: float
    bill_after: float
    saved: float
    saved_share: float
    span_days: float | None
    projected_monthly_bill: float | None
    projected_monthly_saving: float | None


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    """Calls with one cache outcome (exact, semantic, miss, bypass, error) in a ledger."""

    outcome: str
    calls: int
    cost: float
    saved: float


@dataclass(frozen=True, slots=True)
class GroupRow:
    """Spend and savings of the calls sharing one value of a tag (or one model).

    ``unpriced`` counts calls whose cost is unknown (no price for the model): they
    are left out of ``cost``, never counted as free.
    """

    key: str
    calls: int
    hits: int
    cost: float
    saved: float
    unpriced: int

    @property
    def hit_rate(self) -> float:
        return self.hits / self.calls if self.calls else 0.0


@dataclass(frozen=True, slots=True)
class GroupTable:
    """One per-tag table: ``by`` is a tag name (feature, user, tenant...) or ``model``."""

    by: str
    rows: tuple[GroupRow, ...]


@dataclass(frozen=True, slots=True)
class Measured:
    """What only a ledger knows: outcomes as served, bypass reasons, per-tag tables."""

    since: datetime | None
    outcomes: tuple[OutcomeCount, ...]
    bypass_reasons: tuple[tuple[str, int], ...]
    groups: tuple[GroupTable, ...]
    unpriced_calls: int
    errors: int


@dataclass(frozen=True, slots=True)
class AnalysisReport:
    """What semroute would have saved on one log. ``to_dict()`` is the ``--json`` form."""

    source: str
    records: int
    malformed_count: int
    malformed: tuple[Malformed, ...]
    costs_estimated: int
    first_ts: datetime | None
    last_ts: datetime | None
    cache: CacheResult
    routing: RoutingResult
    pruning: PruningResult
    totals: Totals
    measured: Measured | None = None  # set when the report comes from a ledger

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with ``schema`` and ``version`` first."""
        body = asdict(self)
        body["cache"]["default"] = asdict(self.cache.default)
        for bucket, raw in zip(self.cache.over_time, body["cache"]["over_time"], strict=True):
            raw["hit_rate"] = bucket.hit_rate
        body["pruning"]["tokens_saved"] = self.pruning.tokens_saved
        schema = SCHEMA
        if self.measured is not None:
            schema = MEASURED_SCHEMA
            for table, raw_table in zip(
                self.measured.groups, body["measured"]["groups"], strict=True
            ):
                for row, raw in zip(table.rows, raw_table["rows"], strict=True):
                    raw["hit_rate"] = row.hit_rate
        else:
            del body["measured"]
        return {"schema": schema, "version": SCHEMA_VERSION, **_jsonable(body)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value
