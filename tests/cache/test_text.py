"""semroute._text agrees with its plain-Python twin on any text."""

from hypothesis import given
from hypothesis import strategies as st

from semroute import _text as native
from semroute.cache import text_ref as ref

texts = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list(" \t\n\u00a0\u3000.?!,;:\u2026\u3002\uff1f\uff01ßİΣ5n)]")),
    ),
    max_size=80,
)


@given(texts)
def test_normalize_matches_reference(text: str) -> None:
    assert native.normalize_query(text) == ref.normalize_query(text)


@given(texts)
def test_key_matches_reference(text: str) -> None:
    assert native.query_key(text) == ref.query_key(text)


@given(texts)
def test_key_is_a_signed_64_bit_int(text: str) -> None:
    key = native.query_key(text)
    assert -(1 << 63) <= key < (1 << 63)


def test_normalisation_examples() -> None:
    assert (
        native.normalize_query("  How do I   RESET my password?? ") == "how do i reset my password"
    )
    assert native.normalize_query("Straße!") == "strasse"
    assert native.normalize_query("a . b ?") == "a . b"
    assert native.normalize_query("   ") == ""


def test_equal_normal_forms_share_a_key_and_different_ones_do_not() -> None:
    assert native.query_key("Reset password?") == native.query_key("reset\n  PASSWORD")
    assert native.query_key("reset password") != native.query_key("reset passwords")
    assert native.query_key("5 km to miles") != native.query_key("8 km to miles")


def test_non_str_is_rejected() -> None:
    import pytest

    with pytest.raises(TypeError):
        native.query_key(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        native.normalize_query(None)  # type: ignore[arg-type]


def test_a_factorial_bang_survives_and_emphasis_does_not() -> None:
    assert native.normalize_query("What is 5!") == "what is 5!"
    assert native.normalize_query("What is (n+1)!?") == "what is (n+1)!"
    assert native.normalize_query("Help me!!") == "help me"
    assert native.query_key("What is 5!") != native.query_key("What is 5?")
