"""Key layout and the Lua scripts that change a Redis store atomically.

Every key of one store shares the hash tag ``{name}`` so a Redis Cluster keeps
them in one slot and the scripts may touch keys they compute. Each write bumps
``seq`` and appends to the change log with the stream id ``0-<seq>``: a reader
knows it missed a change (the log was trimmed) when the next id it reads is not
its last one plus one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

FORMAT = "semroute-cache"

# Stored field order of an entry hash; HMGET returns values in this order.
FIELDS = (
    "id",
    "namespace",
    "query",
    "norm",
    "key",
    "response",
    "vector",
    "created",
    "expires",
    "last_access",
    "hits",
)


@dataclass(frozen=True, slots=True)
class Keys:
    """The key names of the store called ``name``."""

    prefix: str

    @classmethod
    def of(cls, name: str) -> Keys:
        return cls(f"semroute:{{{name}}}:")

    @property
    def meta(self) -> str:
        return self.prefix + "meta"

    @property
    def seq(self) -> str:
        return self.prefix + "seq"

    @property
    def log(self) -> str:
        return self.prefix + "log"

    @property
    def namespaces(self) -> str:
        return self.prefix + "namespaces"

    def entry(self, entry_id: int) -> str:
        return f"{self.prefix}e:{entry_id}"

    def namespace(self, namespace: str) -> str:
        return self.prefix + "n:" + namespace

    def index(self, namespace: str) -> str:
        """The hash of one namespace: sha1 of the normalised query -> entry id."""
        return self.prefix + "k:" + namespace

    @property
    def blocked(self) -> str:
        """The set of namespaces that have report_wrong blocks."""
        return self.prefix + "blocked"

    def blocks(self, namespace: str) -> str:
        """The set of one namespace's blocks, each ``block_member(query_norm, matched_norm)``."""
        return self.prefix + "b:" + namespace


# KEYS: meta. ARGV: format, schema_version, model_id, dim, epoch, upgradable version.
# Creates the settings on first use; returns them either way for the caller to check.
# A store of the upgradable version (1: before blocks) with the same format and encoder is
# moved to this version (it only gains keys); any other store is left as it was.
BIND = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'format', ARGV[1], 'schema_version', ARGV[2],
             'model_id', ARGV[3], 'dim', ARGV[4], 'epoch', ARGV[5])
else
  local now = redis.call('HMGET', KEYS[1], 'format', 'schema_version', 'model_id', 'dim')
  if now[1] == ARGV[1] and now[2] == ARGV[6] and now[3] == ARGV[3] and now[4] == ARGV[4] then
    redis.call('HSET', KEYS[1], 'schema_version', ARGV[2])
  end
end
return redis.call('HMGET', KEYS[1], 'format', 'schema_version', 'model_id', 'dim', 'epoch')
"""

# KEYS: entry, namespace set, namespaces, seq, log, key index.
# ARGV: id, namespace, expire-at ms ('' = never), log_max, src, ts, norm digest,
# field, value, ...
# One entry per (namespace, normalised query): the entry the key index names is
# replaced (deleted here, in the order Redis runs the scripts) and the log record
# names it (``old``), so every process ends with the last write Redis received.
# The set updates come first: a key of the wrong type fails the script before any write.
PUT = """
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
local old = redis.call('HGET', KEYS[6], ARGV[7])
if old and old ~= ARGV[1] then
  redis.call('UNLINK', string.sub(KEYS[1], 1, #KEYS[1] - #ARGV[1]) .. old)
  redis.call('SREM', KEYS[2], old)
else
  old = ''
end
redis.call('HSET', KEYS[6], ARGV[7], ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 8))
if ARGV[3] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
local seq = redis.call('INCR', KEYS[4])
redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[4], '0-' .. seq,
           'op', 'put', 'id', ARGV[1], 'old', old, 'src', ARGV[5], 'ts', ARGV[6])
