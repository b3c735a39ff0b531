"""SemanticCache: answer a query from a stored answer to one that means the same.

A lookup first checks the exact key of the normalised query (no encoder),
then searches the query's namespace for the nearest stored vector and serves
it when the cosine reaches the threshold. One lock guards the in-memory state;
the encoder and the user's ``fn`` run outside it.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from semroute._types import TextEncoder
from semroute.backends._base import Backend, ChangeFeed
from semroute.backends._url import open_backend
from semroute.cache import persisted
from semroute.cache import stored as _stored
from semroute.cache.blocks import Blocks
from semroute.cache.calls import Arguments, awaited, sync_result
from semroute.cache.config import (
    CacheConfig,
    IndexConfig,
    check_guards,
)
from semroute.cache.decorate import decorator
from semroute.cache.guards.api import Guards
from semroute.cache.lookup import CacheHit as CacheHit
from semroute.cache.lookup import Lookup
from semroute.cache.lookup import Verifier as Verifier
from semroute.cache.replication import Follower
from semroute.cache.singleflight import SingleFlight
from semroute.cache.stats import CacheStats, StatsRecorder
from semroute.cache.store import EntryStore
from semroute.cache.verifier import PairVerifier
from semroute.cache.verifier import resolve as resolve_verify
from semroute.cache.window import Tails
from semroute.cache.writes import Writes
from semroute.errors import (
    BackendError,
    ConfigError,
    EncoderError,
    InputError,
    InputTypeError,
    SemrouteError,
)

R = TypeVar("R")
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Served(Generic[R]):
    """What :meth:`SemanticCache.serve` handed back, and how it got it.

    ``response`` is the stored answer on a hit, else ``fn``'s result. ``hit`` is the
    hit that served it (``None`` when ``fn`` ran or the call joined another
    caller's flight); ``shared`` is True when the call waited for an identical
    in-flight call and got its result; ``stored`` is True when this call's ``fn``
    result was stored. ``embedding`` is the query's vector if one was computed or
    given (``None`` on an exact hit found without the encoder).

    >>> served = SemanticCache().serve("hi", lambda q: "hello")
    >>> served.response, served.hit, served.shared, served.stored
    ('hello', None, False, True)
    """

    response: R
    hit: CacheHit | None
    shared: bool
    stored: bool
    embedding: FloatArray | None


class SemanticCache:
    """An in-process semantic cache for LLM answers, optionally persisted.

    ``backend`` is ``None`` / ``"memory://"`` (nothing persisted), a path or
    ``"sqlite:///path.db"``, or a :class:`semroute.backends.Backend`. A query
    longer than the encoder's window (256 word pieces) is embedded by its
    beginning only, so a semantic hit between long texts also requires the text
    beyond the window to be identical once normalised (``stats.long_text_refusals``
    counts the candidates refused for it); the exact key always uses the whole text.
    Two texts that share whole sentences at their start or end (a RAG context, 12
    words or more) are compared on the sentences that differ: both must exist, embed
    at or above the threshold on their own and pass the guards
    (``stats.shared_context_refusals``). Code in a query (fenced blocks, backtick spans,
    indented lines) must be the same as written, in the exact key and for a semantic
    candidate alike (``stats.code_refusals``).

    A semantic candidate at or above ``threshold`` is served only if the hit
    ``guards`` (on by default; ``None`` switches them off) find no differing
    number, negation, opposite or swapped name, the pair was not reported with
    :meth:`report_wrong`, and ``verify(query, cached_query, cached_response)``,
    if given, returns True; ``verify`` is asked (outside the cache's lock) only
    for candidates whose cosine lies in ``verify_band`` (default: all semantic
    candidates; exact repeats are never verified) and an exception from it
    propagates. A refused candidate is skipped for the next one above the
    threshold; if none is left the lookup is a miss. ``stats`` counts refusals
    (``guard_blocks`` by guard, ``verify_refusals``, ``reported_refusals``).
    ``verify="builtin"`` (or a :class:`~semroute.cache.verifier.PairVerifier`) asks
    the shipped pair verifier instead: ``threshold`` then defaults to its lower
    candidate cosine, a failing verifier refuses (``stats.verify_errors``) and a
    verified hit carries ``verify_probability``.

    >>> cache = SemanticCache()
    >>> cache.get_or_call("How do I reset my password?", lambda q: "Click 'Forgot'.")
    "Click 'Forgot'."
    >>> cache.get("how do I reset my password").exact
    True
    """

    def __init__(
        self,
        backend: Backend | str | os.PathLike[str] | None = None,
        *,
        threshold: float | None = None,
        max_entries: int | None = 100_000,
        max_bytes: int | None = None,
        ttl: float | None = None,
        encoder: TextEncoder | None = None,
        store_none: bool = False,
        namespace: str = "default",
        index: IndexConfig | None = None,
        guards: Guards | None = Guards(),  # noqa: B008 - frozen, immutable
        verify: Verifier | PairVerifier | str | None = None,
        verify_band: tuple[float, float] | None = None,
    ) -> None:
        # "builtin" -> the shipped PairVerifier, whose candidate cosine is then the
        # default threshold (0.95 otherwise); nothing is loaded until it is asked.
        verify, threshold = resolve_verify(verify, threshold)
        self.config = CacheConfig(
            threshold=threshold,
            max_entries=max_entries,
            max_bytes=max_bytes,
            ttl=ttl,
            store_none=store_none,
            namespace=namespace,
            guards=check_guards(guards),
            verify_band=verify_band,
        )
        if verify is not None and not callable(verify):
            raise ConfigError(f"verify must be callable or None, not {type(verify).__name__}")
        self._verify = verify
        # (namespace, query) -> stored queries it must never match (report_wrong).
        self._blocks = Blocks()
        self.index_config = index if index is not None else IndexConfig()
        if not isinstance(self.index_config, IndexConfig):
            raise ConfigError("index must be an IndexConfig")
        self._backend = open_backend(backend)
        self._encoder = encoder
        self._lock = threading.RLock()
        self._ready = False
        self._closed = False
        self._stats = StatsRecorder()
        self._store = EntryStore(self.config, self.index_config, self._backend, self._stats)
        # A store other processes write too (Redis) reports every change through poll().
        self._follower = (
            Follower(self._backend, self._lock, self._store, self._blocks, self._stats, self._live)
            if isinstance(self._backend, ChangeFeed)
            else None
        )
        self._flight = SingleFlight()
        # What a long query's embedding did not see (window ends memoised per text).
        self._tails = Tails(self._lock)
        self._decision = Lookup(
            self._store,
            self._blocks,
            self._stats,
            self._lock,
            verify,
            self.config.verify_band,
            self._tails,
            self._embed_texts,
        )
        self._args = Arguments(self.config)
        self._writes = Writes(
            self._store, self._blocks, self._lock, self._follower, self._decision, self._live
        )
        if encoder is not None:
            self._ensure_ready()

    # -- lifecycle ------------------------------------------------------------------------

    def _ensure_ready(self) -> TextEncoder:
        if self._ready and not self._closed:
            assert self._encoder is not None
            return self._encoder
        with self._lock:
            if self._closed:
                raise BackendError("the cache is closed")
            if not self._ready:
                if self._encoder is None:
                    from semroute.encoder.encoder import default_encoder

                    self._encoder = default_encoder()
                self._tails.encoder = self._encoder
                self._store.dim = self._encoder.dim
                if self._backend is not None:
                    self._backend.bind(model_id=self._encoder.model_id, dim=self._encoder.dim)
                    persisted.load(self._store, self._blocks, self._stats, self._backend)
                self._ready = True
                if self._follower is not None:
                    self._follower.listen()
        assert self._encoder is not None
        return self._encoder

    def close(self) -> None:
        """Flush pending LRU updates and release the store; the cache is unusable after."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._backend is None:
                return
            try:
                self._store.flush_touches()
                persisted.save_graphs(self._store, self._backend)
            except BaseException:
                self._backend.close()
                raise
        # Outside the lock: closing joins the feed's thread, which may wait for it.
        self._backend.close()

    def __enter__(self) -> SemanticCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _loaded(self) -> None:
        """Load a persisted store now (it loads on first use): counts must be true."""
        if self._backend is not None and not self._ready and not self._closed:
            self._ensure_ready()

    def __len__(self) -> int:
        self._loaded()
        return self._store.entries

    def __repr__(self) -> str:
        # repr never loads the encoder or the store: it says when it has not yet.
        pending = self._backend is not None and not self._ready and not self._closed
        entries = "not loaded yet" if pending else self._store.entries
        return (
            f"SemanticCache(entries={entries}, threshold={self.config.threshold}, "
            f"backend={self._backend!r})"
        )

    @property
    def _dim(self) -> int:
        assert self._encoder is not None
        return self._encoder.dim

    # -- input checks (semroute.cache.calls) ----------------------------------------------

    def _namespace_name(self, namespace: str | None) -> str:
        return self._args.namespace(namespace)

    def _embedding(self, embedding: object) -> FloatArray:
        return self._args.embedding(embedding, self._dim)

    def _embed(self, query: str) -> FloatArray:
        vector: FloatArray = self._embed_texts([query])[0]
        return vector

    def _embed_texts(self, texts: list[str]) -> FloatArray:
        encoder = self._ensure_ready()
        try:
            vectors = encoder.encode(texts)
        except SemrouteError:
            raise
        except Exception as exc:  # a user's encoder: wrap, as the errors tree promises
            raise EncoderError(f"the encoder failed on the query: {exc!r}") from exc
        return np.ascontiguousarray(vectors, dtype=np.float32)

    # -- the decisions, shared by sync and async --------------------------------------------

    def _phase_exact(
        self, ns_name: str, norm: str, key: int, now: float
    ) -> tuple[CacheHit | None, float]:
        started = time.perf_counter()
        self._follow()
        hit = self._decision.exact(ns_name, norm, key, now)
        return hit, time.perf_counter() - started

    def _finish(self, hit: CacheHit | None, spent: float) -> CacheHit | None:
        """Count the lookup; ``spent`` excludes the encoder."""
        self._stats.lookup(spent, exact=hit is not None and hit.exact, semantic=hit is not None)
        return None if hit is None else replace(hit, lookup_us=spent * 1e6)

    def _lookup(
        self,
        ns_name: str,
        query: str,
        norm: str,
        key: int,
        threshold: float,
        vector: FloatArray | None,
        guards: Guards,
    ) -> tuple[CacheHit | None, FloatArray | None]:
        """Exact key first, then the index; returns the hit and the query's vector
        (``None`` when an exact hit made the encoder unnecessary)."""
        now = time.time()
        hit, spent = self._phase_exact(ns_name, norm, key, now)
        if hit is None:
            if vector is None:
                vector = self._embed(query)
            steps = self._decision.semantic_steps(
                ns_name, query, norm, vector, threshold, now, guards
            )
            hit, more = self._decision.drive(steps, query)
            spent += more
        return self._finish(hit, spent), vector

    # -- public API ----------------------------------------------------------------------

    def get(
        self,
        query: str,
        *,
        namespace: str | None = None,
        threshold: float | None = None,
        embedding: FloatArray | None = None,
        guards: Guards | None = None,
    ) -> CacheHit | None:
        """The stored answer for ``query`` (or one meaning the same), else ``None``.

        ``guards`` overrides the cache's hit guards for this call (``None``: the
        cache's; ``Guards.none()``: off). A candidate a guard, a reported mistake or
        the ``verify`` hook refuses is skipped for the next one above the
        threshold; if none is left the lookup is a miss. An exception from
        ``verify`` propagates.

        >>> cache = SemanticCache()
        >>> cache.put("capital of France?", "Paris")
        >>> cache.get("Capital of France").response
        'Paris'
        """
        ns_name = self._namespace_name(namespace)
        query, norm, key = self._args.key(query)
        thr = self._args.threshold(threshold)
        chosen = self._args.guards(guards)
        self._ensure_ready()
        vector = self._embedding(embedding) if embedding is not None else None
        if not norm:  # punctuation only: nothing stored may answer it
            self._stats.add("misses")
            return None
        hit, _ = self._lookup(ns_name, query, norm, key, thr, vector, chosen)
        return hit

    def put(
        self,
        query: str,
        response: object,
        *,
        namespace: str | None = None,
        ttl: float | None = None,
        embedding: FloatArray | None = None,
    ) -> None:
        """Store ``response`` for ``query``, replacing the entry of the same normalised query.

        ``ttl`` overrides the cache's default for this entry (``None``: the default).
        An entry larger than ``max_bytes`` alone is not stored, nor is a query of
        punctuation only ("?"): no answer is ever kept for it.

        >>> cache = SemanticCache()
        >>> cache.put("2+2", {"answer": 4}, namespace="math", ttl=60)
        >>> cache.get("2+2", namespace="math").response
        {'answer': 4}
        """
        ns_name = self._namespace_name(namespace)
        query, norm, key = self._args.key(query)
        entry_ttl = self._args.ttl(ttl)
        text = _stored.encode(response)  # unstorable input raises before the encoder runs
        self._ensure_ready()
        vector = self._embedding(embedding) if embedding is not None else None
        if not norm:  # punctuation only: never stored (see serve)
            return
        if vector is None:
            vector = self._embed(query)
        self._writes.put(ns_name, query, norm, key, response, vector, entry_ttl, text)

    def embed(self, query: str) -> FloatArray:
        """The unit vector the cache compares ``query`` by: what ``serve`` and ``get``
        compute when not given ``embedding=``.

        Compute it once and pass it to both :meth:`Router.choose <semroute.Router.choose>`
        and ``serve(embedding=...)``. For a query longer than the encoder's window only
        the window is embedded; the cache then also requires the rest of the text to be
        identical (normalised) for a semantic hit, whichever vector is passed.

        >>> cache = SemanticCache()
        >>> cache.embed("How do I reset my password?").shape
        (384,)
        """
        text, _, _ = self._args.key(query)
        return self._embed(text)

    def serve(
        self,
        query: str,
        fn: Callable[[str], R],
        *,
        namespace: str | None = None,
        ttl: float | None = None,
        threshold: float | None = None,
        guards: Guards | None = None,
        embedding: FloatArray | None = None,
        store_if: Callable[[R], bool] | None = None,
    ) -> Served[R]:
        """The answer for ``query`` and how it was obtained: a hit, a shared flight, or ``fn``.

        On a miss ``fn(query)`` runs once for all concurrent identical misses (same
        namespace and normalised query): the others wait and receive its result
        (``shared=True``). The result is stored unless ``store_if(result)`` is false
        (or it is ``None`` without ``store_none``). ``embedding`` replaces the query's
        vector (see :meth:`embed`). Inputs are checked before ``fn`` runs; an
        exception from ``fn``, ``store_if`` or ``verify`` propagates and nothing is
        stored. ``fn`` must be a sync function here (use :meth:`aserve` for ``async def``).

        >>> cache = SemanticCache()
        >>> cache.serve("What is 2+2?", lambda q: "4").stored
        True
        >>> served = cache.serve("what is 2+2", lambda q: "never called")
        >>> served.response, served.hit.exact
        ('4', True)
        >>> cache.serve("What is 3+3?", lambda q: "6", store_if=lambda r: False).stored
        False
        """
        call = self._args.call(query, fn, namespace, ttl, threshold, guards, store_if)
        if inspect.iscoroutinefunction(fn):
            raise InputTypeError("fn is async def: use aserve / aget_or_call")
        self._ensure_ready()
        vector = self._embedding(embedding) if embedding is not None else None
        if not call.norm:  # punctuation only: valid input that no stored answer may serve
            self._stats.add("misses")
            self._stats.add("fn_calls")
            return Served(sync_result(fn(call.query)), None, False, False, vector)
        hit, vector = self._lookup(
            call.ns_name, call.query, call.norm, call.key, call.threshold, vector, call.guards
        )
        if hit is not None:
            self._stats.add("fn_calls_saved")
            return Served(hit.response, hit, shared=False, stored=False, embedding=vector)
        stored_vector = vector

        def lead() -> Served[R]:
            again = self._writes.recheck(call)
            if again is not None:
                return Served(again.response, again, False, False, stored_vector)
            self._stats.add("fn_calls")
            result = sync_result(fn(call.query))
            stored = self._writes.keep(call, result, stored_vector)
            return Served(result, None, False, stored, stored_vector)

        served, shared = self._flight.do((call.ns_name, call.norm), lead)
        return self._joined(served, shared, stored_vector)

    async def aserve(
        self,
        query: str,
        fn: Callable[[str], Awaitable[R]],
        *,
        namespace: str | None = None,
        ttl: float | None = None,
        threshold: float | None = None,
        guards: Guards | None = None,
        embedding: FloatArray | None = None,
        store_if: Callable[[R], bool] | None = None,
    ) -> Served[R]:
        """The asyncio twin of :meth:`serve`; the encoder runs in a worker thread.

        ``verify`` may be ``async def`` here (it is awaited); a sync verifier is
        called on the event loop, so keep it fast or make it async.

        >>> import asyncio
        >>> cache = SemanticCache()
        >>> async def llm(q: str) -> str:
        ...     return "4"
        >>> asyncio.run(cache.aserve("What is 2+2?", llm)).response
        '4'
        """
        call = self._args.call(query, fn, namespace, ttl, threshold, guards, store_if)
        query = call.query
        if not self._ready:
            await asyncio.to_thread(self._ensure_ready)
        vector = self._embedding(embedding) if embedding is not None else None
        if not call.norm:  # punctuation only: valid input that no stored answer may serve
            self._stats.add("misses")
            self._stats.add("fn_calls")
            return Served(await awaited(fn(query)), None, False, False, vector)
        now = time.time()
        hit, spent = self._phase_exact(call.ns_name, call.norm, call.key, now)
        if hit is None:
            if vector is None:
                # The encoder is the slow part: keep it off the event loop.
                vector = await asyncio.to_thread(self._embed, query)
            steps = self._decision.semantic_steps(
                call.ns_name, query, call.norm, vector, call.threshold, now, call.guards
            )
            hit, more = await self._decision.adrive(steps, query)
            spent += more
        hit = self._finish(hit, spent)
        if hit is not None:
            self._stats.add("fn_calls_saved")
            return Served(hit.response, hit, shared=False, stored=False, embedding=vector)
        stored_vector = vector

        async def lead() -> Served[R]:
            again = self._writes.recheck(call)
            if again is not None:
                return Served(again.response, again, False, False, stored_vector)
            self._stats.add("fn_calls")
            result = await awaited(fn(query))
            stored = self._writes.keep(call, result, stored_vector)
            return Served(result, None, False, stored, stored_vector)

        served, shared = await self._flight.ado((call.ns_name, call.norm), lead)
        return self._joined(served, shared, stored_vector)

    def get_or_call(
        self,
        query: str,
        fn: Callable[[str], R],
        *,
        namespace: str | None = None,
        ttl: float | None = None,
        threshold: float | None = None,
        guards: Guards | None = None,
        embedding: FloatArray | None = None,
    ) -> R:
        """The cached answer for ``query``, or ``fn(query)``, stored for next time.

        ``serve(...).response``: see :meth:`serve`. ``guards`` overrides the cache's
        hit guards for this call (see :meth:`get`); ``embedding`` replaces the
        query's vector (see :meth:`embed`). An exception from ``fn`` (or from
        ``verify``) propagates unchanged and nothing is stored; a ``None`` result is
        stored only with ``store_none=True``. Concurrent identical misses (same
        namespace and normalised query) call ``fn`` once.

        >>> cache = SemanticCache()
        >>> cache.get_or_call("What is 2+2?", lambda q: "4")
        '4'
        >>> cache.get_or_call("what is 2+2", lambda q: "never called")
        '4'
        """
        return self.serve(
            query,
            fn,
            namespace=namespace,
            ttl=ttl,
            threshold=threshold,
            guards=guards,
            embedding=embedding,
        ).response

    async def aget_or_call(
        self,
        query: str,
        fn: Callable[[str], Awaitable[R]],
        *,
        namespace: str | None = None,
        ttl: float | None = None,
        threshold: float | None = None,
        guards: Guards | None = None,
        embedding: FloatArray | None = None,
    ) -> R:
        """The asyncio twin of :meth:`get_or_call`: ``(await aserve(...)).response``.

        >>> import asyncio
        >>> cache = SemanticCache()
        >>> async def llm(q: str) -> str:
        ...     return "4"
        >>> asyncio.run(cache.aget_or_call("What is 2+2?", llm))
        '4'
        """
        served = await self.aserve(
            query,
            fn,
            namespace=namespace,
            ttl=ttl,
            threshold=threshold,
            guards=guards,
            embedding=embedding,
        )
        return served.response

    def _joined(self, served: Served[R], shared: bool, vector: FloatArray | None) -> Served[R]:
        if not shared:
            return served
        self._stats.add("fn_calls_saved")
        return Served(served.response, None, shared=True, stored=False, embedding=vector)

    def delete(self, query: str, *, namespace: str | None = None) -> bool:
        """Remove the entry stored for this exact (normalised) query; True if one was.

        >>> cache = SemanticCache()
        >>> cache.put("hi", "hello"); cache.delete("HI!")
        True
        """
        ns_name = self._namespace_name(namespace)
        query, norm, key = self._args.key(query)
        self._ensure_ready()
        if not norm:
            return False
        return self._writes.delete(ns_name, norm, key)

    def report_wrong(
        self,
        query: str,
        *,
        namespace: str | None = None,
        threshold: float | None = None,
        embedding: FloatArray | None = None,
    ) -> CacheHit | None:
        """Remove the entry that would answer ``query`` now (it served a wrong hit).

        A wrong *semantic* match is also blocked: that stored query (normalised)
        is never served for this query (normalised) in this namespace again, even
        if the same entry is put again here or by another process sharing the
        store. The block is kept in the backend with the entries: it survives a
        restart (SQLite, Redis) and reaches the other processes sharing the Redis
        store or the SQLite file before their next lookup.
        ``invalidate`` of the namespace and ``clear`` drop it. An exact repeat is
        only removed, not blocked: the answer was wrong, not the match, and the
        next answer stored is served.

        Returns the removed hit, or ``None`` when nothing would have answered.

        >>> cache = SemanticCache()
        >>> cache.put("is it safe", "yes")
        >>> cache.report_wrong("is it safe").matched_query
        'is it safe'
        """
        ns_name = self._namespace_name(namespace)
        query, norm, _ = self._args.key(query)
        hit = self.get(query, namespace=ns_name, threshold=threshold, embedding=embedding)
        if hit is None:
            return None
        self._writes.forget(ns_name, norm, hit)
        return hit

    def invalidate(self, namespace: str | None = None, *, prefix: str | None = None) -> int:
        """Remove every entry of ``namespace`` (or of every namespace starting with ``prefix``).

        The matches :meth:`report_wrong` blocked in those namespaces are dropped
        too (here and in the store): invalidating starts the namespace afresh.
        Returns how many entries were removed.

        >>> cache = SemanticCache()
        >>> cache.put("q", "a", namespace="acme/gpt-4o/v3")
        >>> cache.invalidate(prefix="acme/")
        1
        """
        if (namespace is None) == (prefix is None):
            raise InputError("give exactly one of namespace or prefix")
        if prefix is not None and not isinstance(prefix, str):
            raise InputTypeError("prefix must be a str")
        target = self._namespace_name(namespace) if namespace is not None else None
        self._ensure_ready()
        return self._writes.invalidate(target, prefix)

    def clear(self) -> None:
        """Remove every entry of every namespace and every blocked match (and from the store)."""
        self._ensure_ready()
        self._writes.clear()

    def _live(self) -> tuple[bool, bool]:
        return self._ready, self._closed

    # -- changes other processes made to a shared store (ChangeFeed) ----------------------

    def _follow(self) -> None:
        """Apply changes a polled feed reported; a slice at most, on the lookup path."""
        if self._follower is not None:
            self._follower.follow()

    def cached(
        self,
        *,
        namespace: str | None = None,
        ttl: float | None = None,
        threshold: float | None = None,
    ) -> Callable[[Callable[[str], R]], Callable[[str], R]]:
        """Decorate a one-argument function (sync or async) so it answers from the cache.

        >>> cache = SemanticCache()
        >>> @cache.cached(namespace="faq")
        ... def ask(question: str) -> str:
        ...     return "42"
        >>> ask("meaning of life?"), ask("Meaning of life")
        ('42', '42')
        """
        return decorator(self, self._namespace_name(namespace), ttl, threshold)

    @property
    def stats(self) -> CacheStats:
        """Counters, lookup latency p50/p99 (µs, encoder excluded), entries and bytes.

        A persisted store is loaded first (it loads on first use), so ``entries`` is
        true right after reopening.
        """
        self._loaded()
        with self._lock:
            entries, nbytes = self._store.entries, self._store.bytes
        return self._stats.snapshot(entries=entries, nbytes=nbytes)

    def reset_stats(self) -> None:
        """Zero the counters and the latency window (entries and bytes are kept)."""
        self._stats.reset()

    def _wait_index(self) -> None:
        """Install any graph being built in the background (tests and benchmarks)."""
        with self._lock:
            partitions = [ns.partition for ns in self._store.namespaces.values()]
        for partition in partitions:
            partition.wait()
