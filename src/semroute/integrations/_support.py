"""What both framework adapters share: a lookup that keeps the query's vector, the memo
that hands it to the later store, and handing a finished call to the observers.

Frameworks split a cached call in two (LangChain: ``lookup`` then ``update``; LiteLLM:
``get_cache`` then ``add_cache``), so the adapters cannot use one ``serve`` call around the
provider. The lookup is ``serve`` with a stand-in ``fn`` that stores nothing: it keeps the
cache's exact-repeat fast path, single-flight and, on a miss, returns the embedding, which
the store reuses so a miss runs the encoder once.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from semroute.cache.cache import CacheHit, SemanticCache
from semroute.chat.info import CallInfo, CallObserver
from semroute.chat.request import History
from semroute.errors import ConfigError

K = TypeVar("K")
V = TypeVar("V")
FloatArray = npt.NDArray[np.float32]


class _Missing:
    """Stands for "not in the cache" as the lookup's ``fn`` result; never stored."""


_MISSING = _Missing()


def check_options(cache: object, prefix: object, history: object) -> History:
    """The options both adapters take, checked alike; the history mode on success."""
    if not isinstance(cache, SemanticCache):
        raise ConfigError(f"cache must be a semroute.SemanticCache, not {type(cache).__name__}")
    if prefix is not None and (not isinstance(prefix, str) or not prefix):
        raise ConfigError("prefix must be a non-empty str or None")
    if history not in ("full", "last_user_only"):
        raise ConfigError(f"history must be 'full' or 'last_user_only', not {history!r}")
    return history


def _miss(_query: str) -> _Missing:
    return _MISSING


async def _amiss(_query: str) -> _Missing:
    return _MISSING


def _never(_result: object) -> bool:
    return False


def lookup(
    cache: SemanticCache, query: str, namespace: str, **options: object
) -> tuple[CacheHit | None, FloatArray | None]:
    """(the hit, or ``None``; the query's vector when one was computed)."""
    served = cache.serve(query, _miss, namespace=namespace, store_if=_never, **options)  # type: ignore[arg-type]
    return served.hit, served.embedding


async def alookup(
    cache: SemanticCache, query: str, namespace: str, **options: object
) -> tuple[CacheHit | None, FloatArray | None]:
    """The asyncio twin of :func:`lookup` (the encoder runs in a worker thread)."""
    served = await cache.aserve(query, _amiss, namespace=namespace, store_if=_never, **options)  # type: ignore[arg-type]
    return served.hit, served.embedding


class Memo(Generic[K, V]):
    """A small thread-safe map that forgets its oldest entries past ``size``.

    Holds what a lookup learnt (the request, the vector) until the matching store; a
    lookup whose store never comes (the provider raised) ages out.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._items.get(key)

    def pop(self, key: K) -> V | None:
        with self._lock:
            return self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)


def observers_of(
    ledger: CallObserver | None, observers: Iterable[CallObserver]
) -> tuple[CallObserver, ...]:
    """The ledger (if any) then the observers, each checked to have ``on_call``."""
    chosen = ([ledger] if ledger is not None else []) + list(observers)
    for observer in chosen:
        if not callable(getattr(observer, "on_call", None)):
            raise ConfigError(f"{type(observer).__name__} has no on_call(info) method")
    return tuple(chosen)


def notify(observers: Sequence[CallObserver], info: CallInfo) -> None:
    """Hand ``info`` to every observer; one that raises never breaks the user's call."""
    for observer in observers:
        with contextlib.suppress(Exception):  # an observer's bug must not fail the LLM call
            observer.on_call(info)
