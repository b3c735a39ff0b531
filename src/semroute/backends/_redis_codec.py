"""Entries to Redis hash fields and back; a damaged hash decodes to ``None``."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from typing import Any, Literal

from semroute._entry import Entry
from semroute.backends._redis_keys import FIELDS, SCRIPTS, Keys

Fetched = tuple[int, Entry | None, Literal["ok", "missing", "corrupt"]]
_FETCH_CHUNK = 1000

_TEXT = "utf-8"
_ERRORS = "surrogatepass"  # any Python str round-trips, even a lone surrogate


def encode(entry: Entry) -> list[bytes | str]:
    """Field/value pairs in ``FIELDS`` order; floats as ``repr`` so they round-trip exactly."""
    return [
        "id",
        str(entry.id),
        "namespace",
        entry.namespace.encode(_TEXT, _ERRORS),
        "query",
        entry.query.encode(_TEXT, _ERRORS),
        "norm",
        entry.norm.encode(_TEXT, _ERRORS),
        "key",
        str(entry.key),
        "response",
        entry.response.encode(_TEXT, _ERRORS),
        "vector",
        entry.vector,
        "created",
        repr(entry.created),
        "expires",
        repr(entry.expires),
        "last_access",
        repr(entry.last_access),
        "hits",
        str(entry.hits),
    ]


def block_member(query_norm: str, matched_norm: str) -> bytes:
    """One block as a set member: a JSON pair, so any text (even with NULs) round-trips."""
    return json.dumps([query_norm, matched_norm]).encode("ascii")


def split_block(member: bytes) -> tuple[str, str] | None:
    """``(query_norm, matched_norm)`` of a set member; ``None`` when damaged."""
    try:
        pair = json.loads(member)
    except (ValueError, UnicodeDecodeError):
        return None
    if (
        not isinstance(pair, list)
        or len(pair) != 2
        or not all(isinstance(text, str) for text in pair)
    ):
        return None
    return pair[0], pair[1]


# Redis refuses an expiry past a signed 64-bit millisecond count; an entry meant to live
# longer than this (the cache refuses such a ttl, see semroute._validate) never expires.
_LAST_EXPIRY_S = 2.0**62 / 1000


def norm_digest(norm: str) -> str:
    """The key index's field for a normalised query (the Lua scripts' ``redis.sha1hex``)."""
    return hashlib.sha1(norm.encode(_TEXT, _ERRORS)).hexdigest()


def expire_at_ms(entry: Entry, now: float, grace: float) -> str:
    """Redis expiry (PEXPIREAT argument) of ``entry``; empty when it never expires.

    The cache enforces ``expires`` itself, with its own clock; Redis only
    collects the garbage, ``grace`` seconds later, so a host whose clock runs
    behind never finds an entry gone that it still considers live.
    """
    at = max(entry.expires, now) + grace
    if not at < _LAST_EXPIRY_S:  # infinite, or beyond what Redis can store
        return ""
    return str(math.ceil(at * 1000))


def split_fields(packed: bytes, count: int) -> list[bytes | None] | None:
    """The ``count`` fields of one FETCH result (netstrings, ``-`` for missing); None if garbled."""
    values: list[bytes | None] = []
    at = 0
    try:
        for _ in range(count):
            if packed[at : at + 1] == b"-":
                values.append(None)
                at += 1
                continue
            colon = packed.index(b":", at)
            end = colon + 1 + int(packed[at:colon])
            values.append(packed[colon + 1 : end])
            at = end
    except ValueError:
        return None
    return values if at == len(packed) else None


def decode(values: Sequence[bytes | None], dim: int | None) -> Entry | None:
    """The entry stored in ``values`` (HMGET of ``FIELDS``), or ``None`` when damaged.

    Damaged means a missing field, a field of the wrong type, a vector of the
    wrong length for ``dim`` or a response that is not JSON: such an entry is
    never served, whoever wrote it.
    """
    if any(v is None for v in values) or len(values) != 11:
        return None
    raw = [v for v in values if v is not None]
    try:
        namespace, query, norm, response = (raw[i].decode(_TEXT, _ERRORS) for i in (1, 2, 3, 5))
        vector = raw[6]
        created, expires, last_access = (float(raw[i]) for i in (7, 8, 9))
        entry = Entry(
            id=int(raw[0]),
            namespace=namespace,
            query=query,
            norm=norm,
            key=int(raw[4]),
            response=response,
            vector=vector,
            created=created,
            expires=expires,
            last_access=last_access,
            hits=int(raw[10]),
        )
        json.loads(response)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep JSON
        return None
    if dim is not None and len(vector) != 4 * dim:
        return None
    if math.isnan(created) or math.isnan(expires) or math.isnan(last_access):
        return None
    return entry


def fetch(client: Any, keys: Keys, ids: Sequence[int], dim: int | None) -> list[Fetched]:
    """Read entries ``ids`` in one round trip per ``_FETCH_CHUNK``: (id, entry or None, state).

    ``state`` is ``"ok"``, ``"missing"`` (deleted or expired: Redis dropped the
    hash) or ``"corrupt"`` (present but unreadable: never served).
    """
    import redis

    source, sha = SCRIPTS["fetch"]
    out: list[Fetched] = []
    for start in range(0, len(ids), _FETCH_CHUNK):
        chunk = ids[start : start + _FETCH_CHUNK]
        names = [keys.entry(i) for i in chunk]
        try:
            packed = client.evalsha(sha, len(names), *names, *FIELDS)
        except redis.exceptions.NoScriptError:
            packed = client.eval(source, len(names), *names, *FIELDS)
        for entry_id, blob in zip(chunk, packed, strict=True):
            values = split_fields(blob, len(FIELDS))
            if values is not None and all(v is None for v in values):
                out.append((entry_id, None, "missing"))
                continue
            entry = decode(values, dim) if values is not None else None
            if entry is None or entry.id != entry_id:
                out.append((entry_id, None, "corrupt"))
            else:
                out.append((entry_id, entry, "ok"))
    return out
