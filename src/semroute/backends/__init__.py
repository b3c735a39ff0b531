"""Where a ``SemanticCache`` keeps its entries between processes.

>>> from semroute.backends import SQLiteBackend, MemoryBackend, open_backend
>>> open_backend("memory://") is None
True
"""

from __future__ import annotations

from semroute.backends._base import SCHEMA_VERSION, Backend, Change, ChangeFeed
from semroute.backends._redis_config import RedisSettings, RedisStats
from semroute.backends._url import open_backend
from semroute.backends.memory import MemoryBackend
from semroute.backends.redis import RedisBackend
from semroute.backends.sqlite import SQLiteBackend

__all__ = [
    "SCHEMA_VERSION",
    "Backend",
    "Change",
    "ChangeFeed",
    "MemoryBackend",
    "RedisBackend",
    "RedisSettings",
    "RedisStats",
    "SQLiteBackend",
    "open_backend",
]
