"""The wrapped methods themselves: sync and async drivers of :class:`~._flow.Flow`.

A failure of the cache (or its backend) never breaks the call: it is counted
(``cache_errors``), recorded as a ``bypass`` with reason ``cache_error``, and the API
answers. An exception from the API propagates unchanged and nothing is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from semroute.integrations.openai import _objects as objects
from semroute.integrations.openai import _tee as tee
from semroute.integrations.openai._flow import _STREAM_MISS, Flow, _Call


def _never(_: object) -> bool:
    return False


def _served_or_none(flow: Flow, call: _Call, served: Any) -> Any:
    """The object for a hit or a shared flight, or None when the API must be called."""
    if served.hit is None and not served.shared:
        return None
    body = flow.body_of(served.response, call.operation)
    if body is None or flow.bypass_reason(call.operation, body) is not None:
        return None
    return flow.served(call, body, served.hit, served.hit is None)


# -- sync -----------------------------------------------------------------------------------


def run(
    flow: Flow, operation: str, method: str, original: Callable[..., Any], kwargs: dict[str, Any]
) -> Any:
    """One call through the wrapper (sync client)."""
    call = flow.begin(operation, method, kwargs)
    if call is None:
        return original(**kwargs)
    req = call.request
    cache = flow.options.cache
    if cache is None or not req.cacheable:
        if flow.needs_route(call):
            flow.route(call, None)
        return _direct(flow, call, original, req.bypass_reason or "no_cache")
    try:
        embedding = cache.embed(req.query) if flow.needs_route(call) else None
    except Exception:
        return _cache_failed(flow, call, original)
    if req.stream:
        return _stream(flow, call, original, embedding)

    def fn(_: str) -> dict[str, Any]:
        if flow.needs_route(call):
            flow.route(call, embedding)
        try:
            result = original(**flow.upstream(call))
        except BaseException as exc:
            flow.api_errors.add(exc)
            raise
        holder.append(result)
        return flow.entry(operation, objects.dump(result))

    holder: list[Any] = []
    try:
        served = cache.serve(
            req.query,
            fn,
            namespace=req.namespace,
            embedding=embedding,
            store_if=lambda e: flow.bypass_reason(operation, e["body"]) is None,
        )
    except BaseException as exc:
        return _after_failure(flow, call, original, exc, holder)
    answer = _served_or_none(flow, call, served)
    if answer is not None:
        return answer
    if not holder:  # a shared flight whose answer may not be served: ask the API
        why = flow.bypass_reason(operation, flow.body_of(served.response, operation) or {})
        return _direct(flow, call, original, why or "tool_calls")
    body = served.response["body"]
    reason = flow.bypass_reason(operation, body)
    outcome = "miss" if served.stored or reason is None else "bypass"
    return flow.finish(call, holder[0], outcome, reason, body)


def _after_failure(
    flow: Flow,
    call: _Call,
    original: Callable[..., Any],
    exc: BaseException,
    holder: list[Any],
) -> Any:
    if exc in flow.api_errors:
        flow.failed(call, exc)
        raise exc
    if not isinstance(exc, Exception):
        raise exc
    if holder:  # the API answered; storing it failed
        flow.count("cache_errors")
        return flow.finish(call, holder[0], "bypass", "cache_error")
    return _cache_failed(flow, call, original)


def _cache_failed(flow: Flow, call: _Call, original: Callable[..., Any]) -> Any:
    flow.count("cache_errors")
    if flow.needs_route(call):
        flow.route(call, None)
    return _direct(flow, call, original, "cache_error")


def _direct(flow: Flow, call: _Call, original: Callable[..., Any], reason: str) -> Any:
    outcome = "miss" if reason == "no_cache" else "bypass"
    try:
        result = original(**flow.upstream(call))
    except BaseException as exc:
        flow.failed(call, exc)
        raise
    if call.request.stream:
        end = flow.stream_end(call, result, None, bypass=reason)
        return tee.tee(result, call.operation, end)
    return flow.finish(call, result, outcome, reason)


def _stream(flow: Flow, call: _Call, original: Callable[..., Any], embedding: Any) -> Any:
    req = call.request
    cache = flow.options.cache
    try:
        served = cache.serve(
            req.query,
            lambda _: _STREAM_MISS,
            namespace=req.namespace,
            embedding=embedding,
            store_if=_never,
        )
    except Exception:
        return _cache_failed(flow, call, original)
    if served.hit is not None:
        answer = _served_or_none(flow, call, served)
        if answer is not None:
            return answer
    if flow.needs_route(call):
        flow.route(call, served.embedding)
    try:
        result = original(**flow.upstream(call))
    except BaseException as exc:
        flow.failed(call, exc)
        raise
    return tee.tee(result, call.operation, flow.stream_end(call, result, served.embedding))


# -- async ----------------------------------------------------------------------------------


async def arun(
    flow: Flow,
    operation: str,
    method: str,
    original: Callable[..., Awaitable[Any]],
    kwargs: dict[str, Any],
) -> Any:
    """One call through the wrapper (async client)."""
    call = flow.begin(operation, method, kwargs)
    if call is None:
        return await original(**kwargs)
    req = call.request
    cache = flow.options.cache
    if cache is None or not req.cacheable:
        if flow.needs_route(call):
            await asyncio.to_thread(flow.route, call, None)
        return await _adirect(flow, call, original, req.bypass_reason or "no_cache")
    try:
        need = flow.needs_route(call)
        embedding = await asyncio.to_thread(cache.embed, req.query) if need else None
    except Exception:
        return await _acache_failed(flow, call, original)
    if req.stream:
        return await _astream(flow, call, original, embedding)

    async def fn(_: str) -> dict[str, Any]:
        if flow.needs_route(call):
            flow.route(call, embedding)
        try:
            result = await original(**flow.upstream(call))
        except BaseException as exc:
            flow.api_errors.add(exc)
            raise
        holder.append(result)
        return flow.entry(operation, objects.dump(result))

    holder: list[Any] = []
    try:
        served = await cache.aserve(
            req.query,
            fn,
            namespace=req.namespace,
            embedding=embedding,
            store_if=lambda e: flow.bypass_reason(operation, e["body"]) is None,
        )
    except BaseException as exc:
        if exc in flow.api_errors or not isinstance(exc, Exception) or holder:
            return _after_failure(flow, call, original, exc, holder)
        return await _acache_failed(flow, call, original)
    answer = _served_or_none(flow, call, served)
    if answer is not None:
        return answer
    if not holder:
        why = flow.bypass_reason(operation, flow.body_of(served.response, operation) or {})
        return await _adirect(flow, call, original, why or "tool_calls")
    body = served.response["body"]
    reason = flow.bypass_reason(operation, body)
    outcome = "miss" if served.stored or reason is None else "bypass"
    return flow.finish(call, holder[0], outcome, reason, body)


async def _acache_failed(flow: Flow, call: _Call, original: Callable[..., Awaitable[Any]]) -> Any:
    flow.count("cache_errors")
    if flow.needs_route(call):
        await asyncio.to_thread(flow.route, call, None)
    return await _adirect(flow, call, original, "cache_error")


async def _adirect(
    flow: Flow, call: _Call, original: Callable[..., Awaitable[Any]], reason: str
) -> Any:
    outcome = "miss" if reason == "no_cache" else "bypass"
    try:
        result = await original(**flow.upstream(call))
    except BaseException as exc:
        flow.failed(call, exc)
        raise
    if call.request.stream:
        end = flow.stream_end(call, result, None, bypass=reason)
        return tee.atee(result, call.operation, end)
    return flow.finish(call, result, outcome, reason)


async def _astream(
    flow: Flow, call: _Call, original: Callable[..., Awaitable[Any]], embedding: Any
) -> Any:
    req = call.request
    cache = flow.options.cache

    async def stream_miss(_: str) -> str:
        return _STREAM_MISS

    try:
        served = await cache.aserve(
            req.query, stream_miss, namespace=req.namespace, embedding=embedding, store_if=_never
        )
    except Exception:
        return await _acache_failed(flow, call, original)
    if served.hit is not None:
        answer = _served_or_none(flow, call, served)
        if answer is not None:
            return answer
    if flow.needs_route(call):
        flow.route(call, served.embedding)
    try:
        result = await original(**flow.upstream(call))
    except BaseException as exc:
        flow.failed(call, exc)
        raise
    return tee.atee(result, call.operation, flow.stream_end(call, result, served.embedding))
