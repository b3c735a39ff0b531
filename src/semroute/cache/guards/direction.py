"""The ``direction`` guard: the same words on either side of "to", "into" or "than", swapped.

"Train times from Milan to Florence" / "from Florence to Milan", "translate French into
Portuguese" / "Portuguese into French", "is a wolf stronger than a bear" / "a bear stronger
than a wolf": the words are the same, so the encoder puts them at 0.99 and above, and no
other guard sees a difference. Here a relation word that occurs once in each text splits
its clause; the two content words just before it and the two just after are its
arguments. When an argument before it in one text is after it in the other, and another
goes the other way, the direction is swapped and the candidate refused. Paraphrases that
keep each side's words on its side ("from my account, send money to John" / "send money
to John from my account") pass.
"""

from __future__ import annotations

import re
from functools import lru_cache

from semroute.cache.guards import words as _words

# Relation words whose two sides are not interchangeable.
_RELATIONS = frozenset({"to", "into", "onto", "than", "toward", "towards", "versus", "vs"})
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_CLAUSE = re.compile(r"[,;:.?!()\[\]\n]+")
# The relation's arguments: the content words next to it, not the whole clause (a long
# sentence reworded around an infinitive "to" moves words across it without a swap).
_REACH = 2
_QUICK = re.compile(r"\b(?:to|into|onto|than|towards?|versus|vs)\b", re.IGNORECASE)

Sides = tuple[tuple[str, frozenset[str], frozenset[str]], ...]


# Short texts only are remembered: a lookup re-reads the same stored queries (~11 µs each
# uncached), and the cache must not hold thousands of long prompts alive.
_CACHED_CHARS = 512


def relation_sides(text: str) -> Sides:
    """``(relation, words before, words after)`` for each relation word that occurs once:
    the two content words next to it on each side, within its clause (stop words, the
    relation words and words on both sides left out).

    >>> [(r, sorted(before), sorted(after)) for r, before, after in
    ...  relation_sides("Train times from Milan to Florence")]
    [('to', ['milan', 'times'], ['florence'])]
    """
    if not _QUICK.search(text):
        return ()
    return _cached_sides(text) if len(text) <= _CACHED_CHARS else _sides(text)


@lru_cache(maxsize=4096)
def _cached_sides(text: str) -> Sides:
    return _sides(text)


def _sides(text: str) -> Sides:
    seen: dict[str, int] = {}
    found: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
    for clause in _CLAUSE.split(text.casefold()):
        tokens = _WORD.findall(clause)
        for i, token in enumerate(tokens):
            if token not in _RELATIONS:
                continue
            seen[token] = seen.get(token, 0) + 1
            before, after = _content(tokens[:i])[-_REACH:], _content(tokens[i + 1 :])[:_REACH]
            # A word on both sides says nothing about which way the relation goes.
            both = set(before) & set(after)
            found[token] = (frozenset(before) - both, frozenset(after) - both)
    return tuple(
        (relation, *found[relation])
        for relation in sorted(found)
        if seen[relation] == 1 and all(found[relation])
    )


def _content(tokens: list[str]) -> list[str]:
    return [t for t in tokens if t not in _words.STOP and t not in _RELATIONS]


def direction_swapped(ours: Sides, theirs: Sides) -> bool:
    """Whether a relation both texts use once has words crossing it both ways.

    >>> a = relation_sides("How do I translate French into Portuguese?")
    >>> direction_swapped(a, relation_sides("How do I translate Portuguese into French?"))
    True
    >>> direction_swapped(a, relation_sides("How can I translate French to Portuguese?"))
    False
    """
    if not ours or not theirs:
        return False
    other = {relation: (before, after) for relation, before, after in theirs}
    for relation, before, after in ours:
        if relation not in other:
            continue
        their_before, their_after = other[relation]
        if before & their_after and after & their_before:
            return True
    return False
