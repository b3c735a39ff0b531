"""One ledger row: the columns, and how a ``CallInfo`` becomes one.

The row splits what semroute saved by lever so a report can show each without
re-deriving it: a hit's ``saved_usd`` is the cache's; on a call that reached the
provider, the pruned tokens priced at the used model's input price are pruning's
and the rest of ``saved_usd`` is routing's. Texts (the query and the cached query
that served a hit) are kept only with ``store_text=True``; without them a hit still
records ``intent``, a short hash of the cached query, so repeated intents can be
counted without storing what anyone asked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from semroute.chat.info import CallInfo
from semroute.ledger._prices import PriceBook

__all__ = ["COLUMNS", "HITS", "SCHEMA_SQL", "row_from_info"]

HITS = ("exact", "semantic")

# Name and SQLite type of every column but the autoincrement id, in insert order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("ts", "REAL NOT NULL"),  # seconds since the epoch when the call was received
    ("latency_ms", "REAL NOT NULL"),
    ("operation", "TEXT NOT NULL"),
    ("provider", "TEXT NOT NULL"),
    ("namespace", "TEXT NOT NULL"),
    ("tags", "TEXT NOT NULL"),  # JSON object of the caller's tags (feature, user, tenant...)
    ("model_requested", "TEXT NOT NULL"),
    ("model_used", "TEXT"),
    ("outcome", "TEXT NOT NULL"),  # exact / semantic / miss / bypass / error
    ("reason", "TEXT"),
    ("similarity", "REAL"),
    ("intent", "TEXT"),  # hash of the cached query that served a hit
    ("matched_query", "TEXT"),  # store_text only
    ("query", "TEXT"),  # store_text only
    ("route_model", "TEXT"),
    ("route_score", "REAL"),
    ("route_reason", "TEXT"),
    ("input_tokens", "INTEGER"),
    ("output_tokens", "INTEGER"),
    ("tokens_estimated", "INTEGER NOT NULL"),  # 1: counted by the shipped tokenizer
    ("cost_usd", "REAL"),  # NULL: unknown (model without a price), never 0
    ("saved_usd", "REAL"),
    ("saved_cache_usd", "REAL"),
    ("saved_route_usd", "REAL"),
    ("saved_prune_usd", "REAL"),
    ("saved_tokens", "INTEGER"),
    ("pruned_tokens", "INTEGER NOT NULL"),
    ("stream", "INTEGER NOT NULL"),
    ("error_type", "TEXT"),
    ("response_id", "TEXT"),
    ("finish_reason", "TEXT"),
    ("request_params", "TEXT NOT NULL"),  # JSON of the scalar request parameters
)

SCHEMA_SQL = (
    # A plain rowid key: AUTOINCREMENT would add a sqlite_sequence write per insert.
    "CREATE TABLE IF NOT EXISTS calls (id INTEGER PRIMARY KEY, "
    + ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    + ");\n"
    "CREATE INDEX IF NOT EXISTS calls_ts ON calls (ts);\n"
    # One row per budget threshold per period: INSERT OR IGNORE makes each alert fire once
    # across every process sharing the ledger.
    "CREATE TABLE IF NOT EXISTS budget_alerts (budget TEXT NOT NULL, period_start REAL NOT NULL,"
    " threshold REAL NOT NULL, fired_at REAL NOT NULL, spend_usd REAL NOT NULL,"
    " PRIMARY KEY (budget, period_start, threshold));\n"
    "CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    # Spend per UTC day and tag set, kept in the calls' own transaction: a budget sums a
    # period from here (days x tag sets rows) instead of scanning every call.
    "CREATE TABLE IF NOT EXISTS spend_daily (day INTEGER NOT NULL, tags TEXT NOT NULL,"
    " cost_usd REAL NOT NULL, calls INTEGER NOT NULL, PRIMARY KEY (day, tags)) WITHOUT ROWID;\n"
)


def _intent(text: str | None) -> str | None:
    if not text:
        return None
    return hashlib.blake2b(" ".join(text.lower().split()).encode(), digest_size=6).hexdigest()


_TEXT_PARAMS = frozenset({"model", "reasoning_effort", "verbosity", "tool_choice", "service_tier"})


_JSON_CACHE: dict[tuple[object, ...], str] = {}
_JSON_CACHE_MAX = 4096


def _cached_json(kind: str, mapping: Mapping[str, object]) -> str:
    """JSON text of a small mapping; calls repeat the same tags and parameters, so reuse it."""
    # Types in the key: True == 1 == 1.0 as keys, but not in JSON.
    key = (kind, *((k, type(v), v) for k, v in mapping.items()))
    try:
        text = _JSON_CACHE.get(key)
    except TypeError:  # an unhashable value: no caching
        return json.dumps(mapping, sort_keys=True, default=str)
    if text is None:
        if len(_JSON_CACHE) >= _JSON_CACHE_MAX:
            _JSON_CACHE.clear()
        text = _JSON_CACHE[key] = json.dumps(mapping, sort_keys=True, default=str)
    return text


def _tags(tags: Mapping[str, str]) -> str:
    return _cached_json("tags", dict(tags))


def _scalars(params: Mapping[str, object]) -> str:
    """Numbers, flags and a few enum-like strings: never messages, tools or user ids."""
    kept = {
        str(k): v
        for k, v in params.items()
        if v is None
        or isinstance(v, bool | int | float)
        or (k in _TEXT_PARAMS and isinstance(v, str))
    }
    return _cached_json("params", kept)


def _cost(info: CallInfo, prices: PriceBook) -> float | None:
    if info.cost_usd is not None:
        return info.cost_usd
    if info.outcome in HITS:
        return 0.0  # a hit bills nothing, whatever the model's price
    if info.input_tokens is None or info.output_tokens is None:
        return None
    model = info.model_used or info.model_requested
    return prices.cost(model, info.input_tokens, info.output_tokens)


def _levers(info: CallInfo, prices: PriceBook) -> tuple[float | None, float | None, float | None]:
    """Saved dollars split into (cache, routing, pruning); ``None`` where unknown."""
    if info.outcome in HITS:
        return info.saved_usd, 0.0, 0.0
    prune: float | None = 0.0
    if info.pruned_tokens:
        prune = prices.cost(info.model_used or info.model_requested, info.pruned_tokens, 0)
    if info.saved_usd is None:
        return 0.0, None, prune
    route = info.saved_usd - (prune or 0.0)
    return 0.0, route, prune


def row_from_info(info: CallInfo, *, store_text: bool, prices: PriceBook) -> tuple[Any, ...]:
    """The values of ``COLUMNS`` for one call, in order."""
    cache, route, prune = _levers(info, prices)
    return (
        info.start_ns / 1e9,
        info.latency_s * 1e3,
        info.operation,
        info.provider,
        info.namespace,
        _tags(info.tags),
        info.model_requested,
        info.model_used,
        info.outcome,
        info.reason,
        info.similarity,
        _intent(info.matched_query) if info.outcome in HITS else None,
        info.matched_query if store_text else None,
        info.query if store_text else None,
        info.route_model,
        info.route_score,
        info.route_reason,
        info.input_tokens,
        info.output_tokens,
        int(info.tokens_estimated),
        _cost(info, prices),
        info.saved_usd,
        cache,
        route,
        prune,
        info.saved_tokens,
        info.pruned_tokens,
        int(info.stream),
        info.error_type,
        info.response_id,
        info.finish_reason,
        _scalars(info.request_params),
    )
