"""``semroute.wrap(client)``: patch an ``OpenAI`` / ``AsyncOpenAI`` client in place."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeVar

import openai

from semroute.chat.info import BudgetGate, CallObserver
from semroute.chat.request import History
from semroute.errors import ConfigError, InputTypeError
from semroute.integrations.openai._flow import Flow, Options
from semroute.integrations.openai._run import arun, run
from semroute.pruning.prune import Pruner

C = TypeVar("C")

_STATE = "_semroute_flow"
# (resource path on the client, method name, operation)
_METHODS = (
    (("chat", "completions"), "create", "chat"),
    (("chat", "completions"), "parse", "chat"),
    (("responses",), "create", "responses"),
    (("responses",), "parse", "responses"),
)
# Client methods that return a new client (``with_options`` is ``copy``): patched so the new
# client is wrapped too, with the same cache, router, ledger and options.
_COPIERS = ("copy", "with_options")


def _resource(client: Any, path: tuple[str, ...]) -> Any:
    obj = client
    for name in path:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def _provider(client: Any) -> str:
    azure = (getattr(openai, "AzureOpenAI", None), getattr(openai, "AsyncAzureOpenAI", None))
    return "azure.ai.openai" if isinstance(client, tuple(c for c in azure if c)) else "openai"


def _wrapped(flow: Flow, original: Any, operation: str, method: str) -> Any:
    if flow.is_async:

        @functools.wraps(original)
        async def acall(*args: Any, **kwargs: Any) -> Any:
            if args:  # the SDK's methods are keyword-only; let it raise its own error
                return await original(*args, **kwargs)
            return await arun(flow, operation, method, original, kwargs)

        return acall

    @functools.wraps(original)
    def call(*args: Any, **kwargs: Any) -> Any:
        if args:
            return original(*args, **kwargs)
        return run(flow, operation, method, original, kwargs)

    return call


def wrap(
    client: C,
    *,
    cache: Any = None,
    router: Any = None,
    ledger: Any = None,
    budgets: Iterable[BudgetGate] = (),
    observers: Iterable[CallObserver] = (),
    namespace: str | None = None,
    tags: Mapping[str, str] | None = None,
    history: History = "full",
    cache_tool_calls: bool = False,
    store_text: bool = False,
    prune: float | None = None,
    pruner: Pruner | None = None,
) -> C:
    """Cache, route and account every chat call of an OpenAI client; call sites unchanged.

    Patches ``client.chat.completions.create`` / ``.parse`` and ``client.responses.create``
    / ``.parse`` on this client object (sync ``OpenAI`` or ``AsyncOpenAI``) and returns it;
    a client made from it by ``with_options(...)`` or ``copy(...)`` is wrapped alike (same
    cache, router, ledger and options; its own base URL keys it). The query is
    the last user message; the model, system prompt, earlier turns and parameters key the
    namespace (see :mod:`semroute.chat.request`). ``model="auto"`` is routed by ``router``
    from the cache's embedding of the query. ``namespace`` is your own prefix (a tenant);
    ``tags`` go on every :class:`~semroute.chat.info.CallInfo`; ``ledger`` and
    ``observers`` receive each one; ``budgets`` are asked before each call.
    ``with_raw_response`` calls pass through untouched. Undo with :func:`unwrap`.
    ``prune``: a ratio in (0, 1] to cut the context the caller marked with
    :func:`~semroute.context_message` down to before a chat request goes to the API
    (system/developer messages and the question are never cut; ``pruner`` is the
    :class:`~semroute.Pruner` to use, the shared default if None). The cache keys on the
    request as given, so a hit never depends on, nor pays for, pruning; the tokens cut
    are ``CallInfo.pruned_tokens``.

    >>> import httpx2 as httpx  # doctest: +SKIP
    >>> client = wrap(OpenAI(http_client=...), cache=SemanticCache())  # doctest: +SKIP
    >>> r = client.chat.completions.create(model="gpt-4o-mini", messages=msgs)  # doctest: +SKIP
    >>> call_info(r).outcome  # doctest: +SKIP
    'miss'
    """
    if not isinstance(client, (openai.OpenAI, openai.AsyncOpenAI)):
        raise InputTypeError(
            f"wrap expects an openai.OpenAI or AsyncOpenAI client, not {type(client).__name__}"
        )
    if getattr(client, _STATE, None) is not None:
        raise ConfigError("this client is already wrapped: unwrap(client) first")
    if history not in ("full", "last_user_only"):
        raise ConfigError(f"history must be 'full' or 'last_user_only', not {history!r}")
    if namespace is not None and not isinstance(namespace, str):
        raise InputTypeError("namespace must be a str")
    if prune is not None and (
        isinstance(prune, bool) or not isinstance(prune, (int, float)) or not 0.0 < prune <= 1.0
    ):
        raise ConfigError(f"prune must be None or a ratio in (0, 1], not {prune!r}")
    if pruner is not None and not isinstance(pruner, Pruner):
        raise ConfigError(f"pruner must be a semroute.Pruner, not {type(pruner).__name__}")
    options = Options(
        cache=cache,
        router=router,
        ledger=ledger,
        budgets=tuple(budgets),
        observers=tuple(observers),
        namespace=namespace,
        tags=dict(tags or {}),
        history=history,
        cache_tool_calls=cache_tool_calls,
        store_text=store_text,
        prune=None if prune is None else float(prune),
        pruner=pruner,
    )
    _install(client, options)
    return client


def _install(client: Any, options: Options) -> None:
    """Patch the chat methods of ``client`` (and its copying methods) with ``options``."""
    is_async = isinstance(client, openai.AsyncOpenAI)
    flow = Flow(client, options, is_async=is_async, provider=_provider(client))
    for path, name, operation in _METHODS:
        resource = _resource(client, path)
        original = getattr(resource, name, None) if resource is not None else None
        if original is None:
            continue  # an older SDK without this method
        # with_raw_response / with_streaming_response bind the method when first built;
        # either way their calls reach the original untouched (the wrapper lets calls
        # marked with the SDK's raw-response header through, and counts them).
        setattr(resource, name, _wrapped(flow, original, operation, name))
    for name in _COPIERS:
        original = getattr(client, name, None)
        if original is not None:
            setattr(client, name, _copier(options, original))
    setattr(client, _STATE, flow)


def _copier(options: Options, original: Any) -> Any:
    """``client.with_options(...)`` / ``client.copy(...)``: the new client wrapped alike
    (its own base URL and provider key its namespaces; its calls are counted on it)."""

    @functools.wraps(original)
    def copy(*args: Any, **kwargs: Any) -> Any:
        new = original(*args, **kwargs)
        if isinstance(new, (openai.OpenAI, openai.AsyncOpenAI)) and (
            getattr(new, _STATE, None) is None
        ):
            _install(new, options)
        return new

    return copy


def unwrap(client: C) -> C:
    """Restore a client :func:`wrap` patched; a client never wrapped is returned unchanged.

    >>> unwrap(object()) is not None
    True
    """
    if getattr(client, _STATE, None) is None:
        return client
    for path, name, _ in _METHODS:
        resource = _resource(client, path)
        if resource is not None:
            vars(resource).pop(name, None)
    for name in _COPIERS:
        vars(client).pop(name, None)
    delattr(client, _STATE)
    return client


@contextlib.contextmanager
def wrapped(client: C, **options: Any) -> Iterator[C]:
    """``wrap`` for the duration of a ``with`` block, then ``unwrap``.

    >>> with wrapped(client, cache=cache) as c:  # doctest: +SKIP
    ...     c.chat.completions.create(model="gpt-4o-mini", messages=msgs)
    """
    wrap(client, **options)
    try:
        yield client
    finally:
        unwrap(client)


def counts(client: object) -> dict[str, int]:
    """What the wrapper did so far: calls per outcome, ``bypass:<reason>``, ``cache_errors``,
    ``observer_errors`` (an observer that raised; the call was not affected).

    >>> counts(object())
    {}
    """
    flow = getattr(client, _STATE, None)
    return dict(flow.counts) if isinstance(flow, Flow) else {}
