"""semroute.chat.request: the query, the namespace and the never-cached requests."""

from __future__ import annotations

import doctest
from typing import Any

import pytest

import semroute.chat.request as request_module
from semroute.chat.request import LEFT_OUT, REASONS, chat_request, responses_request
from semroute.errors import ConfigError

USER = {"role": "user", "content": "What is your refund policy?"}
SYSTEM = {"role": "system", "content": "You are the support bot of ACME."}
BASE: dict[str, Any] = {"model": "gpt-4o-mini"}

# Each parameter that changes the answer, with two values that must key apart.
CHANGES_ANSWER: list[tuple[str, object, object]] = [
    ("model", "gpt-4o-mini", "gpt-4o"),
    (
        "tools",
        [{"type": "function", "function": {"name": "a"}}],
        [{"type": "function", "function": {"name": "b"}}],
    ),
    ("functions", [{"name": "a"}], [{"name": "b"}]),
    ("function_call", "auto", "none"),
    ("tool_choice", "auto", "required"),
    ("parallel_tool_calls", True, False),
    ("response_format", {"type": "text"}, {"type": "json_object"}),
    ("temperature", 0.0, 0.7),
    ("top_p", 0.5, 0.9),
    ("n", 1, None),
    ("seed", 1, 2),
    ("max_tokens", 10, 20),
    ("max_completion_tokens", 10, 20),
    ("stop", "\n", ["END"]),
    ("logit_bias", {"50256": -100}, {"50256": 100}),
    ("logprobs", True, False),
    ("top_logprobs", 1, 2),
    ("frequency_penalty", 0.1, 0.2),
    ("presence_penalty", 0.1, 0.2),
    ("reasoning_effort", "low", "high"),
    ("verbosity", "low", "high"),
    ("modalities", ["text"], ["text", "audio"]),
    ("audio", {"voice": "alloy", "format": "wav"}, {"voice": "echo", "format": "wav"}),
    ("prediction", {"type": "content", "content": "a"}, {"type": "content", "content": "b"}),
    ("web_search_options", {"search_context_size": "low"}, {"search_context_size": "high"}),
    ("extra_body", {"top_k": 1}, {"top_k": 2}),
    ("extra_query", {"api-version": "1"}, {"api-version": "2"}),
    ("some_future_parameter", 1, 2),  # unknown: assumed to change the answer
]

# Each parameter that does not: any value keys the same as leaving it out.
LEFT_OUT_VALUES: list[tuple[str, object]] = [
    ("stream", True),
    ("stream_options", {"include_usage": True}),
    ("user", "user-42"),
    ("safety_identifier", "hash-42"),
    ("metadata", {"trace": "x"}),
    ("store", True),
    ("prompt_cache_key", "k"),
    ("prompt_cache_retention", "24h"),
    ("service_tier", "flex"),
    ("extra_headers", {"X-Trace": "1"}),
    ("timeout", 3.0),
]


def ns(messages: list[Any] | None = None, **params: Any) -> str:
    r = chat_request(messages or [SYSTEM, USER], {**BASE, **params})
    assert r.cacheable, r.bypass_reason
    return r.namespace


@pytest.mark.parametrize(("name", "a", "b"), CHANGES_ANSWER, ids=[c[0] for c in CHANGES_ANSWER])
def test_each_parameter_that_changes_the_answer_changes_the_namespace(
    name: str, a: object, b: object
) -> None:
    with_a = ns(**{name: a})
    assert with_a != ns(**{name: b})
    assert with_a == ns(**{name: a})
    if name != "model":
        assert with_a != ns(), "given and absent must key apart"


@pytest.mark.parametrize(("name", "value"), LEFT_OUT_VALUES, ids=[c[0] for c in LEFT_OUT_VALUES])
def test_each_left_out_parameter_keeps_the_namespace(name: str, value: object) -> None:
    assert ns(**{name: value}) == ns()


def test_the_tables_cover_the_documented_left_out_list() -> None:
    assert {name for name, _ in LEFT_OUT_VALUES} == set(LEFT_OUT)


def test_provider_base_url_and_prefix_change_the_namespace() -> None:
    def key(**kw: Any) -> str:
        return chat_request([USER], BASE, **kw).namespace

    assert key(provider="openai") != key(provider="azure")
    assert key(base_url="https://a.example/v1") != key(base_url="https://b.example/v1")
    assert key(base_url="https://a.example/v1") == key(base_url="https://a.example/v1/")
    assert key(prefix="tenant-a") != key(prefix="tenant-b")
    assert key(prefix="tenant-a").startswith("tenant-a:chat:")
    assert key().startswith("chat:")


