"""Cache counters and the lookup-latency window behind ``SemanticCache.stats``."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

_WINDOW = 4096


@dataclass(frozen=True, slots=True)
class CacheStats:
    """A snapshot of what the cache did since it was created (or ``reset_stats``).

    Latencies cover the lookup only (normalise, exact check, index search),
    not the encoder and not ``fn``; they are over the last 4096 lookups.
    """

    hits_exact: int
    hits_semantic: int
    misses: int
    fn_calls: int
    fn_calls_saved: int
    evictions: int
    expirations: int
    entries: int
    bytes: int
    lookup_p50_us: float
    lookup_p99_us: float
    #: Semantic candidates above the threshold refused by a hit guard, by guard name
    #: (``numbers``, ``negation``, ``opposites``, ``entities``, ``direction``, ``key_terms``).
    guard_blocks: Mapping[str, int] = field(default_factory=dict)
    #: Candidates the ``verify`` hook refused.
    verify_refusals: int = 0
    #: Candidates the ``verify`` hook was asked about, and the seconds it took in all.
    verifications: int = 0
    verify_seconds: float = 0.0
    #: Verifications by the shipped PairVerifier that failed (an error in the model
    #: or its files): each is a refusal, so the lookup goes on or misses.
    verify_errors: int = 0
    #: Candidates refused because ``report_wrong`` blocked that match.
    reported_refusals: int = 0
    #: Stored entries skipped because they cannot be used: JSON that does not decode
    #: (or nests deeper than a put accepts), a vector of the wrong size, not finite or
    #: not of unit length. Counted on open and when following another process.
    corrupt_entries: int = 0
    #: Candidates refused because one of the texts goes on beyond the encoder's window
    #: and the part beyond it differs (only the window is embedded).
    long_text_refusals: int = 0
    #: Candidates refused because the texts share a long context and the parts that
    #: differ do not match on their own (semroute.cache.shared_context).
    shared_context_refusals: int = 0
    #: Candidates refused because the code in the two texts (fenced blocks, backtick
    #: spans, indented lines) is not the same as written (semroute.cache.code).
    code_refusals: int = 0
    #: ``fn`` results handed back but not stored because they cannot be (not JSON, or
    #: nested deeper than a put accepts): the caller still gets the answer it paid for.
    unstorable_results: int = 0

    @property
    def refusals(self) -> int:
        """Candidates refused for any reason (a lookup may refuse several, then hit or miss)."""
        return (
            sum(self.guard_blocks.values())
            + self.verify_refusals
            + self.reported_refusals
            + self.long_text_refusals
            + self.shared_context_refusals
            + self.code_refusals
        )

    @property
    def hits(self) -> int:
        return self.hits_exact + self.hits_semantic

    @property
    def hit_rate(self) -> float:
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0


class StatsRecorder:
    """Thread-safe counters; cheap to update on the lookup path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.hits_exact = 0
            self.hits_semantic = 0
            self.misses = 0
            self.fn_calls = 0
            self.fn_calls_saved = 0
            self.evictions = 0
            self.expirations = 0
            self.verify_refusals = 0
            self.verifications = 0
            self.verify_seconds = 0.0
            self.verify_errors = 0
            self.reported_refusals = 0
            self.corrupt_entries = 0
            self.long_text_refusals = 0
            self.shared_context_refusals = 0
            self.code_refusals = 0
            self.unstorable_results = 0
            self.guard_blocks: dict[str, int] = {}
            self._latency = np.zeros(_WINDOW, dtype=np.float64)
            self._count = 0

    def lookup(self, seconds: float, *, exact: bool, semantic: bool) -> None:
        with self._lock:
            if exact:
                self.hits_exact += 1
            elif semantic:
                self.hits_semantic += 1
            else:
                self.misses += 1
            self._latency[self._count % _WINDOW] = seconds
            self._count += 1

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def verification(self, seconds: float) -> None:
        with self._lock:
            self.verifications += 1
            self.verify_seconds += seconds

    def guard_block(self, reason: str) -> None:
        with self._lock:
            self.guard_blocks[reason] = self.guard_blocks.get(reason, 0) + 1

    def snapshot(self, *, entries: int, nbytes: int) -> CacheStats:
        with self._lock:
            window = self._latency[: min(self._count, _WINDOW)]
            p50, p99 = (np.percentile(window, [50, 99]) * 1e6) if window.size else (0.0, 0.0)
            return CacheStats(
                hits_exact=self.hits_exact,
                hits_semantic=self.hits_semantic,
                misses=self.misses,
                fn_calls=self.fn_calls,
                fn_calls_saved=self.fn_calls_saved,
                evictions=self.evictions,
                expirations=self.expirations,
                entries=entries,
                bytes=nbytes,
                lookup_p50_us=float(p50),
                lookup_p99_us=float(p99),
                guard_blocks=dict(self.guard_blocks),
                verify_refusals=self.verify_refusals,
                verifications=self.verifications,
                verify_seconds=self.verify_seconds,
                verify_errors=self.verify_errors,
                reported_refusals=self.reported_refusals,
                corrupt_entries=self.corrupt_entries,
                long_text_refusals=self.long_text_refusals,
                shared_context_refusals=self.shared_context_refusals,
                code_refusals=self.code_refusals,
                unstorable_results=self.unstorable_results,
            )
