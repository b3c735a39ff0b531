"""Checks shared by every public entry point and every backend.

One place decides what a ttl and a namespace may be, so the memory, SQLite and
Redis stores never meet a value one of them cannot store (Redis refuses an
expiry past 2**63 ms; a lone surrogate cannot be encoded to UTF-8).
"""

from __future__ import annotations

import math
from numbers import Real

from semroute.errors import InputError, InputTypeError, SemrouteError

#: The longest ttl accepted, in seconds (100 years); ``None`` means never expires.
MAX_TTL_S = 100 * 365.25 * 86_400


def check_ttl(
    value: object, name: str = "ttl", *, error: type[SemrouteError] = InputError
) -> float | None:
    """``None`` (never expires) or seconds in ``(0, MAX_TTL_S]``, as a float.

    Any real number is accepted (``int``, ``float``, numpy scalars), ``bool`` is
    not. ``error`` is raised otherwise (``ConfigError`` for a constructor option).

    >>> check_ttl(60)
    60.0
    >>> check_ttl(1e308)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    semroute.errors.InputError: ttl must be at most 3155760000 seconds (100 years), ...
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise error(f"{name} must be seconds (a number) or None, not {type(value).__name__}")
    seconds = float(value)
    if not (seconds > 0 and math.isfinite(seconds)):
        raise error(f"{name} must be a positive finite number of seconds, got {value!r}")
    if seconds > MAX_TTL_S:
        raise error(
            f"{name} must be at most {MAX_TTL_S:.0f} seconds (100 years), got {value!r}; "
            "use None for never"
        )
    return seconds


def check_namespace(value: object, name: str = "namespace") -> str:
    """A ``str`` that encodes to UTF-8 (no lone surrogate), else ``InputError``.

    >>> check_namespace("acme/faq")
    'acme/faq'
    """
    if not isinstance(value, str):
        raise InputTypeError(f"{name} must be a str, not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"{name} is not valid Unicode text (a lone surrogate?): {exc}") from exc
    return value
