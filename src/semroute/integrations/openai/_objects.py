"""Stored JSON back into the SDK's own objects, and the SDK's objects into stored JSON.

A hit becomes a real ``ChatCompletion`` (or ``ParsedChatCompletion``, ``Response``) with a
fresh id and ``created``, the stored model name and zero usage (nothing was billed for it);
a streamed hit becomes a real ``Stream`` / ``AsyncStream`` of the chunks a server would have
sent (chat), or reading server-sent events built here (Responses API), which the SDK's own
decoder parses.
"""

from __future__ import annotations

import json
import os
import sys
import time
import weakref
from collections.abc import AsyncIterator, Iterable, Mapping
from types import ModuleType
from typing import Any, cast

import openai
import pydantic
from openai._models import construct_type
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.responses import Response, ResponseStreamEvent

_ZERO_CHAT_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
_ZERO_RESPONSES_USAGE = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}


def _zeroed(usage: Any, default: Mapping[str, int]) -> Any:
    """The stored usage with every count set to 0 (same shape, so every SDK version reads it)."""
    if isinstance(usage, Mapping):
        return {k: _zeroed(v, {}) for k, v in usage.items()} if usage else dict(default)
    if isinstance(usage, int) and not isinstance(usage, bool):
        return 0
    return usage if default == {} else dict(default)


def _build(cls: Any, body: Mapping[str, Any]) -> Any:
    """The SDK object for a stored body: validated (pydantic-core, ~25 µs), or, for a body
    stored by another SDK version that no longer validates (a field made required since),
    the SDK's own lenient constructor used for API responses (~350 µs)."""
    try:
        return cls.model_validate(dict(body))
    except pydantic.ValidationError:
        return construct_type(type_=cls, value=dict(body))


def dump(obj: Any) -> dict[str, Any]:
    """The JSON body of an SDK response object, without ``parse()``'s parsed values."""
    # warnings=False: parse() types `parsed` loosely; it is dropped below anyway.
    body: dict[str, Any] = obj.model_dump(mode="json", exclude_unset=True, warnings=False)
    for choice in body.get("choices") or ():
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict):
            message.pop("parsed", None)
            for call in message.get("tool_calls") or ():
                if isinstance(call, dict) and isinstance(call.get("function"), dict):
                    call["function"].pop("parsed_arguments", None)
    for item in body.get("output") or ():
        if isinstance(item, dict):
            item.pop("parsed_arguments", None)
            for part in item.get("content") or ():
                if isinstance(part, dict):
                    part.pop("parsed", None)
    return body


def fresh_chat(body: Mapping[str, Any]) -> dict[str, Any]:
    """The stored completion as served now: new id and time, nothing billed."""
    return {
        **body,
        "id": f"chatcmpl-{os.urandom(16).hex()}",
        "created": int(time.time()),
        "usage": _zeroed(body.get("usage"), _ZERO_CHAT_USAGE),
    }


def fresh_response(body: Mapping[str, Any]) -> dict[str, Any]:
    """The stored Responses API response as served now: new id and time, nothing billed."""
    return {
        **body,
        "id": f"resp_{os.urandom(16).hex()}",
        "created_at": float(int(time.time())),
        "usage": _zeroed(body.get("usage"), _ZERO_RESPONSES_USAGE),
    }


def chat_completion(body: Mapping[str, Any]) -> ChatCompletion:
    """A real ``ChatCompletion`` from its JSON body."""
    return cast(ChatCompletion, _build(ChatCompletion, body))


def parsed_completion(body: Mapping[str, Any], kwargs: Mapping[str, Any]) -> Any:
    """A ``ParsedChatCompletion`` as ``chat.completions.parse`` returns it, by the SDK's parser."""
    from openai.lib._parsing._completions import parse_chat_completion

    omit = _omit()
    return parse_chat_completion(
        response_format=kwargs.get("response_format", omit),
        input_tools=kwargs.get("tools", omit),
        chat_completion=chat_completion(body),
    )


