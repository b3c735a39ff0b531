"""semroute.pruning.messages: only marked context is pruned; instructions and the question never."""

from __future__ import annotations

import copy

import pytest

import semroute
from semroute.errors import InputError, InputTypeError
from semroute.pruning.messages import (
    CONTEXT_CLOSE,
    CONTEXT_OPEN,
    PrunedMessages,
    context_message,
    prune_messages,
)
from semroute.pruning.prune import Pruner
from tests.fakes import FakeEncoder

PASSAGES = [
    ("Normandy", "The Normans gave their name to Normandy. They came from Denmark and Norway."),
    ("Weather", "The weather was mild that year. The fields were green and the rivers full."),
    ("Markets", "The market was busy on most days. Bread and cheese were sold in the square."),
    ("Hastings", "In 1066 William of Normandy won at Hastings. Harold died in the battle."),
]
SYSTEM = {
    "role": "system",
    "content": f"Answer briefly. {CONTEXT_OPEN}\nnever cut\n{CONTEXT_CLOSE}",
}
QUESTION = {"role": "user", "content": "Who won at Hastings in 1066?"}


def pruner() -> Pruner:
    return Pruner(encoder=FakeEncoder())


def request() -> list[dict]:
    return [SYSTEM, context_message(PASSAGES, intro="Use these documents:"), QUESTION]


def test_context_message_marks_passages_with_titles_on_their_own_line() -> None:
    m = context_message([("T", "a\n\nb"), {"title": "U", "text": "c"}, "d"], role="assistant")
    assert m == {
        "role": "assistant",
        "content": f"{CONTEXT_OPEN}\nT\na\nb\n\nU\nc\n\nd\n{CONTEXT_CLOSE}",
    }
    assert (
        context_message("x", intro="Docs:")["content"]
        == f"Docs:\n{CONTEXT_OPEN}\nx\n{CONTEXT_CLOSE}"
    )


def test_only_the_marked_block_is_pruned_and_the_input_is_untouched() -> None:
    msgs = request()
    before = copy.deepcopy(msgs)
    out = prune_messages(msgs, ratio=0.3, pruner=pruner())
    assert msgs == before
    assert isinstance(out, PrunedMessages) and len(out.blocks) == 1
    assert out.messages[0] is msgs[0] and out.messages[2] is msgs[2]
    content = out.messages[1]["content"]
    assert content.startswith(f"Use these documents:\n{CONTEXT_OPEN}\n")
    assert content.endswith(f"\n{CONTEXT_CLOSE}")
    assert "William of Normandy won at Hastings" in content  # the question's answer
    assert "weather" not in content
    assert 0 < out.kept_tokens <= 0.3 * out.original_tokens
    assert out.messages[1]["role"] == "user"


def test_last_user_message_and_instructions_are_never_pruned() -> None:
    ctx_in_question = {
        "role": "user",
        "content": context_message(PASSAGES)["content"] + "\nWho won?",
    }
    developer = {
        "role": "developer",
        **{k: v for k, v in context_message(PASSAGES).items() if k != "role"},
    }
    msgs = [SYSTEM, developer, ctx_in_question]
    out = prune_messages(msgs, ratio=0.2, pruner=pruner())
    assert out.messages == msgs and out.blocks == ()
    assert all(a is b for a, b in zip(out.messages, msgs, strict=True))


def test_query_defaults_to_the_last_user_message() -> None:
    ask_markets = [
        context_message(PASSAGES),
        {"role": "user", "content": "What was sold in the market square?"},
    ]
    out = prune_messages(ask_markets, ratio=0.3, pruner=pruner())
    assert "Bread and cheese" in out.messages[0]["content"]
    explicit = prune_messages(ask_markets, ratio=0.3, pruner=pruner(), query="Who won at Hastings?")
    assert "Hastings" in explicit.messages[0]["content"]


def test_content_parts_and_several_blocks_are_each_pruned() -> None:
    block = context_message(PASSAGES)["content"]
    msgs = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": block},
                {"type": "image_url", "image_url": {"url": "x"}},
            ],
        },
        {"role": "assistant", "content": block},
        QUESTION,
    ]
    out = prune_messages(msgs, ratio=0.3, pruner=pruner())
    assert len(out.blocks) == 2
    parts = out.messages[0]["content"]
    assert parts[1] is msgs[0]["content"][1]
    assert "Hastings" in parts[0]["text"] and len(parts[0]["text"]) < len(block)
    assert "Hastings" in out.messages[1]["content"]


def test_ratio_one_keeps_the_block() -> None:
    msgs = request()
    out = prune_messages(msgs, ratio=1.0, pruner=pruner())
    assert out.messages[1]["content"] == msgs[1]["content"]


@pytest.mark.parametrize(
    ("messages", "kwargs", "error"),
    [
        ("hi", {}, InputTypeError),
        ([{"content": "no role"}], {}, InputTypeError),
        (["not a dict"], {}, InputTypeError),
        ([QUESTION], {"ratio": 0.0}, InputError),
        ([QUESTION], {"ratio": "half"}, InputTypeError),
        ([QUESTION], {"query": 3}, InputTypeError),
    ],
)
def test_bad_input_raises_typed_errors(messages, kwargs, error) -> None:
    with pytest.raises(error):
        prune_messages(messages, pruner=pruner(), **kwargs)


@pytest.mark.parametrize(
    ("passages", "error"),
    [
        (3, InputTypeError),
        ([("a",)], InputTypeError),
        (["  "], InputError),
        ([f"x {CONTEXT_CLOSE}"], InputError),
    ],
)
def test_context_message_rejects_bad_passages(passages, error) -> None:
    with pytest.raises(error):
        context_message(passages)


def test_exported_lazily_from_semroute() -> None:
    assert semroute.prune_messages is prune_messages
    assert semroute.context_message is context_message
    assert {"prune_messages", "context_message", "PrunedMessages"} <= set(semroute.__all__)
