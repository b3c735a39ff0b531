"""LiteLLM's cache backed by a :class:`SemanticCache` (see the package docstring)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from litellm.caching.caching import Cache
from litellm.constants import OPENAI_CHAT_COMPLETION_PARAMS
from litellm.cost_calculator import cost_per_token
from litellm.integrations.custom_logger import CustomLogger
from litellm.types.utils import is_litellm_owned_kwarg
from pydantic import BaseModel

from semroute.cache.cache import CacheHit, SemanticCache
from semroute.chat.info import CallInfo, CallObserver, Outcome
from semroute.chat.request import CanonicalRequest, History, chat_request
from semroute.chat.response import chat_bypass_reason, usage_of
from semroute.integrations._support import (
    FloatArray,
    Memo,
    alookup,
    check_options,
    lookup,
    notify,
    observers_of,
)

__all__ = ["SemrouteLiteLLMCache"]

_PROVIDER = "litellm"
# LiteLLM's own list of OpenAI chat parameters, less what only reaches the transport (the
# base URL is hashed apart, as ``base_url``; the messages are the request itself).
_TRANSPORT = frozenset(
    {
        "api_key",
        "api_base",
        "base_url",
        "organization",
        "default_headers",
        "extra_headers",
        "timeout",
        "request_timeout",
        "max_retries",
        "messages",
        # Objects LiteLLM and its proxy add to a call about the call, not the request (a
        # tracing span, the caller's key, callback settings): never sent to the model, and an
        # object with no JSON form would make every call unreadable, so uncached.
        "parent_otel_span",
        "litellm_parent_otel_span",
        "user_api_key_dict",
        "standard_callback_dynamic_params",
        "litellm_params",
    }
)
_PARAMS = frozenset(OPENAI_CHAT_COMPLETION_PARAMS) - _TRANSPORT | {"extra_body"}
# LiteLLM's own options (prices, retries, logging, credentials...) are left out, except
# these, which change what the model is asked or which endpoint answers.
_ANSWER_OPTIONS = frozenset(
    {
        "custom_llm_provider",
        "text_completion",  # the completions endpoint, not chat
        "litellm_system_prompt",
        "prompt_id",
        "prompt_version",
        "prompt_label",
        "prompt_variables",
        "prompt_environment",
        "hf_model_name",
        "custom_prompt_dict",
        "initial_prompt_value",
        "final_prompt_value",
        "roles",
        "bos_token",
        "eos_token",
        "ensure_alternating_roles",
        "user_continue_message",
        "assistant_continue_message",
        "supports_system_message",
        "merge_reasoning_content_in_choices",
        "allowed_openai_params",
        "guardrails",
        "thought_signature_in_tool_call_id",
        "use_chat_completions_api",
        "responses_api_version",
    }
)


def _keyed(name: str) -> bool:
    """Whether keyword ``name`` of a LiteLLM call joins the namespace. A keyword LiteLLM does
    not own is a provider parameter it forwards as it is (``top_k``, ``safety_settings``...):
    unknown, so assumed to change the answer."""
    if name in _TRANSPORT:
        return False
    return name in _PARAMS or name in _ANSWER_OPTIONS or not is_litellm_owned_kwarg(name)


def _cache_control(kwargs: Mapping[str, Any], *names: str) -> float | None:
    """A number from LiteLLM's per-request ``cache={...}`` controls (``ttl``, ``s-maxage``)."""
    control = kwargs.get("cache")
    if not isinstance(control, Mapping):
        return None
    for name in names:
        value = control.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def _metadata_value(kwargs: Mapping[str, Any], name: str) -> object:
    for key in ("metadata", "litellm_metadata"):
        meta = kwargs.get(key)
        if isinstance(meta, Mapping) and meta.get(name):
            return meta[name]
    return None


def _requested_model(kwargs: Mapping[str, Any]) -> str:
    """The model the caller asked for: the Router's model group when there is one, so a hit
    does not depend on which deployment answered."""
    group = _metadata_value(kwargs, "model_group")
    model = group if isinstance(group, str) else kwargs.get("model")
    return model if isinstance(model, str) else ""


def _body(result: object) -> dict[str, Any] | None:
    """A ``ModelResponse`` (or the JSON LiteLLM made of it) as a plain dict."""
    if isinstance(result, BaseModel):
        result = result.model_dump_json(exclude_unset=True)
    if isinstance(result, str):
        try:
            result = json.loads(result)
        except ValueError:
            return None
    return result if isinstance(result, dict) else None