return seq
"""

# KEYS: entry, seq, log. ARGV: id, log_max, src, ts, key prefix.
# The key index forgets the entry only if it still names it (a later put replaced it).
DELETE = """
local found = redis.call('HMGET', KEYS[1], 'namespace', 'norm')
local ns = found[1]
if ns then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', ARGV[5] .. 'n:' .. ns, ARGV[1])
  if found[2] then
    local index, digest = ARGV[5] .. 'k:' .. ns, redis.sha1hex(found[2])
    if redis.call('HGET', index, digest) == ARGV[1] then redis.call('HDEL', index, digest) end
  end
end
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '0-' .. seq,
           'op', 'delete', 'id', ARGV[1], 'src', ARGV[3], 'ts', ARGV[4])
return seq
"""

# KEYS: namespace set, namespaces, seq, log, blocks set, blocked, key index.
# ARGV: namespace, log_max, src, ts, key prefix. Drops the namespace's blocks too.
DELETE_NAMESPACE = """
local ids = redis.call('SMEMBERS', KEYS[1])
for i = 1, #ids do
  local key = ARGV[5] .. 'e:' .. ids[i]
  if redis.call('HGET', key, 'namespace') == ARGV[1] then redis.call('UNLINK', key) end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[5])
redis.call('SREM', KEYS[6], ARGV[1])
redis.call('DEL', KEYS[7])
local seq = redis.call('INCR', KEYS[3])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[2], '0-' .. seq,
           'op', 'delete_namespace', 'ns', ARGV[1], 'src', ARGV[3], 'ts', ARGV[4])
return seq
"""

# KEYS: namespaces, seq, log, blocked. ARGV: log_max, src, ts, key prefix.
# Keeps meta and seq; drops every entry and every block.
CLEAR = """
local names = redis.call('SMEMBERS', KEYS[1])
for i = 1, #names do
  local set = ARGV[4] .. 'n:' .. names[i]
  local ids = redis.call('SMEMBERS', set)
  for j = 1, #ids do redis.call('UNLINK', ARGV[4] .. 'e:' .. ids[j]) end
  redis.call('DEL', set)
  redis.call('DEL', ARGV[4] .. 'k:' .. names[i])
end
redis.call('DEL', KEYS[1])
local blocked = redis.call('SMEMBERS', KEYS[4])
for i = 1, #blocked do redis.call('DEL', ARGV[4] .. 'b:' .. blocked[i]) end
redis.call('DEL', KEYS[4])
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[1], '0-' .. seq,
           'op', 'clear', 'src', ARGV[2], 'ts', ARGV[3])
return seq
"""

# KEYS: blocks set, blocked, seq, log. ARGV: namespace, member, log_max, src, ts.
BLOCK = """
redis.call('SADD', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
local seq = redis.call('INCR', KEYS[3])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '0-' .. seq,
           'op', 'block', 'ns', ARGV[1], 'b', ARGV[2], 'src', ARGV[4], 'ts', ARGV[5])
return seq
"""

# KEYS: entries. ARGV: last_access, hits per key. Never recreates a deleted or expired entry.
TOUCH = """
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('HSET', KEYS[i], 'last_access', ARGV[2 * i - 1], 'hits', ARGV[2 * i])
  end
end
return #KEYS
"""

# KEYS: entries. ARGV: field names. One string per entry, each field as a netstring
# ("<len>:<bytes>", "-" when missing), so a snapshot of many entries parses fast.
FETCH = """
local out = {}
for i = 1, #KEYS do
  local values = redis.call('HMGET', KEYS[i], unpack(ARGV))
  local parts, n = {}, 0
  for j = 1, #ARGV do
    local v = values[j]
    if v then
      parts[n + 1], parts[n + 2], parts[n + 3], n = #v, ':', v, n + 3
    else
      parts[n + 1], n = '-', n + 1
    end
  end
  out[i] = table.concat(parts)
end
return out
"""

SCRIPTS = {
    name: (source, hashlib.sha1(source.encode()).hexdigest())
    for name, source in {
        "bind": BIND,
        "put": PUT,
        "delete": DELETE,
        "delete_namespace": DELETE_NAMESPACE,
        "clear": CLEAR,
        "block": BLOCK,
        "touch": TOUCH,
        "fetch": FETCH,
    }.items()
}
