"""The part of a prompt the router embeds: its first N word pieces.

Routing needs the gist of a request, which sits at its start; embedding a long
prompt whole costs time that grows with its length (46-66 ms per benchmark
prompt on a busy 2-core machine). So the router embeds only a prefix: the
first ``max_tokens`` word pieces under the encoder's own tokenizer, cut at the
end of the last whole piece kept. Length and structure still come from the
whole text, through the router's features.

Encoders without a ``tokenizer`` attribute (a user's API embedder, the test
fake) are cut after ``max_tokens`` whitespace-separated words instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["route_prefixes"]

# A word piece covers at least one character, so a text this short needs no
# tokenising; a longer one is pre-cut before tokenising so the cost stays
# bounded (a piece is rarely longer than a few characters; 32 leaves room).
_CHARS_PER_PIECE_BOUND = 32


def route_prefixes(texts: Sequence[str], encoder: Any, max_tokens: int) -> list[str]:
    """Each text cut to its first ``max_tokens`` word pieces (or words), unchanged if shorter.

    >>> from tests.fakes import FakeEncoder
    >>> route_prefixes(["one two three four", "hi"], FakeEncoder(), 2)
    ['one two', 'hi']
    """
    out = list(texts)
    long_rows = [i for i, text in enumerate(out) if len(text) > max_tokens]
    if not long_rows:
        return out
    tokenizer = getattr(encoder, "tokenizer", None)
    if tokenizer is None or not hasattr(tokenizer, "encode_batch"):
        for i in long_rows:
            words = out[i].split()
            if len(words) > max_tokens:
                out[i] = " ".join(words[:max_tokens])
        return out
    limit = max_tokens * _CHARS_PER_PIECE_BOUND
    encodings = tokenizer.encode_batch(
        [out[i][:limit] for i in long_rows], add_special_tokens=False
    )
    for i, encoding in zip(long_rows, encodings, strict=True):
        offsets = encoding.offsets
        if len(offsets) > max_tokens:
            out[i] = out[i][: offsets[max_tokens - 1][1]]
        elif len(out[i]) > limit:
            out[i] = out[i][:limit]  # pathological: pieces longer than the bound
    return out