def _cost(model: str, input_tokens: int | None, output_tokens: int | None) -> float | None:
    """LiteLLM's price for the tokens (its local price map), ``None`` when unknown."""
    if not model or input_tokens is None or output_tokens is None:
        return None
    try:
        prompt, completion = cost_per_token(
            model=model, prompt_tokens=input_tokens, completion_tokens=output_tokens
        )
    except Exception:
        return None
    return float(prompt + completion)


class SemrouteLiteLLMCache(Cache):
    """``litellm.cache`` answered by a :class:`semroute.SemanticCache`.

    ``prefix`` leads every namespace this cache writes (default ``"litellm"``);
    ``history``, ``ttl`` and ``threshold`` as for the cache. ``ledger`` and
    ``observers`` receive one :class:`~semroute.chat.info.CallInfo` per hit, bypass and
    stored miss, with the tokens and LiteLLM's price for them. A cache failure falls
    through to the provider (recorded as a bypass, ``cache_error``). A provider error never
    reaches a cache; ``litellm.callbacks.append(cache.failure_logger)`` records those too
    (``outcome="error"``, ``error_type``).

    >>> import semroute, litellm
    >>> litellm.cache = SemrouteLiteLLMCache(semroute.SemanticCache())
    >>> r = litellm.completion(model="gpt-4o-mini", mock_response="Paris",
    ...                        messages=[{"role": "user", "content": "Capital of France?"}])
    >>> again = litellm.completion(model="gpt-4o-mini", mock_response="never sent",
    ...                            messages=[{"role": "user", "content": "capital of France"}])
    >>> again.choices[0].message.content, again.id != r.id
    ('Paris', True)
    >>> litellm.cache = None
    """

    def __init__(
        self,
        cache: SemanticCache,
        *,
        prefix: str | None = None,
        history: History = "full",
        ttl: float | None = None,
        threshold: float | None = None,
        ledger: CallObserver | None = None,
        observers: Iterable[CallObserver] = (),
    ) -> None:
        check_options(cache, prefix, history)
        # LiteLLM's own setup: registers the cache callbacks. Chat calls only; no message
        # limit (earlier turns are in the namespace, so long conversations are safe).
        super().__init__(supported_call_types=["completion", "acompletion"], max_messages=None)
        self.semantic_cache = cache
        self._prefix = _PROVIDER if prefix is None else f"{prefix}:{_PROVIDER}"
        self._history: History = history
        self._threshold = threshold
        self._ttl = ttl
        self._observers = observers_of(ledger, observers)
        #: Add to ``litellm.callbacks`` to record provider errors too (``outcome="error"``).
        self.failure_logger = _FailureRecorder(self)
        # What a lookup learnt, for the store of the same call, under LiteLLM's call id
        # (else namespace and query): (request, vector, start).
        self._pending: Memo[object, tuple[CanonicalRequest, FloatArray | None, int]] = Memo()

    # -- the two translations -------------------------------------------------------------

    def _request(self, kwargs: Mapping[str, Any]) -> CanonicalRequest:
        params = {k: v for k, v in kwargs.items() if _keyed(k)}
        params["model"] = _requested_model(kwargs)
        base = kwargs.get("api_base") or kwargs.get("base_url")
        return chat_request(
            kwargs.get("messages"),
            params,
            provider=_PROVIDER,
            base_url=base if isinstance(base, str) else None,
            prefix=self._prefix,
            history=self._history,
        )

    @staticmethod
    def _fresh(body: Mapping[str, Any]) -> dict[str, Any]:
        """The stored response as a new one: its own id and creation time, and the usage
        billed for this call (none); what was saved goes to the call record."""
        return {
            **body,
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "created": int(time.time()),
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        }

    # -- call records ---------------------------------------------------------------------

    def _record(
        self,
        start_ns: int,
        kwargs: Mapping[str, Any],
        request: CanonicalRequest,
        outcome: Outcome,
        *,
        reason: str | None = None,
        hit: CacheHit | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        if not self._observers:
            return
        usage = usage_of(body)
        model = request.model
        used = body.get("model") if body is not None else None
        inputs, outputs = usage.input_tokens, usage.output_tokens
        cost = _cost(str(kwargs.get("model") or model), inputs, outputs)
        saved_tokens = saved_usd = None
        if hit is not None:
            saved_tokens, saved_usd = usage.total, cost
            inputs = outputs = 0
            cost = 0.0
        notify(
            self._observers,
            CallInfo(
                operation="chat",
                provider=_PROVIDER,
                namespace=request.namespace,
                model_requested=model,
                model_used=used if isinstance(used, str) else None,
                outcome=outcome,
                reason=reason,
                similarity=hit.similarity if hit is not None else None,
                matched_query=hit.matched_query if hit is not None else None,
                route_model=_route_field(kwargs, "model"),
                route_reason=_route_field(kwargs, "reason"),
                input_tokens=inputs,
                output_tokens=outputs,
                cost_usd=cost,
                saved_usd=saved_usd,
                saved_tokens=saved_tokens,
                stream=request.stream,
                request_params=dict(request.params),
                response_id=None if body is None else body.get("id"),
                start_ns=start_ns,
                end_ns=time.time_ns(),
            ),
        )

    # -- the hooks LiteLLM's caching handler calls ------------------------------------------

    def _before_get(self, kwargs: Mapping[str, Any], start_ns: int) -> CanonicalRequest | None:
        if "messages" not in kwargs:
            return None  # not a chat call: LiteLLM's other endpoints are not cached here
        request = self._request(kwargs)
        if not request.cacheable or request.query is None:
            self._record(start_ns, kwargs, request, "bypass", reason=request.bypass_reason)
            return None
        return request

    def _after_get(
        self,
        kwargs: Mapping[str, Any],
        request: CanonicalRequest,
        found: tuple[CacheHit | None, FloatArray | None],
        start_ns: int,
    ) -> dict[str, Any] | None:
        hit, vector = found
        assert request.query is not None
        # ``cache={"s-maxage": n}``: the caller accepts no entry older than n seconds.
        max_age = _cache_control(kwargs, "s-maxage", "s-max-age")
        if max_age is not None and hit is not None and hit.age_s > max_age:
            hit = None
        if hit is None or not isinstance(hit.response, dict):
            self._pending.put(_call_key(kwargs, request), (request, vector, start_ns))
            return None
        outcome: Outcome = "exact" if hit.exact else "semantic"
        self._record(start_ns, kwargs, request, outcome, hit=hit, body=hit.response)
        return self._fresh(hit.response)

    def get_cache(self, dynamic_cache_object: object = None, **kwargs: Any) -> Any:
        """LiteLLM's lookup: the stored response (a dict) for this request, else ``None``."""
        start = time.time_ns()
        request = self._before_get(kwargs, start)
        if request is None:
            return None
        assert request.query is not None
        try:
            found = lookup(
                self.semantic_cache, request.query, request.namespace, threshold=self._threshold
            )
        except Exception:  # a cache failure falls through to the provider
            self._record(start, kwargs, request, "bypass", reason="cache_error")
            return None
        return self._after_get(kwargs, request, found, start)

    async def async_get_cache(self, dynamic_cache_object: object = None, **kwargs: Any) -> Any:
        """Async :meth:`get_cache`: exact repeats on the loop, the encoder in a thread."""
        start = time.time_ns()
        request = self._before_get(kwargs, start)
        if request is None:
            return None
        assert request.query is not None
        try:
            found = await alookup(
                self.semantic_cache, request.query, request.namespace, threshold=self._threshold
            )
        except Exception:
            self._record(start, kwargs, request, "bypass", reason="cache_error")
            return None
        return self._after_get(kwargs, request, found, start)

    def _to_store(
        self, result: object, kwargs: Mapping[str, Any], start_ns: int
    ) -> tuple[CanonicalRequest, dict[str, Any], FloatArray | None, int] | None:
        """(request, body, vector, start of the call) when the answer may be stored; the call
        started at its lookup when this cache saw it (the record's latency covers the
        provider call), else now."""
        if "messages" not in kwargs:
            return None
        call_id = kwargs.get("litellm_call_id")
        # The lookup of the same call already keyed it: skip reading the request again.
        pending = self._pending.pop(call_id) if isinstance(call_id, str) else None
        if pending is None:
            request = self._request(kwargs)
            if not request.cacheable or request.query is None:
                return None
            pending = self._pending.pop(_call_key(kwargs, request))
        if pending is not None:
            request, vector, start_ns = pending
        else:
            vector = None
        body = _body(result)
        reason = "finish_reason" if body is None else chat_bypass_reason(body)
        if reason is not None or body is None:
            self._record(start_ns, kwargs, request, "bypass", reason=reason, body=body)
            return None
        return request, body, vector, start_ns

    def _put(
        self,
        request: CanonicalRequest,
        body: dict[str, Any],
        vector: FloatArray | None,
        kwargs: Mapping[str, Any],
        start_ns: int,
    ) -> None:
        assert request.query is not None
        try:
            ttl = _cache_control(kwargs, "ttl")  # LiteLLM's per-request ``cache={"ttl": n}``
            self.semantic_cache.put(
                request.query,
                body,
                namespace=request.namespace,
                ttl=self._ttl if ttl is None else ttl,
                embedding=vector,
            )
        except Exception:
            self._record(start_ns, kwargs, request, "bypass", reason="cache_error", body=body)
            return
        self._record(start_ns, kwargs, request, "miss", body=body)

    def add_cache(self, result: object, **kwargs: Any) -> None:
        """LiteLLM's store after a provider answer (sync calls)."""
        start = time.time_ns()
        ready = self._to_store(result, kwargs, start)
        if ready is not None:
            request, body, vector, begun = ready
            self._put(request, body, vector, kwargs, begun)

    async def async_add_cache(
        self, result: object, dynamic_cache_object: object = None, **kwargs: Any
    ) -> None:
        """LiteLLM's store after a provider answer (async calls; run in a background task)."""
        start = time.time_ns()
        ready = self._to_store(result, kwargs, start)
        if ready is None:
            return
        request, body, vector, begun = ready
        if vector is None:
            assert request.query is not None
            try:
                vector = await asyncio.to_thread(self.semantic_cache.embed, request.query)
            except Exception:
                self._record(begun, kwargs, request, "bypass", reason="cache_error", body=body)
                return
        self._put(request, body, vector, kwargs, begun)


def _call_key(kwargs: Mapping[str, Any], request: CanonicalRequest) -> object:
    call_id = kwargs.get("litellm_call_id")
    return call_id if isinstance(call_id, str) else (request.namespace, request.query)


def _ns(moment: object) -> int:
    stamp = getattr(moment, "timestamp", None)
    return int(stamp() * 1e9) if callable(stamp) else time.time_ns()


class _FailureRecorder(CustomLogger):
    """LiteLLM callback: a provider error becomes a ``CallInfo`` with ``outcome="error"``.

    The cache never sees a failed call (LiteLLM stores nothing), so errors reach the
    observers only through LiteLLM's failure callbacks: ``litellm.callbacks.append(
    cache.failure_logger)``. The namespace is rebuilt from what LiteLLM logs (the
    provider-mapped parameters), so it may differ from the cache's for the same request.
    """

    def __init__(self, cache: SemrouteLiteLLMCache) -> None:
        super().__init__()
        self._cache = cache

    def log_failure_event(
        self, kwargs: dict[str, Any], response_obj: object, start_time: object, end_time: object
    ) -> None:
        if not self._cache._observers or "messages" not in kwargs:
            return
        litellm_params = kwargs.get("litellm_params") or {}
        view = {
            **(kwargs.get("optional_params") or {}),
            "model": kwargs.get("model"),
            "messages": kwargs.get("messages"),
            "metadata": litellm_params.get("metadata"),
        }
        request = self._cache._request(view)
        error = kwargs.get("exception")
        notify(
            self._cache._observers,
            CallInfo(
                operation="chat",
                provider=_PROVIDER,
                namespace=request.namespace,
                model_requested=request.model,
                model_used=None,
                outcome="error",
                reason=request.bypass_reason,
                route_model=_route_field(view, "model"),
                route_reason=_route_field(view, "reason"),
                error_type=type(error).__name__ if error is not None else None,
                stream=request.stream,
                request_params=dict(request.params),
                start_ns=_ns(start_time),
                end_ns=_ns(end_time),
            ),
        )

    async def async_log_failure_event(
        self, kwargs: dict[str, Any], response_obj: object, start_time: object, end_time: object
    ) -> None:
        self.log_failure_event(kwargs, response_obj, start_time, end_time)


def _route_field(kwargs: Mapping[str, Any], name: str) -> str | None:
    route = _metadata_value(kwargs, "semroute_route")
    value = route.get(name) if isinstance(route, Mapping) else None
    return value if isinstance(value, str) else None
