"""The whole semroute exception tree.

::

    SemrouteError(Exception)
    ├── ConfigError(SemrouteError, ValueError)      bad option, threshold, URL, price; a store
    │                                               built by another encoder or schema
    ├── InputError(SemrouteError, ValueError)       empty / whitespace query, bad ratio
    │   └── InputTypeError(InputError, TypeError)   a query that is not ``str``,
    │                                               a response that is not JSON-serialisable
    ├── EncoderError(SemrouteError, RuntimeError)   model files missing or damaged,
    │                                               empty text, NaN in the output
    │   └── EncoderInputTypeError(EncoderError, TypeError)
    ├── BackendError(SemrouteError, OSError)        a store that is down or refuses a write
    │   └── CorruptStoreError(BackendError)         a file or key space that is not a
    │                                               semroute store, or damaged rows
    └── BudgetExceeded(SemrouteError, RuntimeError) a call refused by a ``Budget`` whose
                                                    action is ``"block"``

Each error subclasses the builtin it resembles, so ``except ValueError`` keeps
working for callers that do not know semroute. A cache miss is a return value
(``None``), never an exception, and an exception raised by the user's ``fn``
passes through ``get_or_call`` unchanged.
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "BudgetExceeded",
    "ConfigError",
    "CorruptStoreError",
    "EncoderError",
    "EncoderInputTypeError",
    "InputError",
    "InputTypeError",
    "SemrouteError",
]


class SemrouteError(Exception):
    """Base class of every error semroute raises on its own account."""


class ConfigError(SemrouteError, ValueError):
    """An option, URL, price table or stored setting is invalid or incompatible."""


class InputError(SemrouteError, ValueError):
    """A call argument is unusable: an empty query, a ratio outside (0, 1]..."""


class InputTypeError(InputError, TypeError):
    """A call argument has the wrong type (a query that is not ``str``...)."""


class EncoderError(SemrouteError, RuntimeError):
    """The encoder cannot embed: missing model files, empty text, NaN output."""


class EncoderInputTypeError(EncoderError, TypeError):
    """Text given to the encoder is not a ``str`` (or a sequence of them)."""


class BackendError(SemrouteError, OSError):
    """A persistence backend failed: unreachable, refused the write, timed out."""


class CorruptStoreError(BackendError):
    """The store is damaged or is not a semroute store; it is left untouched."""


class BudgetExceeded(SemrouteError, RuntimeError):
    """A budget with ``action="block"`` is spent: the call was refused before the API."""
