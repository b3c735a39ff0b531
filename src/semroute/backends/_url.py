"""Turn what the user passed as a store (object, URL, path, None) into a backend."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from semroute.backends._base import Backend
from semroute.errors import ConfigError


def open_backend(spec: Backend | str | os.PathLike[str] | None) -> Backend | None:
    """``None`` or ``"memory://"`` means no persistence; a URL or path opens a store.

    >>> open_backend("memory://") is None
    True
    """
    if spec is None:
        return None
    if isinstance(spec, os.PathLike):
        spec = os.fspath(spec)
    if not isinstance(spec, str):
        if isinstance(spec, Backend):
            return spec
        raise ConfigError(f"backend must be a Backend, a URL or a path, not {type(spec).__name__}")
    if not spec.strip():
        raise ConfigError("backend URL is empty")
    if "://" not in spec:
        from semroute.backends.sqlite import SQLiteBackend

        return SQLiteBackend(spec)
    parts = urlsplit(spec)
    scheme = parts.scheme.lower()
    if scheme == "memory":
        return None
    if scheme == "sqlite":
        # sqlite:///rel.db -> "rel.db"; sqlite:////abs.db -> "/abs.db" (SQLAlchemy's rule).
        path = unquote(spec.split("://", 1)[1])
        path = path[1:] if path.startswith("/") else path
        if not path or parts.query:
            raise ConfigError(f"expected sqlite:///path/to/file.db, got {spec!r}")
        from semroute.backends.sqlite import SQLiteBackend

        return SQLiteBackend(path)
    if scheme in ("redis", "rediss"):
        from semroute.backends.redis import RedisBackend

        return RedisBackend(spec)
    raise ConfigError(f"unknown backend URL scheme {scheme!r} in {spec!r}")
