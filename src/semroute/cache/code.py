"""Code in a query is compared as written: case, indentation and every character count.

The normalised exact key folds case and collapses whitespace, and the encoder barely moves
when ``w > 0`` becomes ``w < 0``: both are right for prose and wrong for code, where
``return 0`` indented one level deeper is another program. So the code in a query (fenced
blocks, inline ``backtick`` spans, and, in a text with indented lines, every line outside
them) is taken out verbatim; the exact key covers it, and a semantic candidate is served
only if its code is the same (``stats.code_refusals``). A query without a backtick or a
line break has no code and keeps the plain normalised key, as before.
"""

from __future__ import annotations

import hashlib
import re

from semroute import _text

# A fenced block, its info string included; an unclosed fence runs to the end.
_FENCE = re.compile(r"```(.*?)(?:```|\Z)", re.S)
_INLINE = re.compile(r"`([^`\n]+)`")
# A line indented under another: the shape of code pasted without fences.
_INDENTED = re.compile(r"\n[ \t]+\S")
# Marks the code digest in an exact form; no normalisation changes it or the hex after it.
_CODE_MARK = " \ue000"


def code_parts(text: str) -> tuple[str, ...]:
    """The code in ``text``, verbatim (trailing spaces of each line aside): fenced blocks in
    order, then inline spans sorted, then the lines of unfenced code.

    >>> code_parts("Why does `x == None` fail?")
    ('x == None',)
    >>> code_parts("What is the capital of France?")
    ()
    """
    if "`" not in text and "\n" not in text:
        return ()
    parts: list[str] = []

    def fenced(match: re.Match[str]) -> str:
        parts.append(_lines(match.group(1)))
        return "\n"

    rest = _FENCE.sub(fenced, text) if "```" in text else text
    # Inline spans as a sorted multiset: a paraphrase reorders its sentences, and with them
    # the spans it quotes (GPTCache's pairs do, 26 times in 999); a changed span still counts.
    parts.extend(sorted(m.group(1) for m in _INLINE.finditer(rest)))
    if _INDENTED.search(rest):
        # Unfenced code: its top-level lines look like prose, so every line counts.
        parts.append(_lines(_INLINE.sub("", rest)))
    return tuple(parts)


def _lines(block: str) -> str:
    return "\n".join(line.rstrip() for line in block.splitlines() if line.strip())


def exact_form(text: str) -> str:
    """The form exact repeats share: the normalised text, plus a digest of its code."""
    return exact(text)[0]


def exact_key(text: str) -> int:
    """The exact key of ``text``: the hash of :func:`exact_form`."""
    return exact(text)[1]


def exact(text: str) -> tuple[str, int]:
    """``(exact_form(text), exact_key(text))``, the code found once. Text without code keeps
    the key it had before code was told apart, so stores keep their keys."""
    norm = _text.normalize_query(text)
    parts = code_parts(text)
    if not parts:
        return norm, _text.query_key(text)
    form = _with_code(norm, parts)
    # The form is its own normal form (folded, single spaces, ends in a hex digit).
    return form, _text.query_key(form)


def _with_code(norm: str, parts: tuple[str, ...]) -> str:
    if not parts:
        return norm
    digest = hashlib.blake2b("\x00".join(parts).encode("utf-8"), digest_size=8).hexdigest()
    return f"{norm}{_CODE_MARK}{digest}"
