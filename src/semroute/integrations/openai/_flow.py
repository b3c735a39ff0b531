"""One wrapped call, start to finish: key, budget, route, serve or call, record.

The policy (what the query and namespace are, what is never stored) is
:mod:`semroute.chat.request` and :mod:`semroute.chat.response`; this module drives the
cache, the router, the budgets and the observers around the SDK's own method.
"""

from __future__ import annotations

import functools
import importlib
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from semroute.chat.info import BudgetGate, CallInfo, CallObserver
from semroute.chat.request import CanonicalRequest, History, chat_request, responses_request
from semroute.chat.response import chat_bypass_reason, responses_bypass_reason, usage_of
from semroute.errors import ConfigError
from semroute.integrations.openai import _objects as objects
from semroute.integrations.openai._info import remember
from semroute.pruning.messages import prune_messages

# openai's with_raw_response / with_streaming_response mark their calls with this header.
_RAW_HEADER = "X-Stainless-Raw-Response"
# What serve() stores for a streamed miss: nothing (store_if refuses it); the stream's
# rebuilt answer is stored when it ends. Concurrent streams do not share one flight.
_STREAM_MISS = "semroute:stream-miss"
_ENTRY_VERSION = 1


@dataclass(frozen=True, slots=True)
class Options:
    """What ``wrap`` was given."""

    cache: Any
    router: Any
    ledger: Any
    budgets: tuple[BudgetGate, ...]
    observers: tuple[CallObserver, ...]
    namespace: str | None
    tags: Mapping[str, str]
    history: History
    cache_tool_calls: bool
    store_text: bool
    prune: float | None = None  # ratio kept of the marked context; None: send as given
    pruner: Any = None  # the Pruner to use (None: the shared default one)


@dataclass(slots=True)
class _Call:
    """One call in progress: what the caller asked, what was decided."""

    operation: str  # "chat" | "responses"
    method: str  # "create" | "parse"
    kwargs: dict[str, Any]
    request: CanonicalRequest
    start_ns: int
    model_used: str
    route: Any = None  # the router's Decision, if it chose
    route_reason: str | None = None
    baseline_model: str | None = None  # what the caller would have paid for (routing)
    pruned: bool = False  # the context was pruned (once, on the way to the provider)
    pruned_tokens: int = 0

    def slim(self) -> _Call:
        """This call without the caller's arguments: what a record built later needs, without
        keeping the request's messages alive as long as the response (a chat history that
        keeps its responses would otherwise keep every earlier request too)."""
        return _Call(
            self.operation,
            self.method,
            {},
            self.request,
            self.start_ns,
            self.model_used,
            self.route,
            self.route_reason,
            self.baseline_model,
            self.pruned,
            self.pruned_tokens,
        )


@functools.cache
def _optional(module: str, name: str) -> Any:
    """``module.name`` if that optional part of semroute is installed, else None (looked up once:
    a failed import is not cached by Python and costs file-system calls each time)."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _price(router: Any, model: str | None, tokens_in: int | None, tokens_out: int | None) -> Any:
    """Dollars for a call, or None when the model's price or the counts are unknown."""
    if model is None or tokens_in is None or tokens_out is None:
        return None
    price_of = _optional("semroute.ledger", "price_of")
    if price_of is not None:  # the ledger's maintained price table
        cost = price_of(model, tokens_in, tokens_out)
        if cost is not None:
            return cost
    for tier in getattr(router, "tiers", ()) or ():
        if tier.model == model:
            return tier.cost(tokens_in, tokens_out)
    return None


