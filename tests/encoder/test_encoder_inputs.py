"""Input and option checks of the shipped encoder that run before any model is loaded."""

from __future__ import annotations

from typing import Any

import pytest

from semroute.encoder.encoder import Encoder, _as_texts
from semroute.errors import ConfigError, EncoderError, EncoderInputTypeError


def test_a_str_is_a_batch_of_one() -> None:
    assert _as_texts("hello", allow_empty=False) == ["hello"]


def test_sequences_keep_order_and_duplicates() -> None:
    assert _as_texts(("b", "a", "b"), allow_empty=False) == ["b", "a", "b"]


@pytest.mark.parametrize("bad", [None, 1.5, b"bytes", bytearray(b"x"), {"a"}, ["ok", 1]])
def test_non_str_is_an_input_type_error(bad: Any) -> None:
    with pytest.raises(EncoderInputTypeError) as info:
        _as_texts(bad, allow_empty=False)
    assert isinstance(info.value, TypeError) and isinstance(info.value, EncoderError)


def test_str_subclasses_become_plain_str() -> None:
    import enum

    import numpy as np

    class Tone(enum.StrEnum):
        CALM = "calm words"

    texts = _as_texts([Tone.CALM, np.str_("numpy text")], allow_empty=False)
    assert texts == ["calm words", "numpy text"] and all(type(t) is str for t in texts)
    assert type(_as_texts(Tone.CALM, allow_empty=False)[0]) is str


@pytest.mark.parametrize("bad", ["a\ud800b", "\udfff"])
def test_a_lone_surrogate_is_an_encoder_error_not_a_tokenizer_type_error(bad: str) -> None:
    with pytest.raises(EncoderError, match="surrogate"):
        _as_texts(["fine", bad], allow_empty=True)


@pytest.mark.parametrize("blank", ["", " ", "\u3000\n"])
def test_blank_text_is_rejected_for_encoding_only(blank: str) -> None:
    with pytest.raises(EncoderError, match="empty"):
        _as_texts(["fine", blank], allow_empty=False)
    assert _as_texts([blank], allow_empty=True) == [blank]


@pytest.mark.parametrize(
    "options",
    [
        {"threads": 0},
        {"threads": 1.5},
        {"max_tokens": 2},
        {"max_tokens": "256"},
        {"cache_size": -1},
        {"batch_size": 0},
        {"batch_tokens": 0},
        {"batch_tokens": True},
        {"batch_tokens": 1.5},
    ],
)
def test_bad_options_are_config_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        Encoder(**options)


def test_options_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Encoder(None, 2)  # type: ignore[misc]
