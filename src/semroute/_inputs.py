"""Text arguments checked at the API edge, before anything runs.

A ``str`` subclass (``StrEnum``, ``numpy.str_``) is accepted as its plain ``str``
value: native code and the tokenizer take exact ``str`` only. A lone surrogate
(``"\\ud800"``, from a bad decode) cannot be stored by SQLite or Redis nor
tokenised, so it is refused here with ``InputError`` rather than failing later.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from semroute.errors import InputError, InputTypeError


def plain_text(value: object, what: str) -> str:
    """``value`` as an exact, encodable ``str``; else ``InputTypeError`` / ``InputError``.

    >>> from enum import StrEnum
    >>> class Model(StrEnum):
    ...     MINI = "gpt-4o-mini"
    >>> type(plain_text(Model.MINI, "namespace")).__name__
    'str'
    """
    if type(value) is not str:
        if not isinstance(value, str):
            raise InputTypeError(f"{what} must be a str, not {type(value).__name__}")
        value = str.__str__(value)  # the plain value, whatever the subclass's __str__ does
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(
                f"{what} holds a lone surrogate at index {exc.start}: not valid Unicode text"
            ) from exc
    return value


def real_vector(value: object, what: str) -> npt.NDArray[np.float64]:
    """``value`` as a float64 array of real numbers, else ``InputTypeError``.

    Strings, booleans, complex numbers and ragged or object arrays are refused;
    the caller checks the shape and finiteness.

    >>> real_vector([1, 2.5], "embedding").tolist()
    [1.0, 2.5]
    """
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise InputTypeError(f"{what} must be an array of floats: {exc}") from exc
    if raw.dtype.kind not in "fiu":
        raise InputTypeError(f"{what} must be an array of floats, not of {raw.dtype}")
    return raw.astype(np.float64)
