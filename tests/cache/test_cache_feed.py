"""How a cache applies a shared store's change feed (the contract Redis implements).

A scripted feed stands in for the store: the tests decide which changes it
reports and in which order, the way the store received them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from semroute import _text
from semroute._entry import Entry
from semroute.backends import Change, MemoryBackend
from semroute.cache.cache import SemanticCache
from tests.fakes import FakeEncoder

ENCODER = FakeEncoder()


class ScriptedFeed(MemoryBackend):
    """A store that reports exactly the changes a test queues, and records own puts."""

    confirms_own_writes = True

    def __init__(self) -> None:
        super().__init__()
        self.queued: list[Change] = []
        self.own: list[Entry] = []

    def put(self, entry: Entry) -> None:
        super().put(entry)
        self.own.append(entry)

    def poll(self) -> Sequence[Change]:
        changes, self.queued = self.queued, []
        return changes


def remote(query: str, answer: str, entry_id: int, namespace: str = "default") -> Change:
    """Another process's put of ``query``, as the feed reports it."""
    vector = ENCODER.encode(query)[0].astype("<f4").tobytes()
    now = time.time()
    entry = Entry(
        id=entry_id,
        namespace=namespace,
        query=query,
        norm=_text.normalize_query(query),
        key=_text.query_key(query),
        response=f'"{answer}"',
        vector=vector,
        created=now,
        expires=math.inf,
        last_access=now,
    )
    return Change("put", entry=entry)


def answer(cache: SemanticCache, query: str) -> object:
    hit = cache.get(query, embedding=np.ones(ENCODER.dim))
    return None if hit is None else hit.response


def test_an_own_put_wins_over_reported_puts_the_store_ran_before_it() -> None:
    feed = ScriptedFeed()
    cache = SemanticCache(feed, encoder=ENCODER)
    cache.put("shared question", "mine")
    mine = feed.own[-1].id
    # Another process's put reached the store before this one: the store will end with
    # "mine", so this process keeps serving it (it used to serve "theirs" forever).
    feed.queued = [remote("shared question", "theirs", 1)]
    assert answer(cache, "shared question") == "mine"
    feed.queued = [Change("put", entry_id=mine)]  # the store ran it: nothing older is left
    assert answer(cache, "shared question") == "mine"
    feed.queued = [remote("shared question", "later", 2)]  # after it in the store's order
    assert answer(cache, "shared question") == "later"
    cache.close()


def test_clear_spares_unconfirmed_puts_and_a_resync_keeps_what_the_snapshot_holds() -> None:
    feed = ScriptedFeed()
    cache = SemanticCache(feed, encoder=ENCODER)
    feed.queued = [remote("question a", "a", 1), remote("question b", "b", 2)]
    cache.put("question c", "c")
    assert [answer(cache, q) for q in ("question a", "question b", "question c")] == [
        "a",
        "b",
        "c",
    ]
    # A resync: the snapshot held a (reported again: a no-op), not b; c is still in flight.
    feed.queued = [remote("question a", "a", 1), Change("clear", keep=frozenset({1}))]
    assert [answer(cache, q) for q in ("question a", "question b", "question c")] == [
        "a",
        None,
        "c",
    ]
    feed.queued = [Change("clear")]  # a clear the store ran before c
    assert [answer(cache, q) for q in ("question a", "question c")] == [None, "c"]
    feed.queued = [Change("put", entry_id=feed.own[-1].id), Change("clear")]
    assert answer(cache, "question c") is None  # confirmed, then cleared after it
    assert len(cache) == 0
    cache.close()


def test_a_feed_that_does_not_confirm_own_writes_applies_every_reported_put() -> None:
    feed = ScriptedFeed()
    feed.confirms_own_writes = False  # type: ignore[misc]
    cache = SemanticCache(feed, encoder=ENCODER)
    cache.put("shared question", "mine")
    feed.queued = [remote("shared question", "theirs", 1)]
    assert answer(cache, "shared question") == "theirs"
    cache.close()
