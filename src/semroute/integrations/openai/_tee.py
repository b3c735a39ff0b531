"""Streams on a miss: the caller's chunks pass through unchanged while the answer is rebuilt
from them, and reported once when the stream ends (stored only after a normal end)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from semroute.integrations.openai._objects import dump

#: Called once when a teed stream ends: (the rebuilt body or None, why it is None).
OnEnd = Callable[[dict[str, Any] | None, str | None], None]


class _ChatAccumulator:
    """Rebuilds the completion from its chunks: text, refusal, tool calls, finish reason, usage.

    Written here rather than using the SDK's ``ChatCompletionStreamState``, which builds
    parsed snapshots per chunk and cost ~1 ms per chunk on the benchmark machine. A chunk
    it cannot read, or one with logprobs, audio or a structured field the SDK does not define,
    marks the stream unusable: nothing is stored, and the caller's chunks flow on regardless.
    A text field the SDK does not define (another provider's ``reasoning_content``) is joined
    and kept, like the content.
    """

    def __init__(self) -> None:
        self._head: dict[str, Any] | None = None
        self._choices: dict[int, dict[str, Any]] = {}
        self._usage: Any = None
        self._broken = False

    def add(self, chunk: Any) -> None:
        if self._broken:
            return
        try:
            self._add(chunk)
        except Exception:
            self._broken = True

    def _add(self, chunk: Any) -> None:
        if self._head is None:
            self._head = {
                "id": chunk.id,
                "object": "chat.completion",
                "created": chunk.created,
                "model": chunk.model,
            }
            if getattr(chunk, "system_fingerprint", None) is not None:
                self._head["system_fingerprint"] = chunk.system_fingerprint
        if chunk.usage is not None:
            self._usage = chunk.usage.model_dump(mode="json", exclude_unset=True)
        for choice in chunk.choices:
            if choice.logprobs is not None:
                self._broken = True
                return
            state = self._choices.setdefault(
                choice.index,
                {
                    "text": [],
                    "refusal": [],
                    "calls": {},
                    "legacy": None,
                    "end": None,
                    "extra": {},
                },
            )
            delta = choice.delta
            if getattr(delta, "audio", None) is not None:
                self._broken = True  # a spoken answer: its audio is not rebuilt here
                return
            for name, value in (delta.model_extra or {}).items():
                if isinstance(value, str):
                    # Text a provider streams beside the answer (``reasoning_content``...):
                    # its pieces join like the content's, and the rebuilt message keeps it.
                    state["extra"].setdefault(name, []).append(value)
                elif value is not None:
                    # Audio, annotations or any structured field: not rebuilt here, and an
                    # answer stored without it would be served as if whole.
                    self._broken = True
                    return
            if delta.content:
                state["text"].append(delta.content)
            if getattr(delta, "refusal", None):
                state["refusal"].append(delta.refusal)
            for call in delta.tool_calls or ():
                slot = state["calls"].setdefault(
                    call.index, {"id": None, "type": "function", "name": [], "args": []}
                )
                slot["id"] = call.id or slot["id"]
                slot["type"] = call.type or slot["type"]
                if call.function is not None:
                    slot["name"].append(call.function.name or "")
                    slot["args"].append(call.function.arguments or "")
            legacy = getattr(delta, "function_call", None)
            if legacy is not None:
                old = state["legacy"] or {"name": "", "arguments": ""}
                state["legacy"] = {
                    "name": old["name"] + (legacy.name or ""),
                    "arguments": old["arguments"] + (legacy.arguments or ""),
                }
            if choice.finish_reason is not None:
                state["end"] = choice.finish_reason

    def body(self) -> dict[str, Any] | None:
        if self._broken or self._head is None:
            return None
        choices = []
        for index in sorted(self._choices):
            state = self._choices[index]
            message: dict[str, Any] = {
                "role": "assistant",
                "content": "".join(state["text"]) if state["text"] else None,
                "refusal": "".join(state["refusal"]) if state["refusal"] else None,
            }
            if state["calls"]:
                message["tool_calls"] = [
                    {
                        "id": slot["id"],
                        "type": slot["type"],
                        "function": {
                            "name": "".join(slot["name"]),
                            "arguments": "".join(slot["args"]),
                        },
                    }
                    for _, slot in sorted(state["calls"].items())
                ]
            if state["legacy"] is not None:
                message["function_call"] = state["legacy"]
            for name, pieces in state["extra"].items():
                message.setdefault(name, "".join(pieces))
            choices.append(
                {
                    "index": index,
                    "message": message,
                    "finish_reason": state["end"],
                    "logprobs": None,
                }
            )
        return {**self._head, "choices": choices, "usage": self._usage}


class _ResponsesAccumulator:
    """Keeps the full response carried by the ``response.completed`` event."""

    def __init__(self) -> None:
        self._final: Any = None

    def add(self, event: Any) -> None:
        if getattr(event, "type", None) == "response.completed":
            self._final = event.response

    def body(self) -> dict[str, Any] | None:
        return None if self._final is None else dump(self._final)


def accumulator(operation: str) -> _ChatAccumulator | _ResponsesAccumulator:
    return _ChatAccumulator() if operation == "chat" else _ResponsesAccumulator()


class _Once:
    """Calls ``on_end`` exactly once, whichever way the stream ends."""

    def __init__(self, on_end: OnEnd) -> None:
        self._on_end = on_end
        self.done = False

    def __call__(self, body: dict[str, Any] | None, reason: str | None) -> None:
        if not self.done:
            self.done = True
            self._on_end(body, reason)


def tee(stream: Any, operation: str, on_end: OnEnd) -> Any:
    """Let ``stream`` through unchanged and report the rebuilt body when it ends normally.

    An exception (propagated), an early ``close()`` (or leaving a ``with`` block) or a
    stream dropped unfinished reports ``None`` with the reason; only a normal end
    reports the body.
    """
    acc = accumulator(operation)
    inner = stream._iterator
    end = _Once(on_end)

    def iterate() -> Any:
        try:
            for item in inner:
                acc.add(item)
                yield item
        except GeneratorExit:
            end(None, "stream_closed_early")
            raise
        except BaseException as exc:
            end(None, f"error:{type(exc).__name__}")
            raise
        body = acc.body()
        end(body, None if body is not None else "stream_incomplete")

    gen = iterate()
    close = stream.close

    def close_early() -> None:
        gen.close()
        end(None, "stream_closed_early")
        close()

    stream._iterator = gen
    stream.close = close_early
    return stream


def atee(stream: Any, operation: str, on_end: OnEnd) -> Any:
    """The ``AsyncStream`` twin of :func:`tee`."""
    acc = accumulator(operation)
    inner = stream._iterator
    end = _Once(on_end)

    async def iterate() -> Any:
        try:
            async for item in inner:
                acc.add(item)
                yield item
        except GeneratorExit:
            end(None, "stream_closed_early")
            raise
        except BaseException as exc:
            end(None, f"error:{type(exc).__name__}")
            raise
        body = acc.body()
        end(body, None if body is not None else "stream_incomplete")

    gen = iterate()
    close = stream.close

    async def close_early() -> None:
        await gen.aclose()
        end(None, "stream_closed_early")
        await close()

    stream._iterator = gen
    stream.close = close_early
    return stream