def response_object(body: Mapping[str, Any]) -> Response:
    """A real Responses API ``Response`` from its JSON body."""
    return cast(Response, _build(Response, body))


class _Replay:
    """Stands in for the SDK's ``Responses`` resource so that its own ``parse`` method turns
    a stored response into the ``ParsedResponse`` it would have returned: the method builds
    its parser from the caller's arguments (``text_format``, tools; ``parse_as`` in newer
    SDKs) and hands it to ``_post``, which here applies it to the stored response instead
    of sending a request."""

    def __init__(self, response: Response) -> None:
        self._response = response

    def _post(self, *_: Any, options: Mapping[str, Any], **__: Any) -> Any:
        parser = options.get("post_parser")
        return parser(self._response) if callable(parser) else self._response


def parsed_response(body: Mapping[str, Any], kwargs: Mapping[str, Any]) -> Any:
    """A ``ParsedResponse`` as ``responses.parse`` returns it, by the SDK's own parse method."""
    from openai.resources.responses import Responses

    return Responses.parse(cast(Any, _Replay(response_object(body))), **kwargs)


def _omit() -> Any:
    # openai >= 1.98 calls the "not passed" sentinel ``omit``; older 1.x ``NOT_GIVEN``.
    return getattr(openai, "omit", None) or openai.NOT_GIVEN


# -- streams ------------------------------------------------------------------------------


_HTTP_OF: dict[type, ModuleType] = {}  # client class -> its HTTP library


def http_module(client: Any) -> ModuleType:
    """The HTTP library the client was built on (``httpx`` for openai 1.x, ``httpx2`` later)."""
    client_type = type(client._client)
    found = _HTTP_OF.get(client_type)
    if found is not None:
        return found
    # The SDK may subclass the library's client (its default client does): walk up to it.
    for cls in client_type.__mro__:
        module = sys.modules.get(cls.__module__.split(".")[0])
        if module is not None and module is not openai and hasattr(module, "Response"):
            _HTTP_OF[client_type] = module
            return module
    raise TypeError(f"cannot tell the HTTP library of {client_type.__name__}")


def _sse(events: Iterable[Mapping[str, Any]], done: bool) -> bytes:
    lines = [f"data: {json.dumps(e, ensure_ascii=False)}\n\n" for e in events]
    if done:
        lines.append("data: [DONE]\n\n")
    return "".join(lines).encode()


# client -> {url: the empty 200 event-stream response every replayed stream of that URL
# carries}: read-only once made (closing it again is a no-op), and building an HTTP
# response (headers, URL) cost more than the rest of a replay.
_RESPONSES: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _replay_response(client: Any, path: str) -> Any:
    url = f"{str(client.base_url).rstrip('/')}/{path}"
    made = _RESPONSES.setdefault(client, {})
    response = made.get(url)
    if response is None:
        http = http_module(client)
        request = http.Request("POST", url)
        headers = {"content-type": "text/event-stream"}
        response = made[url] = http.Response(200, headers=headers, content=b"", request=request)
    return response


def _stream(client: Any, cast_to: Any, payload: bytes, path: str, is_async: bool) -> Any:
    if payload:
        http = http_module(client)
        request = http.Request("POST", f"{str(client.base_url).rstrip('/')}/{path}")
        response = http.Response(
            200, headers={"content-type": "text/event-stream"}, content=payload, request=request
        )
    else:
        response = _replay_response(client, path)
    cls = openai.AsyncStream if is_async else openai.Stream
    return cls(cast_to=cast_to, response=response, client=client)


