"""Replay a stream of logged calls through caches, a router and the pruner, online.

Records are taken in chunks; each distinct query text in a chunk is embedded
once (a bounded memo spans chunks) and that vector is handed to every cache and
to the router: one embedding per request serves all three levers. All state is
bounded: counters per hour (or per block of records without time stamps), a
capped table of repeated intents, bounded memos, and caches capped by
``max_entries``.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

import numpy as np

from semroute._types import FloatArray, TextEncoder
from semroute.analysis.cost import DEFAULT_OUTPUT_TOKENS, Price, PriceTable
from semroute.analysis.log import LogRecord
from semroute.analysis.report import (
    CacheResult,
    Intent,
    PruningResult,
    RoutingResult,
    ThresholdResult,
    TierShare,
    TimeBucket,
    Totals,
)
from semroute.cache.text_ref import normalize_query
from semroute.errors import SemrouteError

__all__ = ["Replay", "ReplaySettings"]

_MEMO_EMBEDDINGS = 4096
_MEMO_PRUNED = 4096
_INTENT_CAP = 4096  # distinct cache entries tracked; trimmed to half when exceeded
_EXAMPLES_PER_INTENT = 3
_RECORDS_PER_BLOCK = 100  # time-less logs: one bucket per this many records before merging
_MAX_BUCKETS = 40
_BUCKET_WIDTHS_H = (1, 3, 6, 24, 24 * 7, 24 * 30)
_MAX_REJECTED = 20
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class _Hit(Protocol):
    @property
    def exact(self) -> bool: ...
    @property
    def matched_query(self) -> str: ...


class _Cache(Protocol):
    def get(self, query: str, /, **kwargs: Any) -> Any: ...
    def put(self, query: str, response: Any, /, **kwargs: Any) -> Any: ...


class _Router(Protocol):
    def choose(self, query: str, /, **kwargs: Any) -> Any: ...
    def choose_many(self, queries: Sequence[str], /, **kwargs: Any) -> list[Any]: ...


class _Pruner(Protocol):
    def __call__(self, context: str, *, query: str, ratio: float) -> Any: ...


@dataclass(frozen=True, slots=True)
class ReplaySettings:
    thresholds: tuple[float, ...]
    threshold: float
    prune_ratio: float
    namespace_by: str | None
    limit: int | None
    batch_size: int = 256
    examples: int = _EXAMPLES_PER_INTENT
    top_intents: int = 10


@dataclass(slots=True)
class _Bucket:
    requests: int = 0
    hits_exact: int = 0
    hits_semantic: int = 0
    cost_before: float = 0.0
    cost_after: float = 0.0

    def add(self, other: _Bucket) -> None:
        self.requests += other.requests
        self.hits_exact += other.hits_exact
        self.hits_semantic += other.hits_semantic
        self.cost_before += other.cost_before
        self.cost_after += other.cost_after


@dataclass(slots=True)
class _IntentTally:
    hits: int = 0
    dollars: float = 0.0
    examples: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)  # normal forms of the entry and examples


@dataclass(slots=True)
class _Counts:
    hits_exact: int = 0
    hits_semantic: int = 0
    dollars_saved: float = 0.0


@dataclass(slots=True)
class _Priced:
    """A record with its token counts and cost filled in."""

    record: LogRecord
    input_tokens: int
    output_tokens: int
    cost: float
    estimated: bool


class Replay:
    """Online replay state; feed records with ``run`` then read the results."""

    def __init__(
        self,
        *,
        settings: ReplaySettings,
        encoder: TextEncoder,
        caches: Sequence[_Cache],
        router: _Router,
        pruner: _Pruner,
        prices: PriceTable,
        on_chunk: Callable[[int], None] | None = None,
    ) -> None:
        self.settings = settings
        self._encoder = encoder
        self._caches = list(caches)
        self._default_index = settings.thresholds.index(settings.threshold)
        self._router = router
        self._pruner = pruner
        self._prices = prices
        self._on_chunk = on_chunk
        self._memo: OrderedDict[str, FloatArray] = OrderedDict()
        self._pruned_memo: OrderedDict[bytes, tuple[int, int]] = OrderedDict()
        self._counts = [_Counts() for _ in self._caches]
        self._hourly: dict[int, _Bucket] = {}
        self._blocks: dict[int, _Bucket] = {}
        self._intents: dict[tuple[str | None, str], _IntentTally] = {}
        self._tier_calls: dict[str, int] = {p.model: 0 for p in prices.prices}
        self._tier_cost: dict[str, float] = {p.model: 0.0 for p in prices.prices}
        self.records = 0
        self.rejected: list[tuple[int, str]] = []  # the first few, as the reader keeps them
        self.rejected_count = 0
        self.costs_estimated = 0
        self.first_ts: datetime | None = None
        self.last_ts: datetime | None = None
        self.bill_before = 0.0
        self.bill_routed = 0.0
        self.bill_after = 0.0
        self.context_records = 0
        self.context_tokens_before = 0
        self.context_tokens_after = 0
        self.prune_dollars = 0.0
        self.prune_errors = 0
        self.prune_error: str | None = None

    # -- driving -----------------------------------------------------------------------

    def run(self, records: Iterable[LogRecord]) -> None:
        stream: Iterator[LogRecord] = iter(records)
        if self.settings.limit is not None:
            stream = itertools.islice(stream, self.settings.limit)
        while chunk := list(itertools.islice(stream, self.settings.batch_size)):
            self._chunk(chunk)
            if self._on_chunk is not None:
                self._on_chunk(self.records)

    def _chunk(self, chunk: list[LogRecord]) -> None:
        vectors = self._embed([r.query for r in chunk])
        good: list[tuple[_Priced, FloatArray]] = []
        for item, vector in zip(self._price(chunk), vectors, strict=True):
            if vector is None:
                self._reject((item.record.line, "the encoder refused the query"))
            else:
                good.append((item, vector))
        if not good:
            return
        models = self._route([item.record.query for item, _ in good], [v for _, v in good])
        for (item, vector), model in zip(good, models, strict=True):
            if model is None:
                self._reject((item.record.line, "the router refused the query"))
                continue
            try:
                self._one(item, vector, model)
            except SemrouteError as exc:
                # One odd query (too long, say) must not end a replay of millions.
                self._reject((item.record.line, f"{type(exc).__name__}: {exc}"))

    def _reject(self, where: tuple[int, str]) -> None:
        self.rejected_count += 1
        if len(self.rejected) < _MAX_REJECTED:
            self.rejected.append(where)

    def _route(self, queries: list[str], vectors: list[FloatArray]) -> list[str | None]:
        try:
            decisions = self._router.choose_many(queries, embeddings=np.stack(vectors))
            return [str(d.model) for d in decisions]
        except SemrouteError:
            out: list[str | None] = []
            for query, vector in zip(queries, vectors, strict=True):
                try:
                    out.append(str(self._router.choose(query, embedding=vector).model))
                except SemrouteError:
                    out.append(None)
            return out

    def _embed(self, queries: list[str]) -> list[FloatArray | None]:
        known: dict[str, FloatArray | None] = {}
        todo = []
        for query in dict.fromkeys(queries):
            vector = self._memo.get(query)
            if vector is None:
                todo.append(query)
            else:
                known[query] = vector
                self._memo.move_to_end(query)
        if todo:
            fresh: dict[str, FloatArray | None] = {}
            try:
                fresh.update(zip(todo, self._encoder.encode(todo), strict=True))
            except (SemrouteError, ValueError, TypeError):
                # Find the culprit(s) one by one; the rest of the chunk still counts.
                for query in todo:
                    try:
                        fresh[query] = self._encoder.encode([query])[0]
                    except (SemrouteError, ValueError, TypeError):
                        fresh[query] = None
            for query, vector in fresh.items():
                known[query] = vector
                if vector is not None:
                    self._remember(self._memo, query, vector, _MEMO_EMBEDDINGS)
        return [known[query] for query in queries]

    def _price(self, chunk: list[LogRecord]) -> list[_Priced]:
        missing = [r for r in chunk if r.input_tokens is None]
        counted: dict[int, int] = {}
        if missing:
            texts = [r.query if r.context is None else f"{r.context}\n\n{r.query}" for r in missing]
            counted = {
                id(r): n for r, n in zip(missing, self._encoder.count_tokens(texts), strict=True)
            }
        out = []
        for record in chunk:
            input_tokens = record.input_tokens
            if input_tokens is None:
                input_tokens = counted[id(record)]
            output_tokens = record.output_tokens
            if output_tokens is None:
                output_tokens = DEFAULT_OUTPUT_TOKENS
            if record.cost_usd is not None:
                cost, estimated = record.cost_usd, False
            else:
                price = self._prices.price(record.model)
                cost, estimated = price.cost(input_tokens, output_tokens), True
            out.append(_Priced(record, input_tokens, output_tokens, cost, estimated))
        return out

    @staticmethod
    def _remember(memo: OrderedDict[Any, Any], key: Any, value: Any, cap: int) -> None:
        memo[key] = value
        memo.move_to_end(key)
        if len(memo) > cap:
            memo.popitem(last=False)

    # -- one record --------------------------------------------------------------------

    def _one(self, item: _Priced, vector: FloatArray, model: str) -> None:
        record = item.record
        namespace = record.tag(self.settings.namespace_by) if self.settings.namespace_by else None
        kwargs: dict[str, Any] = {"embedding": vector}
        if namespace is not None:
            kwargs["namespace"] = namespace
        # Everything that may refuse the record (the caches raise on a query they
        # cannot take) runs before any counter moves: every figure counts the same records.
        tier = self._prices.get(model) or self._prices.default
        kept_input = item.input_tokens
        pruned_away = 0
        if record.context is not None:
            pruned_away = self._prune(record.context, record.query, item.input_tokens, record.line)
            kept_input = item.input_tokens - pruned_away
        hits: list[Any] = []
        for cache in self._caches:
            hit = cache.get(record.query, **kwargs)
            if hit is None:
                cache.put(record.query, record.line, **kwargs)
            hits.append(hit)

        self.records += 1
        self.costs_estimated += item.estimated
        self.bill_before += item.cost
        routed_cost = self._cost_on(tier, item, item.input_tokens)
        self.bill_routed += routed_cost
        self._tier_calls[tier.model] += 1
        self._tier_cost[tier.model] += routed_cost
        if record.context is not None:
            own = self._prices.price(record.model)
            self.context_records += 1
            self.prune_dollars += own.cost(pruned_away, 0)
        for counts, hit in zip(self._counts, hits, strict=True):
            if hit is not None:
                counts.dollars_saved += item.cost
                if hit.exact:
                    counts.hits_exact += 1
                else:
                    counts.hits_semantic += 1

        hit = hits[self._default_index]
        after = 0.0 if hit is not None else self._cost_on(tier, item, kept_input)
        self.bill_after += after
        bucket = self._bucket_for(record.ts)
        bucket.requests += 1
        bucket.cost_before += item.cost
        bucket.cost_after += after
        if hit is not None:
            if hit.exact:
                bucket.hits_exact += 1
            else:
                bucket.hits_semantic += 1
            self._tally(namespace, str(hit.matched_query), record.query, item.cost)

    def _cost_on(self, tier: Price, item: _Priced, input_tokens: int) -> float:
        if tier.model == item.record.model and input_tokens == item.input_tokens:
            return item.cost  # the logged cost stays the truth for the model it was logged on
        return tier.cost(input_tokens, item.output_tokens)

    def _prune(self, context: str, query: str, input_tokens: int, line: int) -> int:
        """Tokens pruning removes from this call's input (memoised per query and context)."""
        key = hashlib.blake2b(f"{query}\x00{context}".encode(), digest_size=16).digest()
        cached = self._pruned_memo.get(key)
        if cached is None:
            try:
                pruned = self._pruner(context, query=query, ratio=self.settings.prune_ratio)
            except Exception as exc:
                # The call still counts for the cache and the router; its context is
                # billed unpruned and the failure is reported, not hidden.
                self.prune_errors += 1
                if self.prune_error is None:
                    self.prune_error = f"line {line}: {type(exc).__name__}: {exc}"
                return 0
            cached = (int(pruned.original_tokens), int(pruned.kept_tokens))
            self._remember(self._pruned_memo, key, cached, _MEMO_PRUNED)
        original, kept = cached
        removed = min(max(original - kept, 0), input_tokens)
        self.context_tokens_before += original
        self.context_tokens_after += original - removed
        return removed

    def _bucket_for(self, ts: datetime | None) -> _Bucket:
        if ts is not None:
            self.first_ts = ts if self.first_ts is None else min(self.first_ts, ts)
            self.last_ts = ts if self.last_ts is None else max(self.last_ts, ts)
            hour = math.floor((ts - _EPOCH).total_seconds() / 3600)
            return self._hourly.setdefault(hour, _Bucket())
        return self._blocks.setdefault(self.records // _RECORDS_PER_BLOCK, _Bucket())

    def _tally(self, namespace: str | None, entry: str, asked: str, cost: float) -> None:
        tally = self._intents.get((namespace, entry))
        if tally is None:
            if len(self._intents) >= _INTENT_CAP:
                # Keep the heavy hitters; the long tail cannot reach the top list anyway.
                ranked = sorted(self._intents.items(), key=lambda kv: -kv[1].hits)
                self._intents = dict(ranked[: _INTENT_CAP // 2])
            tally = self._intents.setdefault((namespace, entry), _IntentTally())
        tally.hits += 1
        tally.dollars += cost
        if len(tally.examples) < self.settings.examples:
            # Show other ways of asking, not the same words in another case.
            if not tally.seen:
                tally.seen.add(normalize_query(entry))
            form = normalize_query(asked)
            if form not in tally.seen:
                tally.seen.add(form)
                tally.examples.append(asked)

    # -- results -----------------------------------------------------------------------

    def cache_result(self) -> CacheResult:
        rows = []
        for threshold, counts in zip(self.settings.thresholds, self._counts, strict=True):
            hits = counts.hits_exact + counts.hits_semantic
            rows.append(
                ThresholdResult(
                    threshold=threshold,
                    hits_exact=counts.hits_exact,
                    hits_semantic=counts.hits_semantic,
                    hit_rate=hits / self.records if self.records else 0.0,
                    calls_saved=hits,
                    dollars_saved=counts.dollars_saved,
                )
            )
        ranked = sorted(self._intents.items(), key=lambda kv: (-kv[1].hits, kv[0][1]))
        intents = tuple(
            Intent(entry, namespace, t.hits, t.dollars, tuple(t.examples))
            for (namespace, entry), t in ranked[: self.settings.top_intents]
        )
        return CacheResult(
            threshold=self.settings.threshold,
            thresholds=tuple(rows),
            over_time=self._buckets(),
            top_intents=intents,
        )

    def _buckets(self) -> tuple[TimeBucket, ...]:
        if self._hourly:
            first, last = min(self._hourly), max(self._hourly)
            width = next(
                (w for w in _BUCKET_WIDTHS_H if (last - first) // w < _MAX_BUCKETS),
                _BUCKET_WIDTHS_H[-1],
            )
            merged: dict[int, _Bucket] = {}
            for hour, bucket in self._hourly.items():
                merged.setdefault((hour - first) // width, _Bucket()).add(bucket)
            out = []
            for index in sorted(merged):
                start = _EPOCH + timedelta(hours=first + index * width)
                label = start.strftime("%Y-%m-%d" if width >= 24 else "%Y-%m-%d %H:00")
                out.append(_time_bucket(label, start, merged[index]))
            return tuple(out)
        if not self._blocks:
            return ()
        per = max(1, math.ceil((max(self._blocks) + 1) / _MAX_BUCKETS))
        blocks: dict[int, _Bucket] = {}
        for block, bucket in self._blocks.items():
            blocks.setdefault(block // per, _Bucket()).add(bucket)
        size = per * _RECORDS_PER_BLOCK
        return tuple(
            _time_bucket(f"records {i * size + 1}-{(i + 1) * size}", None, blocks[i])
            for i in sorted(blocks)
        )

    def routing_result(self) -> RoutingResult:
        tiers = tuple(
            TierShare(
                model=model,
                calls=calls,
                share=calls / self.records if self.records else 0.0,
                cost=self._tier_cost[model],
            )
            for model, calls in self._tier_calls.items()
        )
        return RoutingResult(
            tiers=tiers,
            bill_before=self.bill_before,
            bill_after=self.bill_routed,
            saved=self.bill_before - self.bill_routed,
        )

    def pruning_result(self) -> PruningResult:
        return PruningResult(
            ratio=self.settings.prune_ratio,
            records_with_context=self.context_records,
            tokens_before=self.context_tokens_before,
            tokens_after=self.context_tokens_after,
            dollars_saved=self.prune_dollars,
            errors=self.prune_errors,
            first_error=self.prune_error,
        )

    def totals(self) -> Totals:
        saved = self.bill_before - self.bill_after
        span_days: float | None = None
        monthly_bill = monthly_saving = None
        if self.first_ts is not None and self.last_ts is not None:
            span_days = (self.last_ts - self.first_ts).total_seconds() / 86400
            if span_days > 0:
                scale = 30.0 / span_days
                monthly_bill, monthly_saving = self.bill_before * scale, saved * scale
        return Totals(
            bill_before=self.bill_before,
            bill_after=self.bill_after,
            saved=saved,
            saved_share=saved / self.bill_before if self.bill_before else 0.0,
            span_days=span_days,
            projected_monthly_bill=monthly_bill,
            projected_monthly_saving=monthly_saving,
        )


def _time_bucket(label: str, start: datetime | None, bucket: _Bucket) -> TimeBucket:
    return TimeBucket(
        label=label,
        start=start,
        requests=bucket.requests,
        hits_exact=bucket.hits_exact,
        hits_semantic=bucket.hits_semantic,
        cost_before=bucket.cost_before,
        cost_after=bucket.cost_after,
    )
