"""The router's token cap (what it embeds) and its readable reasons: no model files, no data."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from semroute.errors import ConfigError
from semroute.router.prefix import route_prefixes
from semroute.router.reasons import SIGNALS, signal_matrix, signal_names
from semroute.router.router import DEFAULT_ROUTE_TOKENS, Router
from tests.fakes import FakeEncoder

TOKENIZER = Path(__file__).resolve().parents[2] / "models" / "tokenizer.json"


class RecordingEncoder(FakeEncoder):
    """The fake encoder, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def encode(self, texts: str | Sequence[str]) -> npt.NDArray[np.float32]:
        self.seen.extend([texts] if isinstance(texts, str) else texts)
        return super().encode(texts)


class TokenizingEncoder(RecordingEncoder):
    """Like the shipped encoder, exposes the model's word-piece tokenizer."""

    def __init__(self) -> None:
        super().__init__()
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(TOKENIZER))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()


def _fitted(encoder: FakeEncoder, route_tokens: int = DEFAULT_ROUTE_TOKENS) -> Router:
    queries = ["hello there", "thanks a lot", "prove the theorem", "derive the integral"]
    router = Router(encoder=encoder, model=None, threshold=0.5, route_tokens=route_tokens)
    return router.fit(queries, [0, 0, 1, 1])


def test_word_piece_prefix_keeps_exactly_the_first_pieces() -> None:
    encoder = TokenizingEncoder()
    text = "Summarise the following contract clause carefully. " * 40
    (prefix,) = route_prefixes([text], encoder, 16)
    assert text.startswith(prefix) and len(prefix) < len(text)
    pieces = encoder.tokenizer.encode(prefix, add_special_tokens=False).ids
    full = encoder.tokenizer.encode(text, add_special_tokens=False).ids
    assert pieces == full[:16]
    # Shorter texts pass through untouched (the cache's embedding stays reusable).
    assert route_prefixes(["What is 2 + 2?"], encoder, 16) == ["What is 2 + 2?"]


def test_router_embeds_only_the_prefix_of_a_long_query() -> None:
    encoder = TokenizingEncoder()
    router = _fitted(encoder, route_tokens=8)
    encoder.seen.clear()
    long_query = "prove the theorem " + "and explain every step in detail " * 50
    router.choose_many([long_query, "hello there"])
    assert len(encoder.seen) == 2
    assert len(encoder.tokenizer.encode(encoder.seen[0], add_special_tokens=False).ids) == 8
    assert encoder.seen[1] == "hello there"
    # fit embeds the same prefixes it will later be asked to score.
    encoder.seen.clear()
    router.fit([long_query, "hello there"], [1, 0])
    assert len(encoder.seen[0]) < 60


def test_encoder_without_tokenizer_is_cut_by_words() -> None:
    encoder = RecordingEncoder()
    router = _fitted(encoder, route_tokens=3)
    encoder.seen.clear()
    router.choose("prove the theorem for every prime and then bound the gap")
    assert encoder.seen == ["prove the theorem"]


def test_route_tokens_is_validated_and_saved(tmp_path: Path) -> None:
    for bad in (0, -1, 2.5, True, "64"):
        with pytest.raises(ConfigError, match="route_tokens"):
            Router(encoder=FakeEncoder(), model=None, route_tokens=bad)  # type: ignore[arg-type]
    router = _fitted(FakeEncoder(), route_tokens=40)
    path = tmp_path / "r.npz"
    router.save(path)
    assert Router.load(path, encoder=FakeEncoder()).route_tokens == 40


def test_signal_matrix_covers_every_model_input_once() -> None:
    from semroute.router.features import FEATURE_NAMES

    names = ("topic", *FEATURE_NAMES)
    matrix = signal_matrix(names)
    assert matrix.shape == (len(SIGNALS), len(names))
    assert (matrix.sum(axis=0) == 1).all()  # each input belongs to exactly one signal


def _index(inputs: tuple[str, ...]) -> int:
    return next(k for k, s in enumerate(SIGNALS) if s[0] == inputs)


def test_signal_names_follow_the_decision_and_the_text() -> None:
    c, level = np.zeros(len(SIGNALS)), np.zeros(len(SIGNALS))
    c[_index(("cue_reasoning",))], level[_index(("cue_reasoning",))] = 2.0, 1.5
    c[_index(("code_frac", "cue_code"))], level[_index(("code_frac", "cue_code"))] = 0.7, 2.0
    c[_index(("cue_factual",))], level[_index(("cue_factual",))] = -0.9, 1.0
    assert signal_names(c, level, upward=True) == ["proof or reasoning request", "code"]
    assert signal_names(c, level, upward=False) == ["short lookup"]
    # A missing feature that pushed the score up is named as missing, not as present.
    options = _index(("log_option_lines",))
    c[options], level[options] = 3.0, -0.8
    assert signal_names(c, level, upward=True)[0] == "no answer options"
    assert signal_names(np.zeros(len(SIGNALS)), level, upward=True) == []


def test_decision_reason_names_the_signals_that_decided() -> None:
    router = _fitted(FakeEncoder())
    d = router.choose("prove the theorem")
    assert d.tier_index == 1
    assert d.reason.startswith("topic like hard tasks"), d.reason
    easy = router.choose("hello there")
    assert easy.tier_index == 0 and "topic like everyday queries" in easy.reason, easy.reason
    assert "score" in d.reason and "-> gpt-4o" in d.reason
