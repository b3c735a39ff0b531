"""Prune the context inside a chat request, never the instructions or the question.

The caller marks what may be cut: :func:`context_message` builds a message
whose text wraps the passages in ``<context>`` ... ``</context>``. The tags
are plain text, so a marked message is a valid OpenAI-style message whether
or not it is ever pruned, and the model sees where the context begins and
ends. :func:`prune_messages` prunes the text between such tags, and only in
messages that are neither ``system``/``developer`` instructions nor the last
user message (the question). Everything else is returned as given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from semroute.errors import InputError, InputTypeError
from semroute.pruning.prune import CHUNK_SEPARATOR, Pruned, Pruner

__all__ = ["CONTEXT_CLOSE", "CONTEXT_OPEN", "PrunedMessages", "context_message", "prune_messages"]

#: The tags that mark prunable context inside a message's text.
CONTEXT_OPEN = "<context>"
CONTEXT_CLOSE = "</context>"
_BLOCK = re.compile(re.escape(CONTEXT_OPEN) + r"\n?(.*?)\n?" + re.escape(CONTEXT_CLOSE), re.S)
_INSTRUCTION_ROLES = frozenset({"system", "developer"})

Message = dict[str, Any]


@dataclass(frozen=True)
class PrunedMessages:
    """The result of :func:`prune_messages`.

    ``messages``: the request with its context blocks pruned (new dicts where
    something changed, the caller's own dicts elsewhere; the input is never
    modified). ``blocks``: one :class:`~semroute.Pruned` per pruned block, in
    order. Token counts are under the pruner's tokenizer and cover the
    context blocks only.
    """

    messages: list[Message]
    blocks: tuple[Pruned, ...]

    @property
    def original_tokens(self) -> int:
        """Tokens in the context blocks before pruning."""
        return sum(b.original_tokens for b in self.blocks)

    @property
    def kept_tokens(self) -> int:
        """Tokens in the context blocks after pruning."""
        return sum(b.kept_tokens for b in self.blocks)


def context_message(
    passages: str | Sequence[str | tuple[str, str] | Mapping[str, str]],
    *,
    role: str = "user",
    intro: str = "",
) -> Message:
    """A chat message holding retrieved passages, marked as prunable context.

    ``passages``: one string, or a list of strings, ``(title, text)`` pairs or
    ``{"title": ..., "text": ...}`` dicts (a title goes on its own first line:
    the pruner keeps it with any sentence it keeps from that passage).
    ``intro`` is text before the block (never pruned), e.g. ``"Use these
    documents:"``. Put the question in its own, last user message.

    >>> m = context_message([("Paris", "Paris is in France."), "Cats purr."])
    >>> m["role"], m["content"]
    ('user', '<context>\\nParis\\nParis is in France.\\n\\nCats purr.\\n</context>')
    """
    if not isinstance(role, str) or not role:
        raise InputTypeError("role must be a non-empty str")
    if not isinstance(intro, str):
        raise InputTypeError("intro must be str")
    if isinstance(passages, str):
        texts = [passages]
    elif isinstance(passages, Sequence):
        texts = [_passage_text(p) for p in passages]
    else:
        raise InputTypeError(
            f"passages must be str or a sequence of passages, not {type(passages).__name__}"
        )
    body = CHUNK_SEPARATOR.join(t for t in texts if t.strip())
    if not body.strip():
        raise InputError("no passage text to put in the context message")
    if CONTEXT_OPEN in body or CONTEXT_CLOSE in body:
        raise InputError(f"passages must not contain {CONTEXT_OPEN} or {CONTEXT_CLOSE}")
    block = f"{CONTEXT_OPEN}\n{body}\n{CONTEXT_CLOSE}"
    return {"role": role, "content": f"{intro}\n{block}" if intro else block}


def _passage_text(p: object) -> str:
    if isinstance(p, str):
        return p.strip()
    if isinstance(p, tuple) and len(p) == 2 and all(isinstance(x, str) for x in p):
        title, text = p
    elif isinstance(p, Mapping) and isinstance(p.get("text"), str):
        title, text = p.get("title") or "", p["text"]
        if not isinstance(title, str):
            raise InputTypeError("a passage's title must be str")
    else:
        raise InputTypeError(
            "each passage must be str, a (title, text) pair or a dict with 'text' (and 'title')"
        )
    # A newline inside a passage would read as a passage break to nobody,
    # but a blank line would: keep each passage one block.
    text = re.sub(r"\n\s*\n", "\n", text.strip())
    title = " ".join(title.split())
    return f"{title}\n{text}" if title else text


def prune_messages(
    messages: Sequence[Mapping[str, Any]],
    *,
    ratio: float = 0.5,
    query: str | None = None,
    pruner: Pruner | None = None,
) -> PrunedMessages:
    """Prune the marked context blocks of a chat request to ``ratio`` of their tokens.

    Only text between ``<context>`` and ``</context>`` (see
    :func:`context_message`) is pruned, and never inside a ``system`` or
    ``developer`` message or the last user message. The query is the last
    user message's text unless given. Messages whose content is a list of
    parts (OpenAI's ``{"type": "text", "text": ...}``) are pruned part by part.
    ``pruner``: a configured :class:`~semroute.Pruner` (default: the shared
    one). Raises ``InputTypeError`` for messages that are not dicts with a
    ``role``, ``InputError`` for a bad ratio.

    >>> from semroute import Pruner
    >>> msgs = [
    ...     {"role": "system", "content": "Answer briefly."},
    ...     context_message(["Paris is in France. The sky is blue.", "Cats purr."]),
    ...     {"role": "user", "content": "Where is Paris?"},
    ... ]
    >>> out = prune_messages(msgs, ratio=0.4, pruner=Pruner(lexical_weight=1.0))
    >>> out.messages[1]["content"]
    '<context>\\nParis is in France.\\n</context>'
    >>> out.messages[0] is msgs[0] and out.messages[2] is msgs[2]
    True
    """
    if isinstance(messages, (str, bytes, Mapping)) or not isinstance(messages, Sequence):
        raise InputTypeError("messages must be a sequence of message dicts")
    for m in messages:
        if not isinstance(m, Mapping) or not isinstance(m.get("role"), str):
            raise InputTypeError("each message must be a dict with a str 'role'")
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)):
        raise InputTypeError("ratio must be a number")
    if not 0.0 < ratio <= 1.0:
        raise InputError(f"ratio must be in (0, 1], not {ratio}")
    if query is not None and not isinstance(query, str):
        raise InputTypeError("query must be str or None")
    last_user = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=-1)
    if query is None and last_user >= 0:
        query = _text_of(messages[last_user].get("content")) or None
    if query is not None and not query.strip():
        query = None
    if pruner is None:
        from semroute.pruning.prune import _default_pruner

        pruner = _default_pruner()

    blocks: list[Pruned] = []

    def cut(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            body = match.group(1)
            if not body.strip():
                return match.group(0)
            r = pruner.prune(body, query=query, ratio=ratio)
            blocks.append(r)
            return f"{CONTEXT_OPEN}\n{r.text}\n{CONTEXT_CLOSE}"

        return _BLOCK.sub(one, text)

    out: list[Message] = []
    for i, m in enumerate(messages):
        content = m.get("content")
        if i == last_user or m["role"] in _INSTRUCTION_ROLES or not _has_block(content):
            out.append(m)  # type: ignore[arg-type]
            continue
        new = dict(m)
        if isinstance(content, str):
            new["content"] = cut(content)
        elif isinstance(content, list):
            new["content"] = [
                {**part, "text": cut(part["text"])} if _is_text_part(part) else part
                for part in content
            ]
        out.append(new)
    return PrunedMessages(out, tuple(blocks))


def _is_text_part(part: object) -> bool:
    return (
        isinstance(part, Mapping)
        and part.get("type") == "text"
        and isinstance(part.get("text"), str)
    )


def _has_block(content: object) -> bool:
    if isinstance(content, str):
        return CONTEXT_OPEN in content
    if isinstance(content, list):
        return any(_is_text_part(p) and CONTEXT_OPEN in p["text"] for p in content)
    return False


def _text_of(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p["text"] for p in content if _is_text_part(p))
    return ""
