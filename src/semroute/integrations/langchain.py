"""LangChain: a :class:`SemanticCache` as LangChain's LLM cache (``semroute[langchain]``).

>>> import semroute
>>> from langchain_core.globals import set_llm_cache
>>> from semroute.integrations.langchain import SemrouteCache
>>> set_llm_cache(SemrouteCache(semroute.SemanticCache()))   # every chat model and LLM
>>> set_llm_cache(None)

Chat models hand the cache ``dumps(messages)`` and an ``llm_string`` (the model's
serialised configuration and the call's sorted parameters). The messages are read back
with LangChain's loader (message classes only), converted to OpenAI-style messages with
``convert_to_openai_messages`` and keyed by the canonical request
(:func:`semroute.chat.request.chat_request`): the last human message is the query; the
system prompt, earlier turns and the whole ``llm_string`` form the namespace. A plain
string prompt (an LLM, not a chat model) is the query as a whole. A prompt that cannot
be read is a miss, never an error in the user's chain.

Generations are stored as LangChain's own serialised JSON (``dumpd``) and read back with
``load(..., allowed_objects="core")``: never pickle, and no class outside LangChain's core
is ever built from the store. A generation carrying tool calls (the provider's own, such as
web search, included) or stopped for a reason other than a normal stop is not stored
(:func:`semroute.chat.response.chat_bypass_reason`).

What the cache cannot see: LangChain calls the provider between ``lookup`` and ``update``
and hands the cache no timing, price or error. The :class:`~semroute.chat.info.CallInfo`
given to observers therefore carries the outcome, similarity and the token counts found
in the generations' ``usage_metadata``; ``cost_usd`` and ``saved_usd`` stay ``None``,
and a call whose provider raised is never reported (LangChain's callbacks see it).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core._api import suppress_langchain_beta_warning
from langchain_core.caches import RETURN_VAL_TYPE, BaseCache
from langchain_core.load import dumpd, load
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.messages.utils import convert_to_openai_messages
from langchain_core.outputs import ChatGeneration, Generation

from semroute.cache.cache import CacheHit, SemanticCache
from semroute.chat.info import CallInfo, CallObserver, Outcome
from semroute.chat.request import CanonicalRequest, History, chat_request
from semroute.chat.response import chat_bypass_reason
from semroute.integrations._support import (
    FloatArray,
    Memo,
    alookup,
    check_options,
    lookup,
    notify,
    observers_of,
)

__all__ = ["SemrouteCache"]

_PROVIDER = "langchain"
# Finish reasons providers use for a normal end of the answer, read as the canonical "stop".
_NORMAL_STOPS = frozenset({"stop", "end_turn", "stop_sequence", "STOP", "COMPLETE", "eos"})
# Where providers' chat models name the finish reason: OpenAI and most (``finish_reason``),
# Anthropic (``stop_reason``), Bedrock Converse (``stopReason``), Ollama (``done_reason``).
_REASON_KEYS = ("finish_reason", "stop_reason", "stopReason", "done_reason")
# Standard content blocks of a tool call, the provider's own (web search...) included: the
# answer depends on results the request does not show.
_CALL_BLOCKS = frozenset(
    {"tool_call", "tool_call_chunk", "invalid_tool_call", "server_tool_call", "server_tool_result"}
)
_MODEL_IN_PARAMS = re.compile(r"\('(?:model|model_name)', '([^']+)'\)")
_Key = tuple[str, str]


def _finish_reason(generation: Generation) -> str:
    info = generation.generation_info or {}
    meta = generation.message.response_metadata if isinstance(generation, ChatGeneration) else {}
    reason = next(
        (
            source[name]
            for name in _REASON_KEYS
            for source in (info, meta)
            if isinstance(source, dict) and source.get(name)
        ),
        None,
    )
    # A provider that names no reason (fake and local models) ended normally.
    if reason is None or reason in _NORMAL_STOPS:
        return "stop"
    return str(reason)


def _server_calls(message: AIMessage) -> list[object]:
    """The tool-call blocks in the message's content (a list of blocks only)."""
    if not isinstance(message.content, list):
        return []
    try:
        blocks = message.content_blocks
    except Exception:  # content LangChain cannot read: not an answer to keep
        return [message.content]
    return [b for b in blocks if b.get("type") in _CALL_BLOCKS]


