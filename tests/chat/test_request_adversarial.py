"""Adversarial pairs for semroute.chat: requests that must not share an answer, responses
that must not be stored."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from semroute.chat.request import REASONS, chat_request, responses_request
from semroute.chat.response import chat_bypass_reason

USER = {"role": "user", "content": "What is the capital of France?"}
BASE: dict[str, Any] = {"model": "gpt-4o-mini"}


def ns(messages: list[Any] | None = None, **params: Any) -> str:
    r = chat_request(messages or [USER], {**BASE, **params})
    assert r.cacheable, r.bypass_reason
    return r.namespace


def schema_format(prop: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "properties": {"x": prop}, "required": ["x"]}
    return {"type": "json_schema", "json_schema": {"name": "a", "schema": schema}}


def test_a_null_inside_a_parameter_is_part_of_its_value() -> None:
    # {"const": null} pins x to null; without it x is anything: two different schemas.
    assert ns(response_format=schema_format({"const": None})) != ns(
        response_format=schema_format({})
    )
    tool = {"type": "function", "function": {"name": "f", "parameters": {"default": None}}}
    bare = {"type": "function", "function": {"name": "f", "parameters": {}}}
    assert ns(tools=[tool]) != ns(tools=[bare])
    # At the top level None is still "not passed", and messages still drop it.
    assert ns(top_p=None) == ns()
    named = {**USER, "name": None}
    assert chat_request([named], BASE).namespace == chat_request([USER], BASE).namespace


def test_a_part_without_a_type_that_is_not_text_is_non_text_content() -> None:
    image = {"image_url": {"url": "https://example.com/cat.png"}}
    text = {"type": "text", "text": USER["content"]}
    r = chat_request([{"role": "user", "content": [image, text]}], BASE)
    assert (r.cacheable, r.bypass_reason) == (False, "non_text_content")
    both = {"text": USER["content"], "image_url": {"url": "https://example.com/cat.png"}}
    r = chat_request([{"role": "user", "content": [both]}], BASE)
    assert (r.cacheable, r.bypass_reason) == (False, "non_text_content")
    # A bare {"text": ...} part is still text.
    plain = chat_request([{"role": "user", "content": [{"text": USER["content"]}]}], BASE)
    assert plain.cacheable and plain.namespace == chat_request([USER], BASE).namespace


def test_a_text_part_whose_text_is_not_a_string_is_never_dropped_silently() -> None:
    odd = {"type": "text", "text": {"value": "Answer in German."}}
    r = chat_request([{"role": "user", "content": [odd, {"type": "text", "text": "Hi"}]}], BASE)
    assert not r.cacheable
    # A refusal part (earlier assistant turn) is still text.
    refusal = {"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't."}]}
    assert chat_request([USER, refusal, USER], BASE).cacheable


def _dataclass(source: str) -> type:
    scope: dict[str, Any] = {"dataclasses": dataclasses}
    exec(f"@dataclasses.dataclass\nclass Answer:\n    {source}\n", scope)
    return scope["Answer"]  # type: ignore[no-any-return]


def test_dataclass_response_formats_of_the_same_name_key_by_their_fields() -> None:
    pytest.importorskip("pydantic")
    # A notebook cell run again with another field: same module and name, another schema.
    city, population = _dataclass("city: str"), _dataclass("population: int")
    assert ns(response_format=city) != ns(response_format=population)
    assert ns(response_format=city) == ns(response_format=_dataclass("city: str"))


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ({"previous_response_id": "resp_1"}, "previous_response_id"),
        ({"conversation": "conv_1"}, "conversation"),
        ({"background": True}, "background"),
    ],
)
def test_responses_state_given_in_extra_body_is_never_cached(
    state: dict[str, Any], reason: str
) -> None:
    # The SDK merges extra_body into the request: the API continues that state all the same.
    r = responses_request({**BASE, "input": "And then?", "extra_body": state})
    assert (r.cacheable, r.bypass_reason) == (False, reason)


def test_responses_stored_prompt_without_a_version_is_never_cached() -> None:
    prompt = {"id": "pmpt_1", "variables": {"city": "Paris"}}
    r = responses_request({**BASE, "input": "Go on", "prompt": prompt})
    assert (r.cacheable, r.bypass_reason) == (False, "prompt_unpinned")
    assert r.bypass_reason in REASONS
    v1 = responses_request({**BASE, "input": "Go on", "prompt": {**prompt, "version": "1"}})
    v2 = responses_request({**BASE, "input": "Go on", "prompt": {**prompt, "version": "2"}})
    assert v1.cacheable and v2.cacheable and v1.namespace != v2.namespace


def test_an_earlier_assistant_turn_given_back_as_audio_is_non_text_content() -> None:
    spoken = {"role": "assistant", "audio": {"id": "audio_1"}}
    r = chat_request([USER, spoken, {"role": "user", "content": "And Spain?"}], BASE)
    assert (r.cacheable, r.bypass_reason) == (False, "non_text_content")


def test_a_spoken_answer_is_not_stored() -> None:
    audio = {"id": "audio_1", "data": "UklG", "expires_at": 1, "transcript": "Paris."}
    message = {"role": "assistant", "content": None, "audio": audio}
    body = {"choices": [{"finish_reason": "stop", "message": message}]}
    assert chat_bypass_reason(body) == "non_text_content"
