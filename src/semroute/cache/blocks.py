"""Matches ``report_wrong`` blocked: (namespace, query) -> stored queries never to serve it."""

from __future__ import annotations

from semroute import _text

_TRAILING_PUNCT = ".?!,;:\u2026\u3002\uff1f\uff01 "


def block_form(value: str, *, raw: bool = False) -> str:
    """The form a ``report_wrong`` block keys on: normalised with every trailing
    punctuation mark stripped (a factorial's ``!`` too), as before the exact key kept
    it. Blocks stored by earlier versions keep applying, and the coarser form can only
    refuse more candidates, never serve one a block meant to refuse."""
    norm = _text.normalize_query(value) if raw else value
    return norm.rstrip(_TRAILING_PUNCT)


class Blocks:
    """The blocked matches of every namespace, in their :func:`block_form`.

    Writers hold the cache's lock (or are constructing); lookups read without it, so
    each value is replaced whole, never mutated.
    """

    def __init__(self) -> None:
        self._blocks: dict[tuple[str, str], frozenset[str]] = {}

    def of(self, namespace: str, query_form: str) -> frozenset[str] | None:
        """The stored queries (block form) never to serve for this query, if any."""
        return self._blocks.get((namespace, query_form))

    def add(self, namespace: str, query_form: str, matched_form: str) -> None:
        blocked = self._blocks.get((namespace, query_form), frozenset())
        if matched_form not in blocked:
            self._blocks[(namespace, query_form)] = blocked | {matched_form}

    def drop(self, namespace: str) -> None:
        for key in [key for key in self._blocks if key[0] == namespace]:
            del self._blocks[key]

    def namespaces(self) -> list[str]:
        """Every namespace holding a block (it may hold no entries)."""
        return [ns for ns, _ in self._blocks]

    def clear(self) -> None:
        self._blocks = {}
