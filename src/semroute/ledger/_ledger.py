"""``Ledger``: one row per LLM call, written off the caller's thread, queried for reports.

The wrappers call ``on_call(info)`` with each call's :class:`~semroute.chat.info.CallInfo`;
code that calls the provider itself uses ``record(...)``. Either way the caller's thread
only puts the (immutable) record on a bounded queue; one background thread builds the
rows and writes them in batches (see ``BatchWriter``).
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semroute.chat.info import CallInfo, Outcome
from semroute.errors import ConfigError, InputError
from semroute.ledger._prices import PriceBook, default_prices
from semroute.ledger._row import COLUMNS, row_from_info
from semroute.ledger._store import LedgerStore, parse_url
from semroute.ledger._writer import BatchWriter

__all__ = ["Ledger", "LedgerStats", "tag_filter"]

_OUTCOMES = ("exact", "semantic", "miss", "bypass", "error")


@dataclass(frozen=True, slots=True)
class LedgerStats:
    """Rows accepted into the queue, written, dropped because it was full, failed to write."""

    queued: int
    written: int
    dropped: int
    failed: int
    pending: int
    last_error: str | None


def tag_filter(scope: Mapping[str, str] | None) -> tuple[str, list[Any]]:
    """An SQL condition (and its parameters) matching rows whose tags include ``scope``.

    >>> tag_filter({"feature": "chat"})
    ('json_extract(tags, ?) = ?', ['$."feature"', 'chat'])
    """
    if not scope:
        return "1", []
    clauses, params = [], []
    for key, value in scope.items():
        if not isinstance(key, str) or not key or '"' in key:
            raise ConfigError(f"tag names are non-empty strings without quotes, got {key!r}")
        clauses.append("json_extract(tags, ?) = ?")
        params += [f'$."{key}"', str(value)]
    return " AND ".join(clauses), params


def _close_weak(ref: weakref.ref[Ledger]) -> None:
    ledger = ref()
    if ledger is not None:
        ledger.close()


class Ledger:
    """Record every LLM call (cost paid, cost avoided, cache outcome, route) in SQLite.

    ``url`` is ``"sqlite:///ledger.db"`` (a file several processes may share) or
    ``"memory://"``. Query and answer texts are stored only with ``store_text=True``.
    At most ``queue_size`` rows wait for the writer; beyond that new rows are
    dropped and counted in ``stats().dropped`` rather than slowing a call.
    ``prices`` (a path or mapping, dollars per million tokens) overrides the shipped
    table when a row arrives without a cost. ``close()`` (or leaving a ``with``
    block, or the interpreter exiting) writes what is queued.

    >>> with Ledger("memory://") as ledger:
    ...     _ = ledger.record(model="gpt-4o-mini", input_tokens=1000, output_tokens=200,
    ...                       tags={"feature": "support"})
    ...     ledger.flush()
    ...     round(ledger.spend(), 6), ledger.stats().written
    (0.00027, 1)
    """

    def __init__(
        self,
        url: str | os.PathLike[str] = "sqlite:///ledger.db",
        *,
        store_text: bool = False,
        queue_size: int = 10_000,
        batch_size: int = 256,
        prices: str | Path | Mapping[str, Any] | PriceBook | None = None,
    ) -> None:
        for name, value in (("queue_size", queue_size), ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        self.store_text = bool(store_text)
        self._prices: PriceBook | None = (
            prices if isinstance(prices, PriceBook) or prices is None else PriceBook(prices)
        )
        self._store = LedgerStore(parse_url(url))
        self.url = self._store.label
        self._writer = BatchWriter(self._write, queue_size=queue_size, batch_size=batch_size)
        self._closed = False
        self._atexit = functools.partial(_close_weak, weakref.ref(self))
        atexit.register(self._atexit)

    # -- writing ------------------------------------------------------------------------

    def on_call(self, info: CallInfo) -> None:
        """Queue one finished call (the ``CallObserver`` hook). Never raises, never blocks."""
        # Only the queue put happens here; the row is built on the writer's thread.
        self._writer.put(info)

    def record(
        self,
        *,
        model: str,
        outcome: Outcome = "miss",
        model_used: str | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cost_usd: float | None = None,
        saved_usd: float | None = None,
        similarity: float | None = None,
        reason: str | None = None,
        tags: Mapping[str, str] | None = None,
        namespace: str = "default",
        provider: str = "custom",
        operation: str = "chat",
        latency_s: float = 0.0,
        query: str | None = None,
        matched_query: str | None = None,
        pruned_tokens: int = 0,
        route_model: str | None = None,
        route_score: float | None = None,
        error_type: str | None = None,
        at: float | None = None,
    ) -> CallInfo:
        """Record one call made outside the wrappers (``get_or_call`` users); returns its info.

        A cost left out is priced from the tokens; a hit costs nothing. ``at`` is the
        call's start in seconds since the epoch (default: now minus ``latency_s``).

        >>> with Ledger("memory://") as ledger:
        ...     info = ledger.record(model="gpt-4o", outcome="semantic", saved_usd=0.004)
        >>> info.cost_usd
        0.0
        """
        if outcome not in _OUTCOMES:
            raise InputError(f"outcome must be one of {', '.join(_OUTCOMES)}, got {outcome!r}")
        if not isinstance(model, str) or not model:
            raise InputError(f"model must be a non-empty string, got {model!r}")
        hit = outcome in ("exact", "semantic")
        if cost_usd is None and hit:
            cost_usd = 0.0
        if cost_usd is None and input_tokens is not None and output_tokens is not None:
            used = model_used or model
            cost_usd = (self._prices or default_prices()).cost(used, input_tokens, output_tokens)
        end_ns = time.time_ns() if at is None else int((at + latency_s) * 1e9)
        info = CallInfo(
            operation=operation,
            provider=provider,
            namespace=namespace,
            model_requested=model,
            model_used=model_used or (None if outcome == "error" else model),
            outcome=outcome,
            reason=reason,
            similarity=similarity,
            matched_query=matched_query,
            query=query,
            route_model=route_model,
            route_score=route_score,
            input_tokens=0 if hit and input_tokens is None else input_tokens,
            output_tokens=0 if hit and output_tokens is None else output_tokens,
            cost_usd=cost_usd,
            saved_usd=saved_usd,
            pruned_tokens=pruned_tokens,
            error_type=error_type,
            tags=dict(tags or {}),
            start_ns=end_ns - int(latency_s * 1e9),
            end_ns=end_ns,
        )
        self.on_call(info)
        return info

    def _write(self, infos: Sequence[CallInfo]) -> None:
        """Build the rows of one batch and insert them (on the writer's thread)."""
        prices = self._prices or default_prices()
        rows = []
        for info in infos:
            try:
                rows.append(row_from_info(info, store_text=self.store_text, prices=prices))
            except Exception as exc:  # one malformed record must not lose its batch
                self._writer.count_failed(1, exc)
        if rows:
            self._store.write(rows)

    def flush(self) -> None:
        """Wait until every row queued so far is in the database."""
        self._writer.flush()

    def close(self) -> None:
        """Write what is queued and close the database. Idempotent."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self._atexit)
        self._writer.close()
        self._store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stats(self) -> LedgerStats:
        """Counts since this ``Ledger`` opened (this process only)."""
        w = self._writer
        return LedgerStats(
            queued=w.queued,
            written=w.written,
            dropped=w.dropped,
            failed=w.failed,
            pending=w.pending(),
            last_error=None if w.last_error is None else repr(w.last_error),
        )

    # -- reading ------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one SQL statement on the ledger (table ``calls``; see ``COLUMNS``)."""
        return self._store.query(sql, params)

    def calls(
        self,
        *,
        since: float | None = None,
        until: float | None = None,
        scope: Mapping[str, str] | None = None,
    ) -> list[dict[str, Any]]:
        """Written rows as dicts, oldest first; times are seconds since the epoch.

        >>> with Ledger("memory://") as ledger:
        ...     _ = ledger.record(model="gpt-4o-mini", outcome="exact", tags={"user": "u1"})
        ...     ledger.flush()
        ...     [(c["outcome"], c["tags"]) for c in ledger.calls(scope={"user": "u1"})]
        [('exact', {'user': 'u1'})]
        """
        where, params = self._where(since, until, scope)
        names = ["id", *(name for name, _ in COLUMNS)]
        rows = self._store.query(
            f"SELECT {', '.join(names)} FROM calls WHERE {where} ORDER BY ts, id", params
        )
        out = []
        for row in rows:
            item = dict(zip(names, row, strict=True))
            item["tags"] = json.loads(item["tags"])
            item["request_params"] = json.loads(item["request_params"])
            item["tokens_estimated"] = bool(item["tokens_estimated"])
            item["stream"] = bool(item["stream"])
            out.append(item)
        return out

    def spend(
        self,
        *,
        since: float | None = None,
        until: float | None = None,
        scope: Mapping[str, str] | None = None,
    ) -> float:
        """Dollars paid by written calls in ``[since, until)`` whose tags include ``scope``.

        Calls whose cost is unknown (no price for their model) count as nothing here;
        ``unpriced_calls`` counts them.
        """
        where, params = self._where(since, until, scope)
        ((total,),) = self._store.query(
            f"SELECT COALESCE(SUM(cost_usd), 0) FROM calls WHERE {where}", params
        )
        return float(total)

    def spend_since_day(self, day: int, *, scope: Mapping[str, str] | None = None) -> float:
        """Dollars paid since the UTC day ``day`` (days since the epoch), tags including ``scope``.

        Read from the daily spend table the writer keeps with the calls, so its cost grows
        with days x distinct tag sets, not with calls: what a budget check needs.
        """
        where, params = tag_filter(scope)
        ((total,),) = self._store.query(
            f"SELECT COALESCE(SUM(cost_usd), 0) FROM spend_daily WHERE day >= ? AND {where}",
            [int(day), *params],
        )
        return float(total)

    def unpriced_calls(
        self, *, since: float | None = None, scope: Mapping[str, str] | None = None
    ) -> int:
        """Calls that reached a provider but whose cost is unknown."""
        where, params = self._where(since, None, scope)
        ((count,),) = self._store.query(
            f"SELECT COUNT(*) FROM calls WHERE {where} AND cost_usd IS NULL", params
        )
        return int(count)

    def mark_alert(self, budget: str, period_start: float, threshold: float, spend: float) -> bool:
        """Note that ``budget`` crossed ``threshold`` in the period; True only the first time.

        The row is inserted at once (not queued) so that two processes racing for the
        same alert agree on which one fires it.
        """
        return self._store.insert_once(
            "INSERT OR IGNORE INTO budget_alerts (budget, period_start, threshold, fired_at, "
            "spend_usd) VALUES (?, ?, ?, ?, ?)",
            (budget, period_start, threshold, time.time(), spend),
        )

    @staticmethod
    def _where(
        since: float | None, until: float | None, scope: Mapping[str, str] | None
    ) -> tuple[str, list[Any]]:
        where, params = tag_filter(scope)
        if since is not None:
            where += " AND ts >= ?"
            params.append(float(since))
        if until is not None:
            where += " AND ts < ?"
            params.append(float(until))
        return where, params

    def __repr__(self) -> str:
        return f"Ledger({self.url!r}, store_text={self.store_text})"
