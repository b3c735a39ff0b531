"""``SemanticCache.cached``: a one-argument function (sync or async) answered from the cache."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from semroute.cache.config import check_threshold, check_ttl

if TYPE_CHECKING:
    from semroute.cache.cache import SemanticCache

R = TypeVar("R")


def decorator(
    cache: SemanticCache, namespace: str, ttl: float | None, threshold: float | None
) -> Callable[[Callable[[str], R]], Callable[[str], R]]:
    """The decorator ``cache.cached(...)`` returns; options are checked now, not per call."""
    ttl = check_ttl(ttl)
    if threshold is not None:
        check_threshold(threshold)

    def decorate(fn: Callable[[str], R]) -> Callable[[str], R]:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(query: str) -> Any:
                return await cache.aget_or_call(
                    query, fn, namespace=namespace, ttl=ttl, threshold=threshold
                )

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(query: str) -> R:
            return cache.get_or_call(query, fn, namespace=namespace, ttl=ttl, threshold=threshold)

        return wrapper

    return decorate
