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
    from semroute.analysis.analyze import analyze
    from semroute.cache.cache import CacheHit, SemanticCache, Served
    from semroute.cache.calibrate import CalibrationReport, calibrate
    from semroute.cache.config import IndexConfig
    from semroute.cache.guards.api import Guards
    from semroute.cache.stats import CacheStats
    from semroute.cache.verifier import PairVerifier
    from semroute.encoder.encoder import Encoder, default_encoder
    from semroute.integrations.openai import call_info, unwrap, wrap
    from semroute.ledger import Budget, Ledger
    from semroute.pruning.messages import PrunedMessages, context_message, prune_messages
    from semroute.pruning.prune import Pruned, Pruner, prune
    from semroute.router.router import Decision, Router
    from semroute.router.rules import Rule
    from semroute.router.tiers import Tier

# Public name -> private module that defines it. Resolved on first access so
# ``import semroute`` loads neither onnxruntime nor hnswlib.
_LAZY: dict[str, str] = {
    "Budget": "semroute.ledger",
    "CacheHit": "semroute.cache.cache",
    "CacheStats": "semroute.cache.stats",
    "CalibrationReport": "semroute.cache.calibrate",
    "Decision": "semroute.router.router",
    "Encoder": "semroute.encoder.encoder",
    "Guards": "semroute.cache.guards.api",
    "IndexConfig": "semroute.cache.config",
    "Ledger": "semroute.ledger",
    "PairVerifier": "semroute.cache.verifier",
    "Pruned": "semroute.pruning.prune",
    "Pruner": "semroute.pruning.prune",
    "PrunedMessages": "semroute.pruning.messages",
    "Router": "semroute.router.router",
    "Rule": "semroute.router.rules",
    "SemanticCache": "semroute.cache.cache",
    "Served": "semroute.cache.cache",
    "Tier": "semroute.router.tiers",
    "analyze": "semroute.analysis.analyze",
    "calibrate": "semroute.cache.calibrate",
    "call_info": "semroute.integrations.openai._info",
    "context_message": "semroute.pruning.messages",
    "default_encoder": "semroute.encoder.encoder",
    "prune": "semroute.pruning.prune",
    "prune_messages": "semroute.pruning.messages",
    "unwrap": "semroute.integrations.openai",
    "wrap": "semroute.integrations.openai",
}

__all__ = [
    "Budget",
    "CacheHit",
    "CacheStats",
    "CalibrationReport",
    "Decision",
    "Encoder",
    "Guards",
    "IndexConfig",
    "Ledger",
    "PairVerifier",
    "Pruned",
    "PrunedMessages",
    "Pruner",
    "Router",
    "Rule",
    "SemanticCache",
    "Served",
    "Tier",
    "__version__",
    "analyze",
    "calibrate",
    "call_info",
    "context_message",
    "default_encoder",
    "errors",
    "prune",
    "prune_messages",
    "unwrap",
    "wrap",
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