async def _aiterate(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


def _replay(client: Any, cast_to: Any, items: list[Any], path: str, is_async: bool) -> Any:
    """A real ``Stream`` / ``AsyncStream`` yielding ``items``, the SDK objects it would have
    decoded from the server's events (built here directly: decoding server-sent events
    costs the SDK ~0.1 ms per chunk). Its ``response`` is an empty 200 event stream, one
    per client and URL."""
    stream = _stream(client, cast_to, b"", path, is_async)
    stream._iterator = _aiterate(items) if is_async else iter(items)
    return stream


# The fields of a chat completion's message that a replayed stream carries in its own way.
_MESSAGE_FIELDS = frozenset(
    {"role", "content", "refusal", "tool_calls", "function_call", "audio", "annotations"}
)


def chat_chunks(body: Mapping[str, Any], include_usage: bool) -> list[dict[str, Any]]:
    """The chunks a server would have streamed for this completion."""
    head = {
        "id": body["id"],
        "object": "chat.completion.chunk",
        "created": body["created"],
        "model": body.get("model", ""),
    }
    if body.get("system_fingerprint") is not None:
        head["system_fingerprint"] = body["system_fingerprint"]
    extra = {"usage": None} if include_usage else {}
    chunks: list[dict[str, Any]] = []

    def add(index: int, delta: dict[str, Any], finish: str | None = None) -> None:
        choice = {"index": index, "delta": delta, "finish_reason": finish, "logprobs": None}
        chunks.append({**head, "choices": [choice], **extra})

    for choice in body.get("choices") or ():
        index = choice.get("index", 0)
        message = choice.get("message") or {}
        # Role and whole text in the first chunk: each chunk costs the SDK ~0.1 ms to parse.
        first: dict[str, Any] = {"role": "assistant", "content": message.get("content") or ""}
        if message.get("refusal"):
            first["refusal"] = message["refusal"]
        for name, value in message.items():
            # Text fields the SDK does not define (``reasoning_content``...) stream as deltas.
            if name not in _MESSAGE_FIELDS and isinstance(value, str):
                first[name] = value
        add(index, first)
        for k, call in enumerate(message.get("tool_calls") or ()):
            add(index, {"tool_calls": [{"index": k, **call}]})
        add(index, {}, choice.get("finish_reason") or "stop")
    if include_usage:
        chunks.append({**head, "choices": [], "usage": body.get("usage")})
    return chunks


def chat_replay(client: Any, body: Mapping[str, Any], include_usage: bool, is_async: bool) -> Any:
    """A ``Stream[ChatCompletionChunk]`` (or ``AsyncStream``) replaying a stored completion."""
    chunks = [_build(ChatCompletionChunk, c) for c in chat_chunks(body, include_usage)]
    return _replay(client, ChatCompletionChunk, chunks, "chat/completions", is_async)


def response_events(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The events a server would have streamed for this Responses API response."""
    events: list[dict[str, Any]] = []

    def add(kind: str, **fields: Any) -> None:
        events.append({"type": kind, "sequence_number": len(events), **fields})

    started = {**body, "status": "in_progress", "output": []}
    add("response.created", response=started)
    add("response.in_progress", response=started)
    for out_index, item in enumerate(body.get("output") or ()):
        parts = item.get("content") if item.get("type") == "message" else None
        add(
            "response.output_item.added",
            output_index=out_index,
            item={**item, "status": "in_progress", **({"content": []} if parts else {})},
        )
        for c_index, part in enumerate(parts or ()):
            where = {"item_id": item.get("id"), "output_index": out_index, "content_index": c_index}
            text = part.get("text", "") if part.get("type") == "output_text" else None
            empty = {**part, "text": ""} if text is not None else part
            add("response.content_part.added", **where, part=empty)
            if text is not None:
                add("response.output_text.delta", **where, delta=text, logprobs=[])
                add("response.output_text.done", **where, text=text, logprobs=[])
            add("response.content_part.done", **where, part=part)
        add("response.output_item.done", output_index=out_index, item=item)
    add("response.completed", response=dict(body))
    return events


def responses_replay(client: Any, body: Mapping[str, Any], is_async: bool) -> Any:
    """A ``Stream[ResponseStreamEvent]`` (or ``AsyncStream``) replaying a stored response."""
    payload = _sse(response_events(body), done=False)
    return _stream(client, ResponseStreamEvent, payload, "responses", is_async)


# -- tee on a miss --------------------------------------------------------------------------
