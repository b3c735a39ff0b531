"""Every change a call makes to the entries: put, a miss's result kept, delete,
a wrong hit forgotten, invalidate, clear.

Each runs under the cache's lock and mirrors itself to the backend (the store and the
blocks write through). A miss's result is kept after one last exact recheck inside
the single flight, so a caller that missed just before the leader stored finds the
answer instead of calling ``fn`` again.
"""

from __future__ import annotations

import math
import re
import secrets
import threading
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from semroute._entry import Entry
from semroute.cache import stored as _stored
from semroute.cache.blocks import Blocks, block_form
from semroute.cache.calls import Call
from semroute.cache.code import exact_key
from semroute.cache.lookup import CacheHit, Lookup
from semroute.cache.replication import Follower
from semroute.cache.store import EntryStore
from semroute.errors import BackendError, InputError

FloatArray = npt.NDArray[np.float32]

_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """JSON text any store can encode: a lone surrogate (only ever inside a JSON string)
    becomes its ``\\uXXXX`` escape, which ``json.loads`` turns back into the same value."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class Writes:
    """The cache's writes. ``live()`` says whether the cache is ready and not closed."""

    def __init__(
        self,
        store: EntryStore,
        blocks: Blocks,
        lock: threading.RLock,
        follower: Follower | None,
        decision: Lookup,
        live: Callable[[], tuple[bool, bool]],
    ) -> None:
        self.config = store.config
        self.store = store
        self.blocks = blocks
        self.stats = store.stats
        self.lock = lock
        self.backend = store.backend
        self.follower = follower
        self.decision = decision
        self.live = live

    def put(
        self,
        ns_name: str,
        query: str,
        norm: str,
        key: int,
        response: object,
        vector: FloatArray,
        ttl: float | None,
        text: str | None = None,
    ) -> bool:
        """Store ``response``, replacing the entry of the same normalised query; True
        if it was stored (an entry larger than ``max_bytes`` alone is not). ``text`` is
        ``response`` already encoded, if the caller has it."""
        # Nesting is bounded here, at put, so every reader can decode what is stored.
        text = escape_surrogates(_stored.encode(response) if text is None else text)
        now = time.time()
        entry = Entry(
            id=secrets.randbits(63),
            namespace=ns_name,
            query=query,
            norm=norm,
            key=key,
            response=text,
            vector=vector.astype("<f4").tobytes(),
            created=now,
            expires=now + ttl if ttl is not None else math.inf,
            last_access=now,
            hits=0,
        )
        if self.follower is not None:
            self.follower.follow()
        with self.lock:
            if self.live()[1]:
                raise BackendError("the cache is closed")
            ns = self.store.namespaces.get(ns_name)
            if ns is not None:
                old = ns.exact.get(key)
                if old is not None and self.store.norm_of(old) == norm:
                    self.store.remove(old, None)
            stored = self.store.insert(entry, response, vector, persist=True)
            if stored >= 0 and self.follower is not None:
                self.follower.wrote(entry.id)
            self.store.evict(now)
            return stored >= 0

    def recheck(self, call: Call) -> CacheHit | None:
        """Inside the flight: an identical call may have stored the answer since our lookup."""
        hit = self.decision.exact(call.ns_name, call.norm, call.key, time.time())
        if hit is not None:
            self.stats.add("fn_calls_saved")
        return hit

    def keep(self, call: Call, result: object, vector: FloatArray | None) -> bool:
        """Store ``fn``'s result unless ``store_if`` or ``store_none`` say not to."""
        if result is None and not self.config.store_none:
            return False
        if call.store_if is not None and not call.store_if(result):
            return False
        assert vector is not None
        try:
            return self.put(call.ns_name, call.query, call.norm, call.key, result, vector, call.ttl)
        except InputError:
            # Not JSON, or nested too deep: fn already ran and was paid for, so its
            # result goes back to the caller; only the storing is skipped (and counted).
            self.stats.add("unstorable_results")
            return False

    def delete(self, ns_name: str, norm: str, key: int) -> bool:
        """Remove the entry of this normalised query; True if there was one."""
        with self.lock:
            ns = self.store.namespaces.get(ns_name)
            slot = ns.exact.get(key) if ns is not None else None
            if slot is None or self.store.norm_of(slot) != norm:
                return False
            self.store.remove(slot, None)
            return True

    def forget(self, ns_name: str, norm: str, hit: CacheHit) -> None:
        """A wrong hit for the query ``norm``: remove its entry and, for a semantic
        match, block that stored query for this one (here and in the backend)."""
        with self.lock:
            if not hit.exact:
                asked, matched = block_form(norm), block_form(hit.matched_query, raw=True)
                self.blocks.add(ns_name, asked, matched)
                if self.backend is not None:
                    self.backend.block(ns_name, asked, matched)
            ns = self.store.namespaces.get(ns_name)
            if ns is not None:
                key = exact_key(hit.matched_query)
                slot = ns.exact.get(key)
                if slot is not None and self.store.table.queries[slot] == hit.matched_query:
                    self.store.remove(slot, None)

    def invalidate(self, target: str | None, prefix: str | None) -> int:
        """Empty the namespace ``target`` (or every one starting with ``prefix``) and
        drop its blocks; returns how many entries were removed."""
        removed = 0
        with self.lock:
            # A namespace may hold blocks and no entries (report_wrong removed the last).
            known = dict.fromkeys([*self.store.namespaces, *self.blocks.namespaces()])
            names = [
                name
                for name in known
                if name == target or (prefix is not None and name.startswith(prefix))
            ]
            for name in names:
                ns = self.store.namespaces.get(name)
                for slot in self.store.slots_of(ns) if ns is not None else ():
                    self.store.remove(slot, None, persist=False)
                    removed += 1
                self.blocks.drop(name)
                if self.backend is not None:
                    self.backend.delete_namespace(name)
            if target is not None and not names and self.backend is not None:
                self.backend.delete_namespace(target)
        return removed

    def clear(self) -> None:
        """Every entry and every block, here and in the backend."""
        with self.lock:
            self.blocks.clear()
            self.store.clear()
            if self.backend is not None:
                self.backend.clear()
