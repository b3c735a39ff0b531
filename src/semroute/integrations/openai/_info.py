"""``call_info(response)``: what semroute did for the call that produced this response."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from semroute.chat.info import CallInfo

# id(response) -> (weak reference, info or the function that builds it on first read).
# Pydantic models are not hashable, so a WeakKeyDictionary cannot hold them; the
# reference's callback drops the row.
_INFOS: dict[int, tuple[weakref.ref[Any], CallInfo | Callable[[], CallInfo]]] = {}
_LOCK = threading.Lock()


def _drop(key: int, ref: weakref.ref[Any]) -> None:
    with _LOCK:
        row = _INFOS.get(key)
        if row is not None and row[0] is ref:
            del _INFOS[key]


def remember(response: Any, info: CallInfo | Callable[[], CallInfo]) -> None:
    """Attach ``info`` to ``response`` for as long as the response lives (latest wins);
    a function is called to build the record the first time it is read."""
    key = id(response)
    try:
        ref = weakref.ref(response, lambda r: _drop(key, r))
    except TypeError:  # not weak-referenceable: nothing to attach to
        return
    with _LOCK:
        _INFOS[key] = (ref, info)


def call_info(response: object) -> CallInfo | None:
    """The :class:`~semroute.chat.info.CallInfo` of the wrapped call that returned ``response``.

    ``None`` for an object no wrapped call returned. A stream replayed from the cache has
    its record at once; a stream from the API gets it when it ends (read to the end,
    closed, or failed), with the outcome and the billed tokens.

    >>> call_info(object()) is None
    True
    """
    key = id(response)
    with _LOCK:
        row = _INFOS.get(key)
        if row is None or row[0]() is not response:
            return None
        ref, info = row
        if not isinstance(info, CallInfo):
            info = info()
            _INFOS[key] = (ref, info)
    return info
