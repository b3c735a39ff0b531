"""Redis persistence: one cache shared by many processes and hosts.

Every process keeps the whole store in its local index and answers lookups
there; Redis holds the entries (one hash each, TTL as Redis expiry) and a
change log (a stream) that each process follows to keep its mirror current.
Writes are queued and sent by a background thread, so a slow or absent Redis
never delays or fails a caller; opening (``bind``/``load``) is the one place
that may raise ``BackendError`` when Redis cannot be reached, and only with
``strict=True``: by default a cache opened while Redis is down starts empty,
queues its writes and catches up in the background once Redis answers.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from semroute._entry import Entry
from semroute.backends._base import SCHEMA_VERSION, Block, Change
from semroute.backends._redis_codec import (
    block_member,
    encode,
    expire_at_ms,
    fetch,
    norm_digest,
    split_block,
)
from semroute.backends._redis_config import Counters, RedisSettings, RedisStats
from semroute.backends._redis_follow import Follower, OwnPuts
from semroute.backends._redis_keys import FORMAT, SCRIPTS, Keys
from semroute.backends._redis_writer import Op, WriteBehind
from semroute.errors import BackendError, ConfigError, CorruptStoreError, InputError

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


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _split_url(url: str, name: str | None) -> tuple[str, str, bool | None]:
    """The client URL without ``?name=`` and ``?strict=``, the store name (argument wins
    if equal), and ``strict`` if the URL sets it."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("redis", "rediss", "unix"):
        raise ConfigError(f"expected redis://host:port/db, got {url!r}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    named = [value for key, value in query if key == "name"]
    stricts = [value.lower() for key, value in query if key == "strict"]
    rest = [(key, value) for key, value in query if key not in ("name", "strict")]
    from_url = named[-1] if named else None
    if name is not None and from_url is not None and name != from_url:
        raise ConfigError(f"name={name!r} contradicts ?name={from_url} in the URL")
    strict: bool | None = None
    if stricts:
        if stricts[-1] not in _TRUE + _FALSE:
            raise ConfigError(f"?strict= takes true or false, got {stricts[-1]!r}")
        strict = stricts[-1] in _TRUE
    client_url = urlunsplit(parts._replace(query=urlencode(rest)))
    return client_url, name or from_url or "default", strict


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
    made by every process arrive through ``poll()``, in the order Redis ran
    them. ``stats`` counts errors, dropped writes, corrupt entries skipped and
    resynchronisations.

    With Redis down at open, ``bind``/``load`` do not raise: the cache starts
    empty, writes queue (up to ``max_pending``), and the store is checked and
    loaded in the background once Redis answers (``stats.degraded_opens``).
    ``strict=True`` (or ``?strict=true``) raises ``BackendError`` instead.

    >>> store = RedisBackend("redis://127.0.0.1:6379/0?name=faq")  # connects on bind()
    >>> store.settings.name
    'faq'
    >>> store.close()
    """

    confirms_own_writes = True  # poll() reports this process's puts too (ChangeFeed)

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
        strict: bool | None = None,
    ) -> None:
        if not isinstance(url, str):
            raise ConfigError(f"url must be a str, not {type(url).__name__}")
        if strict is not None and not isinstance(strict, bool):
            raise ConfigError(f"strict must be a bool, not {type(strict).__name__}")
        client_url, store_name, url_strict = _split_url(url, name)
        if strict is not None and url_strict is not None and strict != url_strict:
            raise ConfigError(f"strict={strict} contradicts ?strict= in the URL")
        self.strict = bool(strict if strict is not None else url_strict)
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
        self._writer = WriteBehind(
            self._client,
            self.settings,
            self._counters,
            on_drop=self._after_drop,
            on_run=self._after_run,
        )
        self._own = OwnPuts()
        self._follower: Follower | None = None
        self._bound: tuple[str, int] | None = None
        self._verified = False  # the store's settings were checked: writes may go out
        self._refused: Exception | None = None  # Redis came back with a foreign store
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

    def _submit(
        self,
        script: str,
        keys: tuple[str, ...],
        args: tuple[Any, ...],
        *,
        own_put: int | None = None,
    ) -> None:
        self._check_open()
        try:
            for key in keys:
                key.encode()
        except UnicodeEncodeError as exc:
            # Never queued: the writer could not send it, and would retry it forever.
            raise InputError(f"a namespace Redis cannot name (a lone surrogate?): {exc}") from exc
        if self._refused is not None:
            self._counters.add("dropped_writes")  # never written into a foreign store
            return
        if own_put is not None:
            self._own.add(own_put)  # before the writer can run it
        self._writer.submit(script, keys, args)

    def _after_run(self, op: Op, seq: int) -> None:
        if op.script == "put":
            self._own.ran(int(op.args[0]), seq)

    def _after_drop(self, op: Op) -> None:
        # A write that never reaches Redis leaves this mirror ahead of the store.
        if op.script == "put":
            self._own.drop(int(op.args[0]))
        if self._follower is not None and not self._closed:
            self._follower.resync_soon()

    # -- Backend --------------------------------------------------------------------------

    def bind(self, *, model_id: str, dim: int) -> None:
        """Record the encoder's id and dim in Redis, or check them; start following changes.

        Redis unreachable: raises ``BackendError`` with ``strict``, else the check
        and the first load happen in the background once Redis answers.
        """
        self._check_open()
        try:
            epoch = self._check_store(model_id, dim)
            seq = int(self._client.get(self._keys.seq) or 0)
        except self._redis.exceptions.RedisError as exc:
            if self.strict:
                raise self._fail("open the store", exc) from exc
            self._counters.failed(exc)
            self._counters.add("degraded_opens")
            self._start_following(model_id, dim).resync_soon()
            return
        self._start_following(model_id, dim).follow_from(seq, epoch)

    def _check_store(self, model_id: str, dim: int) -> bytes | None:
        """Create or check the store's settings; its epoch. Opens the write queue."""
        stored = self._bind_meta(model_id, dim)
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
        if not self._verified:
            self._verified = True
            self._writer.open()
        return epoch

    def _start_following(self, model_id: str, dim: int) -> Follower:
        if self._follower is None:
            self._bound = (model_id, dim)
            self._follower = Follower(
                self._follow_client,
                self._keys,
                self.settings,
                self._counters,
                src=self._src,
                dim=dim,
                prepare=self._prepare,
                snapshot=self._snapshot,
                flush_writes=self._flush_for_resync,
                own=self._own,
                on_refused=self._refuse,
            )
        return self._follower

    @property
    def _degraded(self) -> bool:
        """Bound while Redis was down, not checked since: the follower will load it."""
        return self._bound is not None and not self._verified

    def _prepare(self) -> None:
        if not self._verified and self._bound is not None:
            self._check_store(*self._bound)

    def _flush_for_resync(self) -> bool:
        return self._verified and self._writer.flush(self.settings.close_timeout)

    def _refuse(self, exc: Exception) -> None:
        self._refused = exc
        self._writer.close(0)  # queued writes are counted as dropped

    def _bind_meta(self, model_id: str, dim: int) -> list[bytes | None]:
        epoch = secrets.token_hex(8)
        args = (FORMAT, SCHEMA_VERSION, model_id, dim, epoch, _UPGRADABLE)
        return list(self._script("bind", (self._keys.meta,), args))

    def load(self, namespace: str | None = None) -> Iterator[Entry]:
        """Every stored entry (of ``namespace``); with none, changes are followed from here.

        Redis unreachable (not ``strict``): nothing now, everything later through
        ``poll()`` once Redis answers.
        """
        self._check_open()
        if self._degraded:
            return iter(())  # opened while Redis was down: the follower loads it later
        try:
            if not self._writer.flush(self.settings.socket_timeout * 2):
                raise BackendError(f"Redis at {self.url}: queued writes cannot be sent")
            seq, epoch, entries, _ = self._snapshot(namespace, with_blocks=False)
        except (self._redis.exceptions.RedisError, BackendError) as exc:
            if self.strict:
                if isinstance(exc, BackendError):
                    raise
                raise self._fail("load entries", exc) from exc
            self._counters.failed(exc)
            if self._follower is not None:
                self._follower.resync_soon()
            return iter(())
        if namespace is None and self._follower is not None:
            self._follower.follow_from(seq, epoch)
        return iter(entries)

    def _snapshot(
        self, namespace: str | None = None, *, with_blocks: bool = True
    ) -> tuple[int, bytes | None, list[Entry], list[Block]]:
        """Log position, store epoch, entries and blocks; position first so replay covers
        the rest."""
        if self._bound is not None:
            epoch = self._check_store(*self._bound)  # re-creates settings after a flush
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
                keys.index(entry.namespace),
            ),
            (
                entry.id,
                namespace,
                expire_at_ms(entry, now, self.settings.expire_grace),
                self.settings.log_max,
                self._src,
                repr(now),
                norm_digest(entry.norm),
                *encode(entry),
            ),
            own_put=entry.id,
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
                keys.index(namespace),
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
        if self._degraded:
            return iter(())  # opened while Redis was down: the follower loads them later
        try:
            if not self._writer.flush(self.settings.socket_timeout * 2):
                raise BackendError(f"Redis at {self.url}: queued writes cannot be sent")
            blocks = self._blocks(namespace)
        except (self._redis.exceptions.RedisError, BackendError) as exc:
            if self.strict:
                if isinstance(exc, BackendError):
                    raise
                raise self._fail("load blocks", exc) from exc
            self._counters.failed(exc)
            if self._follower is not None:
                self._follower.resync_soon()
            return iter(())
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
        """Changes since the last call, every process's, in Redis order; never does I/O.

        A put of this process comes back without its entry: Redis has run it.
        """
        return self._follower.poll() if self._follower is not None else ()

    def listen(self, listener: Callable[[], object] | None) -> None:
        """Have ``listener`` called from the follower thread whenever ``poll()`` has
        changes (the cache applies them there, off its callers' path); ``None`` stops."""
        self._check_open()
        if self._follower is None:
            raise BackendError("listen() needs bind() first")
        self._follower.listen(listener)

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
