"""semroute: cut the LLM bill in-process with a semantic cache, a router and context pruning.

Importing is cheap: the ONNX encoder loads on first use, not at import.

>>> import semroute
>>> semroute.__version__
'0.1.0'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from semroute import errors
from semroute._version import __version__

if TYPE_CHECKING:
    from semroute._encoder import Encoder, default_encoder

# Public name -> private module that defines it. Resolved on first access so
# ``import semroute`` loads neither onnxruntime nor hnswlib.
_LAZY: dict[str, str] = {
    "Encoder": "semroute._encoder",
    "default_encoder": "semroute._encoder",
}

__all__ = [
    "Encoder",
    "__version__",
    "default_encoder",
    "errors",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'semroute' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