class Flow:
    """The wrapped behaviour of one client (sync or async)."""

    def __init__(self, client: Any, options: Options, *, is_async: bool, provider: str) -> None:
        self.client = client
        self.options = options
        self.is_async = is_async
        self.provider = provider
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.api_errors: weakref.WeakSet[BaseException] = weakref.WeakSet()
        self._otel: Any = None
        self._otel_ready = False

    # -- bookkeeping -----------------------------------------------------------------------

    def count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    def _observers(self) -> list[Any]:
        if not self._otel_ready:
            # The OpenTelemetry span emitter; None without opentelemetry or a tracer provider.
            default_observer = _optional("semroute.integrations.otel", "default_observer")
            self._otel = default_observer() if default_observer is not None else None
            self._otel_ready = True
        found = [self.options.ledger, *self.options.observers, self._otel]
        return [o for o in found if o is not None]

    def _record(
        self,
        result: Any,
        call: _Call,
        outcome: str,
        reason: str | None,
        body: Mapping[str, Any] | None,
        **extra: Any,
    ) -> None:
        """Count the call and hand its :class:`CallInfo` to the observers. With no observer
        the record is built only if ``call_info(result)`` asks for it: building it (prices,
        usage, a 30-field dataclass) is most of a hit's own cost."""
        end_ns = time.time_ns()
        with self._lock:
            self.counts[outcome] += 1
            if outcome == "bypass" and reason:
                self.counts[f"bypass:{reason}"] += 1
        observers = self._observers()
        if not observers:
            if result is not None:
                slim = call.slim()
                remember(
                    result,
                    functools.partial(
                        self._info, slim, outcome, reason, body, end_ns=end_ns, **extra
                    ),
                )
            return
        info = self._info(call, outcome, reason, body, end_ns=end_ns, **extra)
        if result is not None:
            remember(result, info)
        for observer in observers:
            try:
                observer.on_call(info)
            except Exception:  # an observer never breaks the call
                self.count("observer_errors")

    def _info(
        self,
        call: _Call,
        outcome: str,
        reason: str | None,
        body: Mapping[str, Any] | None,
        *,
        hit: Any = None,
        stored_body: Mapping[str, Any] | None = None,
        error_type: str | None = None,
        end_ns: int = 0,
    ) -> CallInfo:
        req = call.request
        usage = usage_of(body)
        router = self.options.router
        cost = _price(router, call.model_used, usage.input_tokens, usage.output_tokens)
        saved_usd = saved_tokens = None
        if stored_body is not None:  # a hit: what the stored answer cost when it was made
            was = usage_of(stored_body)
            saved_tokens = was.total
            model = stored_body.get("model")
            saved_usd = _price(router, model, was.input_tokens, was.output_tokens)
        elif call.baseline_model and call.baseline_model != call.model_used and outcome != "error":
            base = _price(router, call.baseline_model, usage.input_tokens, usage.output_tokens)
            if base is not None and cost is not None:
                saved_usd = base - cost
        if stored_body is None and call.pruned_tokens and outcome != "error":
            # Priced like cost_usd; the ledger splits this share back out as pruning's.
            cut = _price(router, call.model_used, call.pruned_tokens, 0)
            routed = call.baseline_model and call.baseline_model != call.model_used
            if cut is not None and (saved_usd is not None or not routed):
                saved_usd = (saved_usd or 0.0) + cut
        keep_text = self.options.store_text
        finish = None
        if body is not None:
            choices = body.get("choices")
            if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
                finish = choices[0].get("finish_reason")
            elif isinstance(body.get("status"), str):
                finish = body["status"]
        scalars = {
            k: v
            for k, v in req.params.items()
            if k != "model" and isinstance(v, (str, int, float, bool))
        }
        return CallInfo(
            operation=call.operation,
            provider=self.provider,
            namespace=req.namespace,
            model_requested=req.model,
            model_used=(body.get("model") if body is not None else None) or None,
            outcome=outcome,  # type: ignore[arg-type]
            reason=reason,
            similarity=None if hit is None else float(hit.similarity),
            matched_query=hit.matched_query if hit is not None and keep_text else None,
            query=req.query if keep_text else None,
            route_model=call.route.model if call.route is not None else None,
            route_score=float(call.route.score) if call.route is not None else None,
            route_reason=call.route_reason,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cost_usd=cost if outcome != "error" else None,
            saved_usd=saved_usd,
            saved_tokens=saved_tokens,
            pruned_tokens=call.pruned_tokens if stored_body is None else 0,
            stream=req.stream,
            error_type=error_type,
            request_params=scalars,
            response_id=body.get("id") if body is not None else None,
            finish_reason=finish if isinstance(finish, str) else None,
            tags=dict(self.options.tags),
            start_ns=call.start_ns,
            end_ns=end_ns or time.time_ns(),
        )

    # -- before the call ---------------------------------------------------------------------

    def _key_url(self) -> str:
        """The client's base URL and default query (Azure's ``api-version``, ``default_query=``)
        as they are now: read per call, since ``client.base_url`` can be set after ``wrap``,
        and a default query is sent like ``extra_query``, which keys the namespace."""
        url = str(self.client.base_url)
        query = getattr(self.client, "_custom_query", None)
        if isinstance(query, Mapping) and query:
            url += "?" + urlencode(sorted((str(k), str(v)) for k, v in query.items()))
        return url

    def _canonical(self, operation: str, kwargs: Mapping[str, Any]) -> CanonicalRequest:
        o = self.options
        base_url = self._key_url()
        if operation == "chat":
            return chat_request(
                kwargs.get("messages"),
                kwargs,
                provider=self.provider,
                base_url=base_url,
                prefix=o.namespace,
                history=o.history,
            )
        return responses_request(
            kwargs,
            provider=self.provider,
            base_url=base_url,
            prefix=o.namespace,
            history=o.history,
        )

    def begin(self, operation: str, method: str, kwargs: dict[str, Any]) -> _Call | None:
        """The call's plan, or None for a raw-response call (passed through untouched)."""
        start = time.time_ns()
        headers = kwargs.get("extra_headers")
        if isinstance(headers, Mapping) and any(
            str(k).lower() == _RAW_HEADER.lower() for k in headers
        ):
            self.count("bypass")
            self.count("bypass:raw_response")
            return None
        request = self._canonical(operation, kwargs)
        call = _Call(operation, method, dict(kwargs), request, start, request.model)
        self._gate(call)
        if call.route_reason == "budget_downgrade" and call.baseline_model == request.model:
            # An explicit model sent to a cheaper one: keyed by the model that answers, so
            # its answer is never served to a later call of the model asked for.
            keyed = self._canonical(operation, call.kwargs)
            call.request = replace(keyed, model=request.model)
        return call

    def _gate(self, call: _Call) -> None:
        downgrade = False
        for gate in self.options.budgets:  # BudgetExceeded propagates: the call is refused
            if gate.check(self.options.tags, call.request.model) == "downgrade":
                downgrade = True
        router = self.options.router
        alias = getattr(router, "alias", "auto") if router is not None else "auto"
        if call.request.model == alias and router is None:
            raise ConfigError(f"model={alias!r} needs wrap(client, router=Router(...))")
        if downgrade:
            if router is None:
                self.count("budget_downgrade_without_router")
                return
            cheapest = min(router.tiers, key=lambda t: t.input_per_mtok + t.output_per_mtok)
            call.baseline_model = call.request.model if call.request.model != alias else None
            call.baseline_model = call.baseline_model or router.tiers[-1].model
            self._set_model(call, cheapest.model, "budget_downgrade")

    def needs_route(self, call: _Call) -> bool:
        router = self.options.router
        return (
            router is not None
            and call.route_reason is None
            and call.request.model == getattr(router, "alias", "auto")
        )

    def route(self, call: _Call, embedding: Any) -> None:
        """Pick the tier for ``model="auto"`` from the cache's embedding of the query."""
        router = self.options.router
        query = call.request.query or ""
        if not query.strip():  # no text to route on: the strongest tier is the safe choice
            self._set_model(call, router.tiers[-1].model, "no_query")
            return
        decision = router.choose(query, embedding=embedding)
        call.route = decision
        call.baseline_model = router.tiers[-1].model
        self._set_model(call, decision.model, decision.reason)

    def upstream(self, call: _Call) -> dict[str, Any]:
        """The arguments sent to the provider: the caller's, with the marked context of a
        chat request pruned when ``wrap(prune=...)`` asks for it. Called only on the way
        to the provider, after the request was keyed: a hit never prunes, and the cache
        keys on the original messages."""
        ratio = self.options.prune
        if ratio is None or call.pruned or call.operation != "chat":
            return call.kwargs
        call.pruned = True
        messages = call.kwargs.get("messages")
        if not isinstance(messages, (list, tuple)):
            return call.kwargs
        try:
            out = prune_messages(messages, ratio=ratio, pruner=self.options.pruner)
        except Exception:  # pruning only saves money: a failure sends the request as given
            self.count("prune_errors")
            return call.kwargs
        if out.blocks:
            call.kwargs["messages"] = out.messages
            call.pruned_tokens = out.original_tokens - out.kept_tokens
        return call.kwargs

    @staticmethod
    def _set_model(call: _Call, model: str, reason: str) -> None:
        call.model_used = model
        call.route_reason = reason
        call.kwargs["model"] = model

    # -- storing -------------------------------------------------------------------------------

    def bypass_reason(self, operation: str, body: Mapping[str, Any]) -> str | None:
        check = chat_bypass_reason if operation == "chat" else responses_bypass_reason
        return check(body, cache_tool_calls=self.options.cache_tool_calls)

    @staticmethod
    def entry(operation: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return {"v": _ENTRY_VERSION, "op": operation, "body": dict(body)}

    @staticmethod
    def body_of(entry: Any, operation: str) -> dict[str, Any] | None:
        """The stored body, or None when the entry is not this wrapper's (or another version)."""
        if (
            isinstance(entry, dict)
            and entry.get("v") == _ENTRY_VERSION
            and entry.get("op") == operation
            and isinstance(entry.get("body"), dict)
        ):
            body: dict[str, Any] = entry["body"]
            return body
        return None

    # -- answers -------------------------------------------------------------------------------

    def hit_object(self, call: _Call, stored: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        """The SDK object served for a stored body, and the body as served."""
        req = call.request
        if call.operation == "chat":
            body = objects.fresh_chat(stored)
            if req.stream:
                return objects.chat_replay(
                    self.client, body, req.include_usage, self.is_async
                ), body
            if call.method == "parse":
                return objects.parsed_completion(body, call.kwargs), body
            return objects.chat_completion(body), body
        body = objects.fresh_response(stored)
        if req.stream:
            return objects.responses_replay(self.client, body, self.is_async), body
        if call.method == "parse":
            return objects.parsed_response(body, call.kwargs), body
        return objects.response_object(body), body

    def served(self, call: _Call, stored: Mapping[str, Any], hit: Any, shared: bool) -> Any:
        result, body = self.hit_object(call, stored)
        if shared:
            outcome, reason = "exact", "single_flight"
        else:
            outcome, reason = ("exact" if hit.exact else "semantic"), None
        self._record(result, call, outcome, reason, body, hit=hit, stored_body=stored)
        return result

    def finish(
        self, call: _Call, result: Any, outcome: str, reason: str | None, body: Any = None
    ) -> Any:
        if body is None and result is not None and hasattr(result, "model_dump"):
            body = objects.dump(result)
        self._record(result, call, outcome, reason, body)
        return result

    def failed(self, call: _Call, error: BaseException) -> None:
        self._record(None, call, "error", None, None, error_type=type(error).__name__)

    def stream_end(
        self, call: _Call, stream: Any, embedding: Any, bypass: str | None = None
    ) -> Callable[[dict[str, Any] | None, str | None], None]:
        """What a teed stream does when it ends: store if complete and storable, then record.

        ``bypass`` (a reason) records a complete stream as passed through, never stored.
        """

        def on_end(body: dict[str, Any] | None, why: str | None) -> None:
            if body is None:
                if why is not None and why.startswith("error:"):
                    error_type = why[len("error:") :]
                    self._record(stream, call, "error", None, None, error_type=error_type)
                else:
                    self._record(stream, call, "bypass", why, None)
                return
            if bypass is not None:
                self._record(stream, call, "bypass", bypass, body)
                return
            reason = self.bypass_reason(call.operation, body)
            outcome = "miss"
            if reason is None and embedding is not None:
                try:
                    self.options.cache.put(
                        call.request.query,
                        self.entry(call.operation, body),
                        namespace=call.request.namespace,
                        embedding=embedding,
                    )
                except Exception:
                    self.count("cache_errors")
                    outcome, reason = "bypass", "cache_error"
            elif reason is not None:
                outcome = "bypass"
            self._record(stream, call, outcome, reason, body)

        return on_end