def _lost_in_conversion(messages: Sequence[BaseMessage]) -> list[object]:
    """What the OpenAI-format conversion drops but a provider may still be sent: a tool
    result's error status (Anthropic's ``is_error``) and an earlier answer's unparsable tool
    calls. ``(index, field, value)`` per message that has one."""
    lost: list[object] = []
    for i, message in enumerate(messages):
        if isinstance(message, ToolMessage) and message.status != "success":
            lost.append([i, "status", message.status])
        if isinstance(message, AIMessage) and message.invalid_tool_calls:
            lost.append([i, "invalid_tool_calls", [dict(c) for c in message.invalid_tool_calls]])
    return lost


def _as_choice_body(generation: Generation) -> dict[str, object]:
    """One generation in the OpenAI shape the response policy reads."""
    message: dict[str, object] = {"content": generation.text}
    if isinstance(generation, ChatGeneration) and isinstance(generation.message, AIMessage):
        ai = generation.message
        message["tool_calls"] = ai.tool_calls or ai.invalid_tool_calls or _server_calls(ai) or None
        message["function_call"] = ai.additional_kwargs.get("function_call")
    return {"choices": [{"finish_reason": _finish_reason(generation), "message": message}]}


def _tokens(generations: Sequence[Generation]) -> tuple[int | None, int | None]:
    """(input, output) tokens over the generations' ``usage_metadata``; ``None`` if absent."""
    inputs = outputs = 0
    seen = False
    for generation in generations:
        message = getattr(generation, "message", None)
        usage = getattr(message, "usage_metadata", None)
        if usage:
            seen = True
            inputs += int(usage.get("input_tokens") or 0)
            outputs += int(usage.get("output_tokens") or 0)
    return (inputs, outputs) if seen else (None, None)


def _model_of(llm_string: str) -> str:
    """The model name in an ``llm_string``, best effort (for the call record only)."""
    head = llm_string.split("---", 1)[0]
    try:
        config = json.loads(head)
    except ValueError:
        found = _MODEL_IN_PARAMS.search(llm_string)
        return found.group(1) if found else ""
    kwargs = config.get("kwargs") if isinstance(config, dict) else None
    if isinstance(kwargs, dict):
        name = kwargs.get("model_name") or kwargs.get("model")
        if isinstance(name, str):
            return name
    found = _MODEL_IN_PARAMS.search(llm_string)
    return found.group(1) if found else ""


def _revive(payload: object) -> list[Generation] | None:
    """Stored JSON back to generations with LangChain's safe loader; ``None`` if unreadable."""
    if not isinstance(payload, list) or not payload:
        return None
    try:
        # ``load`` is marked beta and warns once; the warning is noise to a cache user.
        with suppress_langchain_beta_warning():
            generations = load(payload, allowed_objects="core")
    except Exception:
        return None
    if not all(isinstance(g, Generation) for g in generations):
        return None
    return list(generations)