def test_system_and_developer_messages_change_the_namespace_not_the_query() -> None:
    plain = chat_request([USER], BASE)
    system = chat_request([SYSTEM, USER], BASE)
    other = chat_request([{"role": "system", "content": "You are a pirate."}, USER], BASE)
    developer = chat_request([{"role": "developer", "content": "You are a pirate."}, USER], BASE)
    assert plain.query == system.query == other.query == developer.query == USER["content"]
    assert len({plain.namespace, system.namespace, other.namespace, developer.namespace}) == 4


def test_a_long_system_prompt_never_reaches_the_query() -> None:
    long_system = {"role": "system", "content": "Reset passwords politely. " * 500}
    assert chat_request([long_system, USER], BASE).query == "What is your refund policy?"


def test_the_query_is_the_text_parts_of_the_last_user_message() -> None:
    msgs = [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "second"}, {"type": "text", "text": "question"}],
        },
    ]
    assert chat_request(msgs, BASE).query == "second\nquestion"


def test_text_in_parts_or_string_and_its_name_key_the_same() -> None:
    as_parts = {"role": "user", "content": [{"type": "text", "text": "hello"}]}
    assert (
        chat_request([as_parts], BASE).namespace
        == chat_request([{"role": "user", "content": "hello"}], BASE).namespace
    )
    named = {"role": "user", "content": "hello", "name": "bob"}
    assert (
        chat_request([named], BASE).namespace
        != chat_request([{"role": "user", "content": "hello"}], BASE).namespace
    )


def conversation(first_q: str, first_a: str) -> list[dict[str, Any]]:
    return [
        SYSTEM,
        {"role": "user", "content": first_q},
        {"role": "assistant", "content": first_a},
        {"role": "user", "content": "And in Spanish?"},
    ]


def test_full_history_keys_each_conversation_prefix_apart() -> None:
    a = chat_request(conversation("Say hello", "Hello"), BASE)
    b = chat_request(conversation("Say goodbye", "Goodbye"), BASE)
    again = chat_request(conversation("Say hello", "Hello"), BASE)
    assert a.query == b.query == "And in Spanish?"
    assert a.namespace != b.namespace
    assert a.namespace == again.namespace


def test_last_user_only_shares_across_conversations_but_keeps_the_system_prompt() -> None:
    a = chat_request(conversation("Say hello", "Hello"), BASE, history="last_user_only")
    b = chat_request(conversation("Say goodbye", "Goodbye"), BASE, history="last_user_only")
    single = chat_request([SYSTEM, {"role": "user", "content": "And in Spanish?"}], BASE)
    assert a.namespace == b.namespace == single.namespace
    other_system = conversation("Say hello", "Hello")
    other_system[0] = {"role": "system", "content": "You are a pirate."}
    assert chat_request(other_system, BASE, history="last_user_only").namespace != a.namespace


def test_turns_after_the_last_user_message_always_count() -> None:
    call = {
        "role": "assistant",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ],
    }
    msgs_a = [USER, call, {"role": "tool", "tool_call_id": "c1", "content": "sunny"}]
    msgs_b = [USER, call, {"role": "tool", "tool_call_id": "c1", "content": "rain"}]
    for history in ("full", "last_user_only"):
        a = chat_request(msgs_a, BASE, history=history)
        b = chat_request(msgs_b, BASE, history=history)
        assert a.query == b.query == USER["content"]
        assert a.namespace != b.namespace
        assert a.namespace != chat_request([USER], BASE, history=history).namespace


def test_unknown_history_mode_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        chat_request([USER], BASE, history="everything")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("messages", "params", "reason"),
    [
        (
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this?"},
                        {"type": "image_url", "image_url": {"url": "data:x"}},
                    ],
                }
            ],
            {},
            "non_text_content",
        ),
        (
            [
                {
                    "role": "user",
                    "content": [
                        {"type": "input_audio", "input_audio": {"data": "x", "format": "wav"}}
                    ],
                }
            ],
            {},
            "non_text_content",
        ),
        (
            [{"role": "user", "content": [{"type": "file", "file": {"file_id": "f"}}]}],
            {},
            "non_text_content",
        ),
        (
            [
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]},
                {"role": "assistant", "content": "a cat"},
                USER,
            ],
            {},
            "non_text_content",
        ),
        ([USER], {"n": 2}, "n_gt_1"),
        ([SYSTEM], {}, "no_user_message"),
        ([], {}, "no_user_message"),
        ([{"role": "user", "content": "   "}], {}, "empty_query"),
        ([USER], {"extra_body": {"hook": object()}}, "unreadable_request"),
        ([USER, "not a message"], {}, "unreadable_request"),
    ],
)
def test_requests_that_are_never_cached_say_why(
    messages: list[Any], params: dict[str, Any], reason: str
) -> None:
    r = chat_request(messages, {**BASE, **params})
    assert not r.cacheable
    assert r.bypass_reason == reason
    assert reason in REASONS
    assert r.query is None


