"""The lookup decision: exact key -> index -> guards, blocks, long-text tail, code ->
shared context -> verifier.

``Lookup`` reads the entry store under the cache's lock and never writes an entry but to
drop an expired one. The semantic decision is a generator shared by the sync and async
paths: it yields a question the driver answers outside the lock (a :class:`Residuals`
pair to embed and compare, or ``(cached_query, cached_response)`` for the verifier) and
receives the answer; ``drive`` / ``adrive`` ask it.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from semroute import _cachecore
from semroute.cache.blocks import Blocks, block_form
from semroute.cache.code import code_parts
from semroute.cache.guards.api import Guards, GuardSignature, guard_reason, guard_signature
from semroute.cache.shared_context import differing_parts
from semroute.cache.stats import StatsRecorder
from semroute.cache.store import EntryStore
from semroute.cache.verifier import PairVerifier, Verdict
from semroute.cache.window import Tails
from semroute.errors import ConfigError

FloatArray = npt.NDArray[np.float32]

#: ``verify(query, cached_query, cached_response)``: True serves the candidate. It may
#: be ``async def`` when used through ``aget_or_call``.
Verifier = Callable[[str, str, Any], "bool | Verdict | Awaitable[bool]"]
#: Embeds texts as unit rows (the cache's encoder).
Embed = Callable[[list[str]], FloatArray]


@dataclass(frozen=True, slots=True)
class Residuals:
    """The differing parts of two texts that share a long context, to be embedded and
    compared against the lookup's threshold (outside the lock: the encoder is slow)."""

    query_part: str
    cached_part: str
    threshold: float


# What the semantic lookup asks its driver: residuals to compare, or
# (cached_query, cached_response) to verify.
_Ask = tuple[str, Any]
Steps = Generator["_Ask | Residuals", bool, "CacheHit | None"]


@dataclass(frozen=True, slots=True)
class CacheHit:
    """A stored answer served for a query, with the figures worth logging.

    ``similarity`` is the cosine between the query and ``matched_query``
    (1.0 for an exact repeat, found without the encoder: ``exact`` is True).
    ``verify_probability`` is the pair verifier's probability when a
    :class:`~semroute.cache.verifier.PairVerifier` served the hit, else None.
    """

    response: Any
    similarity: float
    matched_query: str
    age_s: float
    exact: bool
    namespace: str
    lookup_us: float
    verify_probability: float | None = None


class Check:
    """Why a semantic candidate may not be served; the query's guard signature is
    computed at most once per lookup, and only when some candidate qualifies."""

    __slots__ = ("any_guard", "blocked", "code", "guards", "query", "sig", "tail", "tail_of")

    def __init__(
        self,
        query: str,
        guards: Guards,
        blocked: frozenset[str] | None,
        tail_of: Callable[[str], str | None] | None,
    ) -> None:
        self.query = query
        self.guards = guards
        self.any_guard = guards.any
        self.blocked = blocked
        self.sig: GuardSignature | None = None
        self.tail_of = tail_of
        self.tail: str | bool | None = False  # False: not computed yet
        self.code: tuple[str, ...] | None = None  # None: not computed yet

    def reason(self, cached_query: str) -> str | None:
        if self.blocked and block_form(cached_query, raw=True) in self.blocked:
            return "reported"
        if self.tail_of is not None:
            # Only the encoder's window was embedded: the rest must be the same text.
            if self.tail is False:
                self.tail = self.tail_of(self.query)
            if self.tail_of(cached_query) != self.tail:
                return "long_text"
        # Code is compared as written (semroute.cache.code): the encoder cannot tell a
        # flipped comparison or a line indented once more.
        if self.code is None:
            self.code = code_parts(self.query)
        if code_parts(cached_query) != self.code:
            return "code"
        if not self.any_guard:
            return None
        if self.sig is None:
            self.sig = guard_signature(self.query)
        # The cached side's signature is recomputed (~2.6 µs) rather than stored per
        # entry (~250 bytes): see notes/cache_guards.md.
        return guard_reason(self.sig, cached_query, self.guards)


