"""The canonical chat request: the query the cache looks up and the namespace that must match.

Every adapter (``semroute.wrap`` for the OpenAI SDK, the LangChain cache, the LiteLLM
hooks, ``semroute analyze`` on logs with ``messages``) turns its framework's request into a
:class:`CanonicalRequest` here, so two frameworks given the same request key it the same way.

* The **query** is the text of the last user message (its text parts only). It is what
  gets embedded, so a long system prompt never drowns the question.
* Everything else that changes the answer is hashed (canonical JSON, SHA-256) into the
  **namespace**: provider and base URL, model, system and developer messages, earlier
  turns, the turns after the last user message (tool results...), and every parameter
  except the few listed in :data:`LEFT_OUT` (transport, billing and logging options). A
  parameter this module does not know is hashed: unknown is assumed to change the answer.
* Requests that must never be served from (or stored in) the cache come back with
  ``cacheable=False`` and the reason (:data:`REASONS`).

Pure functions over plain data: no ``openai`` import. Values with ``model_dump`` (pydantic
models, such as a ``ChatCompletionMessage`` passed back as an assistant turn) are read as
their JSON dump; a pydantic class given as ``response_format`` is read as its JSON schema.

>>> a = chat_request([{"role": "user", "content": "Capital of France?"}], {"model": "gpt-4o-mini"})
>>> a.query, a.cacheable
('Capital of France?', True)
>>> b = chat_request(
...     [{"role": "user", "content": "Capital of France?"}],
...     {"model": "gpt-4o-mini", "temperature": 0.9},
... )
>>> a.namespace == b.namespace
False
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from semroute.errors import ConfigError

__all__ = [
    "LEFT_OUT",
    "REASONS",
    "CanonicalRequest",
    "History",
    "chat_request",
    "responses_request",
]

#: ``"full"`` (default): earlier turns are part of the namespace, so a follow-up is served
#: only within the same conversation prefix. ``"last_user_only"``: earlier turns are left
#: out, so "and in Spanish?" after two different conversations shares one entry (opt-in).
History = Literal["full", "last_user_only"]

#: Parameters that do not change the answer: left out of the namespace.
LEFT_OUT: frozenset[str] = frozenset(
    {
        "stream",
        "stream_options",
        "user",
        "safety_identifier",  # the successor of ``user``: abuse tracking, not the answer
        "metadata",
        "store",
        "prompt_cache_key",
        "prompt_cache_retention",
        "service_tier",  # latency / price class of the same model
        "extra_headers",
        "timeout",
    }
)

#: Why a request (or its response) is passed through, as recorded in ``CallInfo.reason``.
REASONS: Mapping[str, str] = {
    "no_user_message": "no user message (or Responses input) to use as the query",
    "empty_query": "the last user message has no text",
    "non_text_content": "a message carries images, audio or files",
    "n_gt_1": "n > 1 asks for several different answers",
    "previous_response_id": "Responses API call continuing a stored response",
    "conversation": "Responses API call inside a server-side conversation",
    "background": "Responses API background call",
    "prompt_unpinned": "Responses API stored prompt without a version (it can change)",
    "unreadable_request": "a parameter or message could not be read as JSON",
    "tool_calls": "the response carries tool or function calls",
    "finish_reason": "the response stopped for a reason other than 'stop'",
    "stream_closed_early": "the stream was closed before its end",
    "stream_incomplete": "the stream ended without a complete answer",
    "raw_response": "with_raw_response call, passed through untouched",
    "cache_error": "the cache or its backend failed; the API answered",
    "no_cache": "no cache configured (outcome miss: the API answered, nothing stored)",
}

# Message parts that are text: every other part type (image_url, input_audio, file,
# input_image, input_file...) makes the request uncacheable.
_TEXT_PARTS = frozenset({"text", "input_text", "output_text", "refusal"})
# The keys of a part without a ``type`` that may still be read as text.
_TYPELESS_TEXT_KEYS = frozenset({"text", "cache_control"})
# Roles whose messages are instructions, hashed in every history mode.
_SYSTEM_ROLES = frozenset({"system", "developer"})
# Responses API parameters that continue server-side state the request does not show.
_RESPONSES_STATE = ("previous_response_id", "conversation", "background")
# Bumped when the canonical form changes, so old entries are not served under new rules.
_FORM_VERSION = 1


@dataclass(frozen=True, slots=True)
class CanonicalRequest:
    """One chat request as the cache sees it.

    ``namespace`` is ``"<prefix>:<operation>:<hash>"`` (without ``<prefix>:`` when none
    was given), so ``cache.invalidate(prefix="tenant-a:")`` drops one tenant's entries.
    ``params`` holds the hashed parameters (model, temperature, tools... but not the
    messages) as plain JSON, for the ledger and traces. When ``cacheable`` is False,
    ``bypass_reason`` is a key of :data:`REASONS` and the namespace may be empty.
    """

    operation: Literal["chat", "responses"]
    model: str
    query: str | None
    namespace: str
    cacheable: bool
    bypass_reason: str | None = None
    stream: bool = False
    include_usage: bool = False
    params: Mapping[str, object] = field(default_factory=dict)


class _Unreadable(Exception):
    """A value that has no stable JSON form (a function, an open file...)."""


def _sentinel(value: object) -> bool:
    # openai's NOT_GIVEN / omit sentinels mean "not passed": treated as absent.
    return type(value).__name__ in ("NotGiven", "Omit")


def _unset(value: object) -> bool:
    return value is None or _sentinel(value)


@functools.lru_cache(maxsize=256)
def _class_form(cls: type) -> object:
    schema = getattr(cls, "model_json_schema", None)
    name = f"{cls.__module__}.{cls.__qualname__}"
    if callable(schema):
        return {"$class": name, "schema": _plain(schema())}
    # A dataclass or TypedDict (openai's parse() takes them through pydantic's TypeAdapter):
    # its name alone would key a redefined class (a notebook cell run again) like the old one.
    try:
        import pydantic

        return {"$class": name, "schema": _plain(pydantic.TypeAdapter(cls).json_schema())}
    except Exception:  # no pydantic, or a class it cannot describe (the SDK rejects it too)
        return {"$class": name}


def _plain(value: object, drop_none: bool = True) -> object:
    """``value`` as JSON-ready data with a stable form (floats 1.0 and 1 alike).

    ``drop_none=False`` keeps a ``None`` inside mappings: in a parameter it is sent as
    ``null`` and can mean something (a JSON schema's ``"const": null`` or ``"default":
    null``); in a message ``None`` and absent mean the same, so messages drop it.
    """
    if type(value) is str or value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return int(value) if value.is_integer() else value
        return repr(value)
    if isinstance(value, Mapping):
        drop = _unset if drop_none else _sentinel
        return {str(k): _plain(v, drop_none) for k, v in value.items() if not drop(v)}
    if isinstance(value, (list, tuple)):
        return [_plain(v, drop_none) for v in value]
    if isinstance(value, type):
        return _class_form(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return _plain(dump(mode="json", exclude_none=True), drop_none)
    raise _Unreadable(type(value).__name__)


def _str_dicts(messages: list[object]) -> bool:
    """Every message a dict of ``str`` keys and values: already its own plain form (the
    common case, read as it is instead of copied by :func:`_plain`)."""
    for message in messages:
        if type(message) is not dict:
            return False
        for key, value in message.items():
            if type(key) is not str or type(value) is not str:
                return False
    return True


# One encoder for every digest: json.dumps with options builds a new one per call.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(document: object) -> str:
    text = _CANONICAL_JSON.encode(document)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _check_history(history: str) -> None:
    if history not in ("full", "last_user_only"):
        raise ConfigError(f"history must be 'full' or 'last_user_only', not {history!r}")


def _part_type(part: Mapping[str, object]) -> object:
    # A part without a type is text only when it holds nothing but text: {"image_url": ...}
    # or {"text": ..., "image_url": ...} is not.
    if "type" in part:
        return part["type"]
    return "text" if set(part) <= _TYPELESS_TEXT_KEYS else None


def _parts_text(content: object) -> tuple[str, bool]:
    """(text of the content, True if it holds a non-text part)."""
    if isinstance(content, str):
        return content, False
    if not isinstance(content, list):
        return "", content is not None
    texts: list[str] = []
    other = False
    for part in content:
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, Mapping) and (kind := _part_type(part)) in _TEXT_PARTS:
            text = part.get("refusal" if kind == "refusal" else "text")
            if isinstance(text, str):
                texts.append(text)
            else:  # not text after all ({"text": {"value": ...}}): not dropped unread
                other = True
        else:
            other = True
    return "\n".join(t for t in texts if t), other


def _has_non_text(message: Mapping[str, object]) -> bool:
    if message.get("role") in _SYSTEM_ROLES:
        return False
    if message.get("type") in ("input_image", "input_file", "input_audio"):
        return True
    if message.get("audio"):  # an earlier assistant turn given back as audio (by its id)
        return True
    return _parts_text(message.get("content"))[1]


def _is_user(message: Mapping[str, object]) -> bool:
    return message.get("role") == "user" and message.get("type", "message") == "message"


def _split(messages: list[object], history: str) -> tuple[str | None, list[object], str | None]:
    """(query, the messages hashed into the namespace, bypass reason)."""
    dicts = [m for m in messages if isinstance(m, dict)]
    if len(dicts) != len(messages):
        return None, [], "unreadable_request"
    if any(_has_non_text(m) for m in dicts):
        return None, [], "non_text_content"
    last = next((i for i in range(len(dicts) - 1, -1, -1) if _is_user(dicts[i])), None)
    if last is None:
        return None, [], "no_user_message"
    query = _parts_text(dicts[last].get("content"))[0].strip()
    if not query:
        return None, [], "empty_query"
    before = dicts[:last]
    if history == "last_user_only":
        before = [m for m in before if m.get("role") in _SYSTEM_ROLES]
    # The user message itself is hashed without its text (its name, say, still counts);
    # the turns after it (tool results, an assistant prefill) always count.
    own = {k: v for k, v in dicts[last].items() if k != "content"}
    return query, [*before, own, *dicts[last + 1 :]], None


def _build(
    operation: Literal["chat", "responses"],
    messages: object,
    params: Mapping[str, object],
    skip: frozenset[str],
    *,
    provider: str,
    base_url: str | None,
    prefix: str | None,
    history: str,
    reason: str | None,
) -> CanonicalRequest:
    _check_history(history)
    model = params.get("model")
    model_name = model if isinstance(model, str) else ""
    stream = params.get("stream") is True
    options = params.get("stream_options")
    include_usage = stream and isinstance(options, Mapping) and options.get("include_usage") is True

    def bypass(why: str, kept: Mapping[str, object] | None = None) -> CanonicalRequest:
        return CanonicalRequest(
            operation, model_name, None, "", False, why, stream, include_usage, kept or {}
        )

    try:
        kept = {
            k: _plain(v, drop_none=False)
            for k, v in params.items()
            if k not in LEFT_OUT and k not in skip and not _unset(v)
        }
        simple = isinstance(messages, list) and _str_dicts(messages)
        plain_messages = messages if simple else _plain(messages)
    except _Unreadable:
        return bypass("unreadable_request")
    if reason is not None:
        return bypass(reason, kept)
    n = kept.get("n")
    if isinstance(n, int) and n > 1:
        return bypass("n_gt_1", kept)
    assert isinstance(plain_messages, list)
    query, context, why = _split(plain_messages, history)
    if why is not None or query is None:
        return bypass(why or "no_user_message", kept)
    document = {
        "v": _FORM_VERSION,
        "op": operation,
        "provider": provider,
        "base_url": (base_url or "").rstrip("/"),
        "prefix": prefix or "",
        "messages": context,
        "params": kept,
    }
    head = f"{prefix}:" if prefix else ""
    namespace = f"{head}{operation}:{_digest(document)}"
    return CanonicalRequest(
        operation, model_name, query, namespace, True, None, stream, include_usage, kept
    )


def chat_request(
    messages: Sequence[object] | None,
    params: Mapping[str, object] | None = None,
    *,
    provider: str = "openai",
    base_url: str | None = None,
    prefix: str | None = None,
    history: History = "full",
) -> CanonicalRequest:
    """The canonical form of a Chat Completions request (``messages`` plus the other kwargs).

    ``params`` are the other keyword arguments of ``chat.completions.create`` (a
    ``"messages"`` key in it is ignored). ``prefix`` is the caller's own namespace part
    (a tenant, an app); it is hashed and also leads the namespace. Raises
    :class:`~semroute.errors.ConfigError` for an unknown ``history``.

    >>> msgs = [
    ...     {"role": "system", "content": "You are terse."},
    ...     {"role": "user", "content": [{"type": "text", "text": "What is 2+2?"}]},
    ... ]
    >>> r = chat_request(msgs, {"model": "gpt-4o-mini"}, prefix="acme")
    >>> r.query, r.namespace.startswith("acme:chat:")
    ('What is 2+2?', True)
    >>> chat_request(msgs, {"model": "gpt-4o-mini", "n": 3}).bypass_reason
    'n_gt_1'
    """
    return _build(
        "chat",
        list(messages) if isinstance(messages, (list, tuple)) else [],
        params or {},
        frozenset({"messages"}),
        provider=provider,
        base_url=base_url,
        prefix=prefix,
        history=history,
        reason=None if isinstance(messages, (list, tuple)) else "no_user_message",
    )


def _unpinned_prompt(prompt: object) -> bool:
    """A stored prompt template without a ``version``: the API uses its current version,
    which can be edited on the server while the request stays the same."""
    if _unset(prompt):
        return False
    if isinstance(prompt, Mapping):
        return _unset(prompt.get("version"))
    dump = getattr(prompt, "model_dump", None)
    return not callable(dump) or _unset(dump().get("version"))


def responses_request(
    params: Mapping[str, object],
    *,
    provider: str = "openai",
    base_url: str | None = None,
    prefix: str | None = None,
    history: History = "full",
) -> CanonicalRequest:
    """The canonical form of a Responses API request (``responses.create`` kwargs).

    ``input`` (a string, or a list of items) gives the query as its last user message;
    ``instructions`` is hashed like a system message. Calls that continue server-side
    state (``previous_response_id``, ``conversation``, ``background=True``, given as
    arguments or in ``extra_body``) and a stored ``prompt`` without a ``version`` are not
    cacheable: the request alone does not say what the answer depends on.

    >>> responses_request({"model": "gpt-4o-mini", "input": "Hello there"}).query
    'Hello there'
    >>> responses_request({"model": "m", "input": "Hi", "previous_response_id": "r_1"}).cacheable
    False
    """
    # The state may also come through extra_body, which the SDK merges into the request.
    extra = params.get("extra_body")
    sources = (params, extra) if isinstance(extra, Mapping) else (params,)
    reason = next(
        (
            k
            for source in sources
            for k in _RESPONSES_STATE
            if not _unset(source.get(k)) and source.get(k) is not False
        ),
        None,
    )
    if reason is None and _unpinned_prompt(params.get("prompt")):
        reason = "prompt_unpinned"
    raw = params.get("input")
    if isinstance(raw, str):
        items: list[object] = [{"role": "user", "content": raw}]
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        items = []
    return _build(
        "responses",
        items,
        params,
        frozenset({"input", *_RESPONSES_STATE}),
        provider=provider,
        base_url=base_url,
        prefix=prefix,
        history=history,
        reason=reason,
    )
