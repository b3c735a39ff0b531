"""Which responses may be stored and served again, and their billed tokens: one policy for all.

The functions read an OpenAI-shaped response as plain JSON (``model_dump(mode="json")``
of a ``ChatCompletion`` or a Responses API ``Response``; LiteLLM's ``ModelResponse`` has the
same shape). A response that must not be stored gives the reason, a key of
:data:`semroute.chat.request.REASONS`.

>>> chat_bypass_reason({"choices": [{"finish_reason": "stop", "message": {"content": "4"}}]})
>>> chat_bypass_reason({"choices": [{"finish_reason": "length", "message": {"content": "..."}}]})
'finish_reason'
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["Usage", "chat_bypass_reason", "responses_bypass_reason", "usage_of"]

# Responses API output items that are an answer; every other item (function_call,
# web_search_call, computer_call...) is a tool call whose result the request does not show.
_ANSWER_ITEMS = frozenset({"message", "reasoning"})


def chat_bypass_reason(body: Mapping[str, object], *, cache_tool_calls: bool = False) -> str | None:
    """Why this chat completion must not be stored, or ``None`` when it may be.

    Not stored: no choices, more than one choice, a finish reason other than ``stop``
    (``tool_calls`` and ``function_call`` are allowed only with ``cache_tool_calls``), a
    message carrying tool or function calls (same exception), or one carrying audio.
    """
    choices = body.get("choices")
    if not isinstance(choices, list) or len(choices) != 1 or not isinstance(choices[0], Mapping):
        return "n_gt_1" if isinstance(choices, list) and len(choices) > 1 else "finish_reason"
    choice = choices[0]
    message = choice.get("message")
    calls = isinstance(message, Mapping) and bool(
        message.get("tool_calls") or message.get("function_call")
    )
    finish = choice.get("finish_reason")
    if calls or finish in ("tool_calls", "function_call"):
        return None if cache_tool_calls else "tool_calls"
    if isinstance(message, Mapping) and message.get("audio"):
        # Spoken answers carry an audio id that expires; given back in a later turn after
        # that, a replayed one would make the next call fail.
        return "non_text_content"
    return None if finish == "stop" else "finish_reason"


def responses_bypass_reason(
    body: Mapping[str, object], *, cache_tool_calls: bool = False
) -> str | None:
    """Why this Responses API response must not be stored, or ``None`` when it may be.

    Not stored: a status other than ``completed`` (incomplete, failed, in progress), or an
    output item that is a tool call (unless ``cache_tool_calls``).
    """
    output = body.get("output")
    items = output if isinstance(output, list) else []
    kinds = {item.get("type") for item in items if isinstance(item, Mapping)}
    if kinds - _ANSWER_ITEMS and not cache_tool_calls:
        return "tool_calls"
    return None if body.get("status") == "completed" else "finish_reason"


class Usage:
    """Billed tokens read from a response's ``usage`` (either API's field names)."""

    __slots__ = ("input_tokens", "output_tokens")

    def __init__(self, input_tokens: int | None, output_tokens: int | None) -> None:
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens

    @property
    def total(self) -> int | None:
        """Input plus output tokens, ``None`` when either is unknown."""
        if self.input_tokens is None or self.output_tokens is None:
            return None
        return self.input_tokens + self.output_tokens


def _count(usage: Mapping[str, object], *names: str) -> int | None:
    for name in names:
        value = usage.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def usage_of(body: Mapping[str, object] | None) -> Usage:
    """The token counts in ``body["usage"]`` (``None`` where absent).

    >>> u = usage_of({"usage": {"prompt_tokens": 12, "completion_tokens": 3}})
    >>> u.input_tokens, u.output_tokens, u.total
    (12, 3, 15)
    >>> usage_of({"usage": None}).total is None
    True
    """
    usage = body.get("usage") if body is not None else None
    if not isinstance(usage, Mapping):
        return Usage(None, None)
    return Usage(
        _count(usage, "prompt_tokens", "input_tokens"),
        _count(usage, "completion_tokens", "output_tokens"),
    )