class Lookup:
    """Finds the entry that may answer a query; the caller counts and times the lookup."""

    def __init__(
        self,
        store: EntryStore,
        blocks: Blocks,
        stats: StatsRecorder,
        lock: threading.RLock,
        verify: Verifier | None,
        verify_band: tuple[float, float] | None,
        tails: Tails,
        embed: Embed,
    ) -> None:
        self._store = store
        self._blocks = blocks
        self._stats = stats
        self._lock = lock
        self._verify = verify
        self._verify_band = verify_band
        self._tails = tails
        self._embed = embed

    def exact(self, ns_name: str, norm: str, key: int, now: float) -> CacheHit | None:
        with self._lock:
            slot = self._store.find(ns_name, key, norm)
            if slot is None:
                return None
            if self._store.table.expires[slot] <= now:
                self._store.remove(slot, "expirations")
                return None
            return self.hit(slot, ns_name, 1.0, True, now)

    def semantic_steps(
        self,
        ns_name: str,
        query: str,
        norm: str,
        vector: FloatArray,
        threshold: float,
        now: float,
        guards: Guards,
    ) -> Steps:
        """The semantic decision, shared by sync and async lookups.

        Candidates at or above the threshold are tried best first; a candidate a
        guard, a reported mistake or the verifier refuses is skipped and the next
        one tried. The generator yields ``(cached_query, response)`` when the
        verifier must be asked (outside the lock) and receives its answer.
        """
        refused: set[int] = set()  # entry ids refused during this lookup
        blocked = self._blocks.of(ns_name, block_form(norm))
        check = Check(query, guards, blocked, self._tails.of)
        band = self._verify_band
        while True:
            with self._lock:
                picked = self._pick(ns_name, vector, threshold, now, check, refused)
                if picked is None:
                    return None
                slot, sim = picked
                table = self._store.table
                entry_id = int(table.ids[slot])
                cached_query = table.queries[slot]
                parts = differing_parts(query, cached_query)
                verified = self._verify is not None and (band is None or band[0] <= sim <= band[1])
                if parts is None and not verified:
                    return self.hit(slot, ns_name, sim, False, now)
                created = float(table.created[slot])
                value = table.values[slot]
                response = json.loads(value) if table.is_json[slot] else value
            if parts is not None:
                reason = _shared_context_reason(parts, guards)
                if reason is None and parts[0]:
                    # Both differ: the decision is the residuals' own similarity.
                    reason = None if (yield Residuals(*parts, threshold)) else "residuals"
                if reason is not None:
                    refused.add(entry_id)
                    self._stats.add("shared_context_refusals")
                    continue
            if not verified or (yield cached_query, response):
                with self._lock:
                    slot = self._store.id_to_slot.get(entry_id, -1)
                    if slot >= 0:
                        return self.hit(slot, ns_name, sim, False, now)
                # Removed while the driver worked: serve what was checked.
                return CacheHit(
                    response=response,
                    similarity=min(sim, 1.0),
                    matched_query=cached_query,
                    age_s=max(0.0, now - created),
                    exact=False,
                    namespace=ns_name,
                    lookup_us=0.0,
                )
            refused.add(entry_id)
            self._stats.add("verify_refusals")

    def _pick(
        self,
        ns_name: str,
        vector: FloatArray,
        threshold: float,
        now: float,
        check: Check,
        refused: set[int],
    ) -> tuple[int, float] | None:
        """The best servable candidate ``(slot, cosine)``; the caller holds the lock."""
        ns = self._store.namespaces.get(ns_name)
        if ns is None:
            return None
        table = self._store.table
        rows = ns.partition.exact_rows()
        if rows is not None:
            matrix, slots = rows
            best, sim, n_expired = _cachecore.best_row(
                matrix, vector, slots, table.alive, table.expires, table.ns_ids, ns.id, now,
                threshold,
            )  # fmt: skip
        else:
            slots, sims = ns.partition.search(vector)
            best, n_expired = _cachecore.pick_candidate(
                slots, sims, table.alive, table.expires, table.ns_ids, ns.id, now, threshold
            )
            sim = float(sims[best]) if best >= 0 else 0.0
        picked = None
        if best >= 0:
            slot = int(slots[best])
            if self._servable(slot, check, refused):
                picked = (slot, sim)
            else:
                # The best was refused: rank every qualifying candidate (rare, so the
                # common lookup pays for one best-only pass) and try the next ones.
                if rows is not None:
                    order, ranked_sims, _ = _cachecore.rank_rows(
                        matrix, vector, slots, table.alive, table.expires, table.ns_ids, ns.id,
                        now, threshold,
                    )  # fmt: skip
                else:
                    order, _ = _cachecore.rank_candidates(
                        slots, sims, table.alive, table.expires, table.ns_ids, ns.id, now,
                        threshold,
                    )  # fmt: skip
                    ranked_sims = sims[order]
                for i, next_sim in zip(order.tolist(), ranked_sims.tolist(), strict=True):
                    candidate = int(slots[i])
                    if candidate != slot and self._servable(candidate, check, refused):
                        picked = (candidate, float(next_sim))
                        break
        if n_expired:
            # Expired candidates leave the index now so they never shadow a neighbour.
            for expired in slots[slots >= 0].tolist():
                if table.alive[expired] and table.expires[expired] <= now:
                    self._store.remove(expired, "expirations")
        return picked

    def _servable(self, slot: int, check: Check, refused: set[int]) -> bool:
        entry_id = int(self._store.table.ids[slot])
        if entry_id in refused:
            return False
        reason = check.reason(self._store.table.queries[slot])
        if reason is None:
            return True
        refused.add(entry_id)
        if reason == "reported":
            self._stats.add("reported_refusals")
        elif reason == "long_text":
            self._stats.add("long_text_refusals")
        elif reason == "code":
            self._stats.add("code_refusals")
        else:
            self._stats.guard_block(reason)
        return False

    def hit(self, slot: int, ns_name: str, sim: float, exact: bool, now: float) -> CacheHit:
        self._store.touch(slot, now)
        table = self._store.table
        value = table.values[slot]
        return CacheHit(
            response=json.loads(value) if table.is_json[slot] else value,
            similarity=min(sim, 1.0),
            matched_query=table.queries[slot],
            age_s=max(0.0, now - float(table.created[slot])),
            exact=exact,
            namespace=ns_name,
            lookup_us=0.0,
        )

    def _ask(self, query: str, ask: _Ask) -> object:
        """Call the verifier; the shipped one failing (raising) is a refusal, counted."""
        assert self._verify is not None
        if not isinstance(self._verify, PairVerifier):
            return self._verify(query, *ask)  # a user's hook: its exception propagates
        try:
            return self._verify(query, *ask)
        except Exception:
            self._stats.add("verify_errors")
            return None

    def _verdict(self, result: object, started: float) -> tuple[bool, float | None]:
        """(serve?, probability) from a verifier's answer; counts it and its time."""
        self._stats.verification(time.perf_counter() - started)
        if isinstance(result, Verdict):
            return bool(result), result.probability
        return bool(result), None

    def _similar(self, residuals: Residuals) -> bool:
        """Whether two residual parts embed at or above the threshold."""
        vectors = self._embed([residuals.query_part, residuals.cached_part])
        return float(np.dot(vectors[0], vectors[1])) >= residuals.threshold

    def drive(self, steps: Steps, query: str) -> tuple[CacheHit | None, float]:
        """Run the semantic decision, answering its questions synchronously; the time
        returned excludes the encoder and the verifier."""
        spent = 0.0
        answer: bool | None = None
        probability: float | None = None
        while True:
            started = time.perf_counter()
            try:
                ask = next(steps) if answer is None else steps.send(answer)
            except StopIteration as done:
                return _with_probability(done.value, answer, probability), (
                    spent + time.perf_counter() - started
                )
            spent += time.perf_counter() - started
            if isinstance(ask, Residuals):
                answer, probability = self._similar(ask), None
                continue
            assert self._verify is not None
            started = time.perf_counter()
            result = self._ask(query, ask)
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()  # never awaited: do not leave a warning behind
                raise ConfigError("verify is async: use aget_or_call, or pass a sync verifier")
            answer, probability = self._verdict(result, started)

    async def adrive(self, steps: Steps, query: str) -> tuple[CacheHit | None, float]:
        """The asyncio twin of ``drive``: the encoder runs in a worker thread, an async
        verifier is awaited, a sync one is called on the event loop."""
        spent = 0.0
        answer: bool | None = None
        probability: float | None = None
        while True:
            started = time.perf_counter()
            try:
                ask = next(steps) if answer is None else steps.send(answer)
            except StopIteration as done:
                return _with_probability(done.value, answer, probability), (
                    spent + time.perf_counter() - started
                )
            spent += time.perf_counter() - started
            if isinstance(ask, Residuals):
                answer, probability = await asyncio.to_thread(self._similar, ask), None
                continue
            assert self._verify is not None
            started = time.perf_counter()
            result = self._ask(query, ask)
            if inspect.isawaitable(result):
                result = await result
            answer, probability = self._verdict(result, started)


def _shared_context_reason(parts: tuple[str, str], guards: Guards) -> str | None:
    """Why two texts sharing a context may not be joined before embedding their
    differing parts: one adds a part the other lacks, or a word guard tells the parts
    apart. Both parts empty: the texts are the same sentences."""
    ours, theirs = parts
    if not ours and not theirs:
        return None
    if not ours or not theirs:
        return "added_part"
    if guards.any and guard_reason(guard_signature(ours), theirs, guards) is not None:
        return "guards"
    return None


def _with_probability(
    hit: CacheHit | None, answer: bool | None, probability: float | None
) -> CacheHit | None:
    """A hit the verifier just accepted carries its probability (the generator returns
    right after a True answer, so the last verdict is the served candidate's)."""
    if hit is None or not answer or probability is None:
        return hit
    return replace(hit, verify_probability=probability)
