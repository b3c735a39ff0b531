"""A call's arguments, checked against the cache's config before anything runs.

Every public method of :class:`~semroute.cache.cache.SemanticCache` checks its
arguments here first, so bad input raises a ``semroute.errors`` type before the
encoder or the user's ``fn`` runs. A serve call's checked arguments travel as one
:class:`Call`; ``fn``'s result is checked (sync or awaitable) by :func:`sync_result`
and :func:`awaited`.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from semroute import _validate
from semroute._inputs import plain_text, real_vector
from semroute.cache.code import exact
from semroute.cache.config import CacheConfig, check_guards, check_threshold
from semroute.cache.guards.api import Guards
from semroute.errors import InputError, InputTypeError

R = TypeVar("R")
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class Call:
    """One serve call's checked arguments."""

    ns_name: str
    query: str
    norm: str
    key: int
    threshold: float
    ttl: float | None
    guards: Guards
    store_if: Callable[[Any], bool] | None


class Arguments:
    """The cache's argument checks; ``None`` for an option means the cache's default."""

    def __init__(self, config: CacheConfig) -> None:
        self.config = config

    def namespace(self, namespace: str | None) -> str:
        if namespace is None:
            return self.config.namespace
        return plain_text(namespace, "namespace")

    @staticmethod
    def key(query: object) -> tuple[str, str, int]:
        """``(query, norm, key)``: the query as a plain ``str``, normalised, hashed.

        ``norm`` is empty for a query of punctuation only ("?", "..."): valid input
        that no stored answer may serve, so it passes through to ``fn``.
        """
        text = plain_text(query, "query")
        norm, key = exact(text)
        if not norm and (not text or text.isspace()):
            raise InputError("query is empty or whitespace")
        return text, norm, key

    def threshold(self, threshold: float | None) -> float:
        return self.config.threshold if threshold is None else check_threshold(threshold)

    def ttl(self, ttl: float | None) -> float | None:
        return self.config.ttl if ttl is None else _validate.check_ttl(ttl)

    def guards(self, guards: Guards | None) -> Guards:
        # Per call, None means the cache's guards; Guards.none() switches them off.
        return self.config.guards if guards is None else check_guards(guards)

    @staticmethod
    def embedding(embedding: object, dim: int) -> FloatArray:
        """A given ``embedding=`` as the unit float32 vector the cache compares by."""
        vector = real_vector(embedding, "embedding").reshape(-1)
        if vector.shape[0] != dim:
            raise InputError(f"embedding has {vector.shape[0]} values, the encoder {dim}")
        # what np.linalg.norm computes for a real vector, without its checks (~10 µs a put)
        norm = math.sqrt(float(vector @ vector))
        if not math.isfinite(norm) or norm == 0.0:
            raise InputError("embedding must be finite and non-zero")
        vector /= norm  # real_vector made a float64 copy: ours to change
        return vector.astype(np.float32)

    def call(
        self,
        query: str,
        fn: object,
        namespace: str | None,
        ttl: float | None,
        threshold: float | None,
        guards: Guards | None,
        store_if: object,
    ) -> Call:
        """Check every argument of a serve call before anything runs."""
        ns_name = self.namespace(namespace)
        query, norm, key = self.key(query)
        call = Call(
            ns_name=ns_name,
            query=query,
            norm=norm,
            key=key,
            threshold=self.threshold(threshold),
            ttl=self.ttl(ttl),
            guards=self.guards(guards),
            store_if=store_if,  # type: ignore[arg-type]
        )
        if not callable(fn):
            raise InputTypeError("fn must be callable")
        if store_if is not None and not callable(store_if):
            raise InputTypeError("store_if must be callable or None")
        return call


def sync_result(result: R) -> R:
    """``fn``'s result in ``serve``: an awaitable there is a mistake, said at once."""
    if inspect.isawaitable(result):
        if inspect.iscoroutine(result):
            result.close()  # never awaited: do not leave a warning behind
        raise InputTypeError("fn returned an awaitable: use aserve / aget_or_call")
    return result


async def awaited(pending: Awaitable[R]) -> R:
    """``fn``'s result in ``aserve``: it must be awaitable."""
    if not inspect.isawaitable(pending):
        raise InputTypeError("fn must be async def (return an awaitable) in aserve")
    return await pending