def test_messages_that_are_not_a_list_are_no_user_message() -> None:
    r = chat_request(None, BASE)
    assert (r.cacheable, r.bypass_reason) == (False, "no_user_message")


def test_sentinels_and_none_count_as_absent() -> None:
    class NotGiven:
        pass

    assert ns(temperature=NotGiven(), top_p=None) == ns()


def test_integral_floats_key_like_ints_and_key_order_does_not_matter() -> None:
    assert ns(temperature=1) == ns(temperature=1.0)
    assert ns(logit_bias={"1": 2, "3": 4}) == ns(logit_bias={"3": 4, "1": 2})


def test_pydantic_messages_and_response_format_classes_are_read() -> None:
    pydantic = pytest.importorskip("pydantic")

    class Message(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        role: str
        content: str | None = None
        refusal: str | None = None

    class Answer(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        city: str

    class Other(pydantic.BaseModel):  # type: ignore[name-defined,misc]
        country: str

    as_model = [USER, Message(role="assistant", content="hi"), {"role": "user", "content": "next"}]
    as_dict = [USER, {"role": "assistant", "content": "hi"}, {"role": "user", "content": "next"}]
    assert chat_request(as_model, BASE).namespace == chat_request(as_dict, BASE).namespace
    assert ns(response_format=Answer) != ns(response_format=Other)
    assert ns(response_format=Answer) == ns(response_format=Answer)


def test_stream_flags_and_params_are_reported() -> None:
    r = chat_request(
        [USER],
        {**BASE, "stream": True, "stream_options": {"include_usage": True}, "temperature": 0.2},
    )
    assert (r.stream, r.include_usage, r.model, r.operation) == (True, True, "gpt-4o-mini", "chat")
    assert r.params == {"model": "gpt-4o-mini", "temperature": 0.2}


# -- Responses API ------------------------------------------------------------------------


def test_responses_string_input_is_the_query_and_keys_like_a_one_item_list() -> None:
    as_str = responses_request({**BASE, "input": "Capital of France?"})
    as_list = responses_request(
        {**BASE, "input": [{"role": "user", "content": "Capital of France?"}]}
    )
    assert as_str.query == as_list.query == "Capital of France?"
    assert as_str.namespace == as_list.namespace
    assert as_str.namespace.startswith("responses:")
    assert (
        as_str.namespace[len("responses:") :]
        != chat_request([USER], BASE).namespace[len("chat:") :]
    )


def test_responses_input_parts_and_instructions() -> None:
    items = [
        {"role": "developer", "content": "Be brief."},
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "Capital of Spain?"}],
        },
    ]
    r = responses_request({**BASE, "input": items})
    assert r.query == "Capital of Spain?"
    brief = responses_request({**BASE, "input": "Capital of Spain?", "instructions": "Be brief."})
    long = responses_request(
        {**BASE, "input": "Capital of Spain?", "instructions": "Explain at length."}
    )
    assert brief.namespace != long.namespace
    for name, a, b in [
        ("temperature", 0, 1),
        ("max_output_tokens", 5, 50),
        ("text", {"verbosity": "low"}, {"verbosity": "high"}),
        ("reasoning", {"effort": "low"}, {"effort": "high"}),
        ("tools", [{"type": "web_search"}], []),
    ]:
        ka = responses_request({**BASE, "input": "q", name: a}).namespace
        kb = responses_request({**BASE, "input": "q", name: b}).namespace
        assert ka != kb, name
    for name, value in LEFT_OUT_VALUES:
        assert (
            responses_request({**BASE, "input": "q", name: value}).namespace
            == responses_request({**BASE, "input": "q"}).namespace
        ), name


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"previous_response_id": "resp_1"}, "previous_response_id"),
        ({"conversation": "conv_1"}, "conversation"),
        ({"background": True}, "background"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]},
            "non_text_content",
        ),
        (
            {"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]},
            "non_text_content",
        ),
        ({"input": None}, "no_user_message"),
    ],
)
def test_responses_calls_that_are_never_cached(extra: dict[str, Any], reason: str) -> None:
    r = responses_request({**BASE, "input": "Hello", **extra})
    assert (r.cacheable, r.bypass_reason) == (False, reason)


def test_responses_background_false_is_like_absent() -> None:
    a = responses_request({**BASE, "input": "Hello", "background": False})
    assert a.cacheable
    assert a.namespace == responses_request({**BASE, "input": "Hello"}).namespace


def test_docstring_examples_run() -> None:
    result = doctest.testmod(request_module)
    assert result.attempted >= 5
    assert result.failed == 0
