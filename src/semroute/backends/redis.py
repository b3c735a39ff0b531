"""Redis persistence: one cache shared by many processes and hosts.

Every process keeps the whole store in its local index and answers lookups
there; Redis holds the entries (one hash each, TTL as Redis expiry) and a
change log (a stream) that each process follows to keep its mirror current.
Writes are queued and sent by a background thread, so a slow or absent Redis
never delays or fails a caller; opening (``bind``/``load``) is the one place
that raises ``BackendError`` when Redis cannot be reached.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from semroute._entry import Entry
from semroute.backends._base import SCHEMA_VERSION, Block, Change
from semroute.backends._redis_codec import block_member, encode, expire_at_ms, fetch, split_block
from semroute.backends._redis_config import Counters, RedisSettings, RedisStats
from semroute.backends._redis_follow import Follower
from semroute.backends._redis_keys import FORMAT, SCRIPTS, Keys
from semroute.backends._redis_writer import WriteBehind
from semroute.errors import BackendError, ConfigError, CorruptStoreError

_TOUCH_CHUNK = 256
_UPGRADABLE = 1  # a store of this schema version is moved to SCHEMA_VERSION by bind()


def _import_redis() -> Any:
    try:
        import redis
    except ImportError as exc:
        raise ConfigError(
            "the Redis backend needs the redis client: pip install 'semroute[redis]'"
        ) from exc
    return redis


def _split_url(url: str, name: str | None) -> tuple[str, str]:
    """The client URL without ``?name=``, and the store name (argument wins if equal)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("redis", "rediss", "unix"):
        raise ConfigError(f"expected redis://host:port/db, got {url!r}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    named = [value for key, value in query if key == "name"]
    rest = [(key, value) for key, value in query if key != "name"]
    from_url = named[-1] if named else None
    if name is not None and from_url is not None and name != from_url:
        raise ConfigError(f"name={name!r} contradicts ?name={from_url} in the URL")
    client_url = urlunsplit(parts._replace(query=urlencode(rest)))
    return client_url, name or from_url or "default"


def _redacted(url: str) -> str:
    """``url`` fit for messages and logs: a password becomes ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


class RedisBackend:
    """Entries in Redis, shared by every process that opens the same ``url`` and ``name``.

    ``name`` separates caches in one Redis database (also ``?name=`` in the
    URL). Writes return at once and reach Redis from a background thread, in
    order, retried while Redis is down (``flush()`` waits for them); changes
    made by other processes arrive through ``poll()``. ``stats`` counts
    errors, dropped writes, corrupt entries skipped and resynchronisations.

    >>> store = RedisBackend("redis://127.0.0.1:6379/0?name=faq")  # connects on bind()
    >>> store.settings.name
    'faq'
    >>> store.close()
    """

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        name: str | None = None,
        socket_timeout: float = 1.0,
        connect_timeout: float = 1.0,
        log_max: int = 100_000,
        max_pending: int = 100_000,
        close_timeout: float = 5.0,
        expire_grace: float = 60.0,
    ) -> None:
        if not isinstance(url, str):
            raise ConfigError(f"url must be a str, not {type(url).__name__}")
        client_url, store_name = _split_url(url, name)
        self.settings = RedisSettings(
            name=store_name,
            socket_timeout=socket_timeout,
            connect_timeout=connect_timeout,
            log_max=log_max,
            max_pending=max_pending,
            close_timeout=close_timeout,
            expire_grace=expire_grace,
        )
        self._redis = _import_redis()
        self.url = _redacted(url)  # messages and repr never show a password
        self._keys = Keys.of(store_name)
        self._src = secrets.token_hex(8).encode()
        self._client = self._redis.Redis.from_url(
            client_url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=connect_timeout,
        )
        # The follower blocks in XREAD: its reads may take block_ms longer.
        self._follow_client = self._redis.Redis.from_url(
            client_url,
            socket_timeout=socket_timeout + self.settings.block_ms / 1000,
            socket_connect_timeout=connect_timeout,
        )
        self._counters = Counters()
        self._writer = WriteBehind(self._client, self.settings, self._counters)
        self._follower: Follower | None = None
        self._bound: tuple[str, int] | None = None
        self._closed = False

    # -- talking to Redis -----------------------------------------------------------------

    def _script(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        source, sha = SCRIPTS[name]
        try:
            return self._client.evalsha(sha, len(keys), *keys, *args)
        except self._redis.exceptions.NoScriptError:
            return self._client.eval(source, len(keys), *keys, *args)

    def _fail(self, what: str, exc: Exception) -> BackendError:
        self._counters.failed(exc)
        return BackendError(f"Redis at {self.url}: cannot {what}: {exc}")

    def _check_open(self) -> None:
        if self._closed:
            raise BackendError(f"the Redis backend for {self.url} is closed")

    def _submit(self, script: str, keys: tuple[str, ...], args: tuple[Any, ...]) -> None:
        self._check_open()
        self._writer.submit(script, keys, args)

    # -- Backend --------------------------------------------------------------------------

    def bind(self, *, model_id: str, dim: int) -> None:
        """Record the encoder's id and dim in Redis, or check them; start following changes."""
        self._check_open()
        try:
            stored = self._bind_meta(model_id, dim)
            seq = int(self._client.get(self._keys.seq) or 0)
        except self._redis.exceptions.RedisError as exc:
            raise self._fail("open the store", exc) from exc
        fmt, schema, stored_model, stored_dim, epoch = stored
        if fmt != FORMAT.encode():
            raise CorruptStoreError(f"{self._keys.meta} in {self.url} is not a semroute store")
        same_encoder = (stored_model, stored_dim) == (model_id.encode(), str(dim).encode())
        # The bind script upgraded an older store of this encoder; a version-1 store of
        # another encoder was left untouched and is refused for its encoder below.
        if schema != str(SCHEMA_VERSION).encode() and (
            schema != str(_UPGRADABLE).encode() or same_encoder
        ):
            raise ConfigError(
                f"{self.url} name {self.settings.name!r} has schema version {schema!r}; "
                f"this semroute reads versions {_UPGRADABLE} and {SCHEMA_VERSION}"
            )
        if not same_encoder:
            raise ConfigError(
                f"{self.url} name {self.settings.name!r} holds vectors of encoder "
                f"{stored_model!r} (dim {stored_dim!r}), not {model_id!r} (dim {dim}); "
                "use another name or the same encoder"
            )
        if self._bound is None:
            self._bound = (model_id, dim)
            self._follower = Follower(
                self._follow_client,
                self._keys,
                self.settings,
                self._counters,
                src=self._src,
                dim=dim,
                snapshot=self._snapshot,
                flush_writes=lambda: self._writer.flush(self.settings.close_timeout),
            )
            self._follower.follow_from(seq, epoch)

    def _bind_meta(self, model_id: str, dim: int) -> list[bytes | None]:
        epoch = secrets.token_hex(8)
        args = (FORMAT, SCHEMA_VERSION, model_id, dim, epoch, _UPGRADABLE)
        return list(self._script("bind", (self._keys.meta,), args))

    def load(self, namespace: str | None = None) -> Iterator[Entry]:
        """Every stored entry (of ``namespace``); with none, changes are followed from here."""
        self._check_open()
        if not self._writer.flush(self.settings.socket_timeout * 2):
            raise BackendError(f"Redis at {self.url}: queued writes cannot be sent")
        try:
            seq, epoch, entries, _ = self._snapshot(namespace, with_blocks=False)
        except self._redis.exceptions.RedisError as exc:
            raise self._fail("load entries", exc) from exc
        if namespace is None and self._follower is not None:
            self._follower.follow_from(seq, epoch)
        return iter(entries)

    def _snapshot(
        self, namespace: str | None = None, *, with_blocks: bool = True
    ) -> tuple[int, bytes | None, list[Entry], list[Block]]:
        """Log position, store epoch, entries and blocks; position first so replay covers
        the rest."""
        if self._bound is not None:
            epoch = self._bind_meta(*self._bound)[4]  # re-creates settings after a flush
        else:
            epoch = self._client.hget(self._keys.meta, "epoch")
        seq = int(self._client.get(self._keys.seq) or 0)
        if namespace is None:
            names = [
                n.decode("utf-8", "surrogatepass")
                for n in self._client.smembers(self._keys.namespaces)
            ]
        else:
            names = [namespace]
        dim = self._bound[1] if self._bound is not None else None
        entries: list[Entry] = []
        for name in names:
            set_key = self._keys.namespace(name)
            ids = [int(i) for i in self._client.smembers(set_key)]
            gone: list[int] = []
            for entry_id, entry, state in fetch(self._client, self._keys, ids, dim):
                if state == "missing":
                    gone.append(entry_id)  # expired: Redis dropped the hash, not the id
                elif state == "corrupt":
                    self._counters.add("corrupt_entries")
                elif entry is not None and entry.namespace == name:
                    entries.append(entry)
            if gone:
                self._client.srem(set_key, *gone)
        return seq, epoch, entries, self._blocks(namespace) if with_blocks else []

    def _blocks(self, namespace: str | None) -> list[Block]:
        if namespace is None:
            members = self._client.smembers(self._keys.blocked)
            names = [n.decode("utf-8", "surrogatepass") for n in members]
        else:
            names = [namespace]
        blocks: list[Block] = []
        for name in names:
            for member in self._client.smembers(self._keys.blocks(name)):
                pair = split_block(member)
                if pair is None:
                    self._counters.add("corrupt_entries")  # never honoured, whoever wrote it
                else:
                    blocks.append((name, *pair))
        return blocks

    def put(self, entry: Entry) -> None:
        """Queue ``entry`` for Redis (replacing the same id); never blocks on Redis."""
        keys = self._keys
        namespace = entry.namespace.encode("utf-8", "surrogatepass")
        now = time.time()
        self._submit(
            "put",
            (
                keys.entry(entry.id),
                keys.namespace(entry.namespace),
                keys.namespaces,
                keys.seq,
                keys.log,
            ),
            (
                entry.id,
                namespace,
                expire_at_ms(entry, now, self.settings.expire_grace),
                self.settings.log_max,
                self._src,
                repr(now),
                *encode(entry),
            ),
        )

    def delete(self, entry_id: int) -> None:
        keys = self._keys
        self._submit(
            "delete",
            (keys.entry(entry_id), keys.seq, keys.log),
            (entry_id, self.settings.log_max, self._src, repr(time.time()), keys.prefix),
        )

    def delete_namespace(self, namespace: str) -> None:
        keys = self._keys
        self._submit(
            "delete_namespace",
            (
                keys.namespace(namespace),
                keys.namespaces,
                keys.seq,
                keys.log,
                keys.blocks(namespace),
                keys.blocked,
            ),
            (
                namespace.encode("utf-8", "surrogatepass"),
                self.settings.log_max,
                self._src,
                repr(time.time()),
                keys.prefix,
            ),
        )

    def clear(self) -> None:
        keys = self._keys
        self._submit(
            "clear",
            (keys.namespaces, keys.seq, keys.log, keys.blocked),
            (self.settings.log_max, self._src, repr(time.time()), keys.prefix),
        )

    def block(self, namespace: str, query_norm: str, matched_norm: str) -> None:
        """Queue a block for Redis; other processes' caches receive it through ``poll()``."""
        keys = self._keys
        self._submit(
            "block",
            (keys.blocks(namespace), keys.blocked, keys.seq, keys.log),
            (
                namespace.encode("utf-8", "surrogatepass"),
                block_member(query_norm, matched_norm),
                self.settings.log_max,
                self._src,
                repr(time.time()),
            ),
        )

    def load_blocks(self, namespace: str | None = None) -> Iterator[Block]:
        """Every block in Redis (of ``namespace``), this process's queued ones included."""
        self._check_open()
        if not self._writer.flush(self.settings.socket_timeout * 2):
            raise BackendError(f"Redis at {self.url}: queued writes cannot be sent")
        try:
            blocks = self._blocks(namespace)
        except self._redis.exceptions.RedisError as exc:
            raise self._fail("load blocks", exc) from exc
        return iter(blocks)

    def touch(self, updates: Sequence[tuple[int, float, int]]) -> None:
        for start in range(0, len(updates), _TOUCH_CHUNK):
            chunk = updates[start : start + _TOUCH_CHUNK]
            args: list[Any] = []
            for _, last_access, hits in chunk:
                args += [repr(last_access), hits]
            self._submit("touch", tuple(self._keys.entry(i) for i, _, _ in chunk), tuple(args))

    def close(self) -> None:
        """Send queued writes (up to ``close_timeout``), stop following, disconnect."""
        if self._closed:
            return
        self._closed = True
        self._writer.close(self.settings.close_timeout)
        if self._follower is not None:
            self._follower.stop(self._client)
        self._client.close()
        self._follow_client.close()

    # -- ChangeFeed and extras ---------------------------------------------------------

    def poll(self) -> Sequence[Change]:
        """Changes made by other processes since the last call; never does I/O."""
        return self._follower.poll() if self._follower is not None else ()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every write queued so far is in Redis; False if ``timeout`` ran out.

        ``timeout`` defaults to ``close_timeout``.
        """
        return self._writer.flush(self.settings.close_timeout if timeout is None else timeout)

    @property
    def stats(self) -> RedisStats:
        """Errors, dropped and pending writes, corrupt entries skipped, resyncs, lag."""
        return self._counters.snapshot(self._writer.pending)

    def __repr__(self) -> str:
        return f"RedisBackend({self.url!r}, name={self.settings.name!r})"