class SemrouteCache(BaseCache):
    """LangChain's ``BaseCache`` answered by a :class:`semroute.SemanticCache`.

    ``prefix`` (a tenant, an app) leads every namespace this cache writes
    (``"<prefix>:langchain:chat:<hash>"``, or ``"langchain:chat:<hash>"``), and
    :meth:`clear` removes exactly those entries, not the rest of a shared cache.
    ``history="last_user_only"`` leaves earlier turns out of the namespace (opt-in; see
    :mod:`semroute.chat.request`). ``ttl`` and ``threshold`` override the cache's for the
    entries of this adapter. ``ledger`` and ``observers`` receive a
    :class:`~semroute.chat.info.CallInfo` per lookup that served or bypassed, and per
    stored (or refused) answer.

    >>> import semroute
    >>> from langchain_core.outputs import Generation
    >>> lc_cache = SemrouteCache(semroute.SemanticCache())
    >>> lc_cache.update("What is the capital of France?", "fake-llm", [Generation(text="Paris")])
    >>> lc_cache.lookup("what is the capital of France", "fake-llm")
    [Generation(text='Paris')]
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
        self.cache = cache
        self._prefix = _PROVIDER if prefix is None else f"{prefix}:{_PROVIDER}"
        self._history: History = history
        self._options: dict[str, Any] = {"threshold": threshold}
        self._ttl = ttl
        self._observers = observers_of(ledger, observers)
        # What a lookup learnt, for the update of the same call: (request, vector, start).
        self._pending: Memo[_Key, tuple[CanonicalRequest, FloatArray | None, int]] = Memo()
        # Recently read prompts: an exact repeat skips loading and hashing the messages again.
        self._requests: Memo[_Key, CanonicalRequest | None] = Memo(256)

    # -- the two translations -----------------------------------------------------------

    def _request(self, prompt: str, llm_string: str) -> CanonicalRequest | None:
        """The canonical request for this prompt, or ``None`` when it cannot be read."""
        if not isinstance(prompt, str) or not isinstance(llm_string, str):
            return None
        key = (prompt, llm_string)
        known = self._requests.get(key)
        if known is not None:
            return known
        request = self._read(prompt, llm_string)
        if request is not None:
            self._requests.put(key, request)
        return request

    def _read(self, prompt: str, llm_string: str) -> CanonicalRequest | None:
        if prompt.startswith('[{"lc"'):
            try:
                with suppress_langchain_beta_warning():
                    messages = load(json.loads(prompt), allowed_objects="messages")
                if not isinstance(messages, list) or not all(
                    isinstance(m, BaseMessage) for m in messages
                ):
                    return None
                openai_messages: list[object] = list(convert_to_openai_messages(messages))
                lost = _lost_in_conversion(messages)
            except Exception:
                return None
        else:
            openai_messages = [{"role": "user", "content": prompt}]
            lost = []
        params: dict[str, object] = {"llm_string": llm_string}
        if lost:  # only then: the namespaces of ordinary requests stay as they were
            params["message_fields"] = lost
        return chat_request(
            openai_messages,
            params,
            provider=_PROVIDER,
            prefix=self._prefix,
            history=self._history,
        )

    @staticmethod
    def _payload(generations: Sequence[Generation]) -> list[Any]:
        return [dumpd(g) for g in generations]

    # -- call records -------------------------------------------------------------------

    def _record(
        self,
        start_ns: int,
        llm_string: str,
        request: CanonicalRequest | None,
        outcome: Outcome,
        *,
        reason: str | None = None,
        hit: CacheHit | None = None,
        generations: Sequence[Generation] = (),
    ) -> None:
        if not self._observers:
            return
        inputs, outputs = _tokens(generations)
        saved = None
        if hit is not None:
            saved = None if inputs is None or outputs is None else inputs + outputs
            inputs = outputs = 0  # a hit bills nothing
        model = _model_of(llm_string)
        notify(
            self._observers,
            CallInfo(
                operation="chat",
                provider=_PROVIDER,
                namespace=request.namespace if request is not None else "",
                model_requested=model,
                model_used=model or None,
                outcome=outcome,
                reason=reason,
                similarity=hit.similarity if hit is not None else None,
                matched_query=hit.matched_query if hit is not None else None,
                input_tokens=inputs,
                output_tokens=outputs,
                cost_usd=0.0 if hit is not None else None,
                saved_tokens=saved,
                start_ns=start_ns,
                end_ns=time.time_ns(),
            ),
        )

    # -- BaseCache -----------------------------------------------------------------------

    def _before_lookup(
        self, prompt: str, llm_string: str, start_ns: int
    ) -> CanonicalRequest | None:
        request = self._request(prompt, llm_string)
        if request is None or not request.cacheable or request.query is None:
            reason = "unreadable_request" if request is None else request.bypass_reason
            self._record(start_ns, llm_string, request, "bypass", reason=reason)
            return None
        return request

    def _after_lookup(
        self,
        key: _Key,
        request: CanonicalRequest,
        found: tuple[CacheHit | None, FloatArray | None],
        start_ns: int,
    ) -> RETURN_VAL_TYPE | None:
        hit, vector = found
        if hit is None:
            self._pending.put(key, (request, vector, start_ns))
            return None
        generations = _revive(hit.response)
        if generations is None:
            return None
        outcome: Outcome = "exact" if hit.exact else "semantic"
        self._record(start_ns, key[1], request, outcome, hit=hit, generations=generations)
        return generations

    def _cache_failed(self, start_ns: int, llm_string: str, request: CanonicalRequest) -> None:
        self._record(start_ns, llm_string, request, "bypass", reason="cache_error")

    def lookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        """The stored generations for this prompt (or one meaning the same), else ``None``."""
        start = time.time_ns()
        request = self._before_lookup(prompt, llm_string, start)
        if request is None:
            return None
        assert request.query is not None
        try:
            found = lookup(self.cache, request.query, request.namespace, **self._options)
        except Exception:  # a cache or backend failure falls through to the provider
            self._cache_failed(start, llm_string, request)
            return None
        return self._after_lookup((prompt, llm_string), request, found, start)

    async def alookup(self, prompt: str, llm_string: str) -> RETURN_VAL_TYPE | None:
        """Async :meth:`lookup`: exact repeats on the loop, the encoder in a worker thread."""
        start = time.time_ns()
        request = self._before_lookup(prompt, llm_string, start)
        if request is None:
            return None
        assert request.query is not None
        try:
            found = await alookup(self.cache, request.query, request.namespace, **self._options)
        except Exception:
            self._cache_failed(start, llm_string, request)
            return None
        return self._after_lookup((prompt, llm_string), request, found, start)

    def _to_store(
        self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE, start_ns: int
    ) -> tuple[CanonicalRequest, list[Any], FloatArray | None, int] | None:
        """(request, payload, vector, start of the call) when the answer may be stored.

        The call started at its lookup when this cache saw it (so the record's latency
        covers the provider call), else now.
        """
        pending = self._pending.pop((prompt, llm_string))
        if pending is not None:
            request: CanonicalRequest | None = pending[0]
            vector, start_ns = pending[1], pending[2]
        else:
            request, vector = self._request(prompt, llm_string), None
        if request is None or not request.cacheable or request.query is None:
            return None
        generations = list(return_val)
        reason = next(
            (r for g in generations if (r := chat_bypass_reason(_as_choice_body(g)))), None
        )
        if not generations or reason is not None:
            self._record(start_ns, llm_string, request, "bypass", reason=reason or "finish_reason")
            return None
        return request, self._payload(generations), vector, start_ns

    def _put(
        self,
        request: CanonicalRequest,
        payload: list[Any],
        vector: FloatArray | None,
        llm_string: str,
        generations: RETURN_VAL_TYPE,
        start_ns: int,
    ) -> None:
        assert request.query is not None
        try:
            self.cache.put(
                request.query, payload, namespace=request.namespace, ttl=self._ttl, embedding=vector
            )
        except Exception:
            self._cache_failed(start_ns, llm_string, request)
            return
        self._record(start_ns, llm_string, request, "miss", generations=list(generations))

    def update(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        """Store the generations the provider returned for this prompt."""
        start = time.time_ns()
        ready = self._to_store(prompt, llm_string, return_val, start)
        if ready is not None:
            request, payload, vector, begun = ready
            self._put(request, payload, vector, llm_string, return_val, begun)

    async def aupdate(self, prompt: str, llm_string: str, return_val: RETURN_VAL_TYPE) -> None:
        """Async :meth:`update`: the encoder (when the lookup did not run it) in a worker thread."""
        start = time.time_ns()
        ready = self._to_store(prompt, llm_string, return_val, start)
        if ready is None:
            return
        request, payload, vector, begun = ready
        if vector is None:
            assert request.query is not None
            try:
                vector = await asyncio.to_thread(self.cache.embed, request.query)
            except Exception:
                self._cache_failed(begun, llm_string, request)
                return
        self._put(request, payload, vector, llm_string, return_val, begun)

    def clear(self, **kwargs: Any) -> None:
        """Remove every entry this adapter stored (its namespace prefix), nothing else."""
        self.cache.invalidate(prefix=f"{self._prefix}:")

    async def aclear(self, **kwargs: Any) -> None:
        """Async :meth:`clear` (in-memory work and one store call: no thread hop)."""
        self.clear(**kwargs)
