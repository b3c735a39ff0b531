"""Two prompts that share a long context are compared where they differ.

A RAG prompt is mostly its context, so two prompts that share it and ask different
questions embed close together: with a shared SQuAD paragraph of 0-300 words around
them, 11.8 % of Quora non-duplicate question pairs were served at cosine 0.95 (1.5 %
for the bare questions; benchmarks/results/length_cap-2026-12-06.json). When two
texts share whole sentences at their start or end (at least ``SHARED_MIN_WORDS``
words in all), the decision is made on the sentences that differ: both must be
present, embed above the threshold on their own, and pass the word guards.
"""

from __future__ import annotations

import re

from semroute import _text

#: Shared sentences (start and end together) from which the rule applies: below it the
#: texts are compared whole, as short queries always are.
SHARED_MIN_WORDS = 12

# A sentence ends at ., !, ?, ; or : followed by space, or at a line break.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?;:])\s+|\s*\n\s*")


def _sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_BREAK.split(text.strip()) if part and not part.isspace()]


def _words(sentences: list[str]) -> int:
    return sum(len(s.split()) for s in sentences)


def differing_parts(query: str, cached: str) -> tuple[str, str] | None:
    """``(query's part, cached's part)`` that differ when the texts share at least
    ``SHARED_MIN_WORDS`` words of whole sentences at their start and end (compared
    normalised); ``None`` when they do not, and the texts are compared whole.

    >>> context = "The Loire is the longest river in France. It rises in the Massif Central."
    >>> differing_parts(context + " How long is it?", context + " Where does it rise?")
    ('How long is it?', 'Where does it rise?')
    >>> differing_parts("How long is the Loire?", "What length is the Loire?") is None
    True
    """
    if len(query.split()) <= SHARED_MIN_WORDS or len(cached.split()) <= SHARED_MIN_WORDS:
        return None  # the common case, a short query: no sentence split
    ours, theirs = _sentences(query), _sentences(cached)
    ours_norm = [_text.normalize_query(s) for s in ours]
    theirs_norm = [_text.normalize_query(s) for s in theirs]
    longest = min(len(ours), len(theirs))
    head = 0
    while head < longest and ours_norm[head] == theirs_norm[head]:
        head += 1
    tail = 0
    while tail < longest - head and ours_norm[-1 - tail] == theirs_norm[-1 - tail]:
        tail += 1
    if _words(ours[:head]) + _words(ours[len(ours) - tail :]) < SHARED_MIN_WORDS:
        return None
    return (
        " ".join(ours[head : len(ours) - tail]),
        " ".join(theirs[head : len(theirs) - tail]),
    )
