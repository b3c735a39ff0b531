"""Write-behind: callers queue a script call and return; one thread sends them in order.

The cache calls ``put``/``delete`` while holding its lock, so no Redis round
trip (or timeout, when Redis is down) may happen there. Queued writes keep
their order (a delete never overtakes the put it undoes), go out in pipelined
batches, and are retried with backoff until Redis answers; past
``max_pending`` the oldest is dropped and counted.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from semroute.backends._redis_config import Counters, RedisSettings
from semroute.backends._redis_keys import SCRIPTS

_BACKOFF_MIN_S = 0.02
_BACKOFF_MAX_S = 1.0


@dataclass(frozen=True, slots=True)
class Op:
    """One script call: ``SCRIPTS[script]`` with its keys and arguments."""

    number: int
    script: str
    keys: tuple[str, ...]
    args: tuple[Any, ...]


class WriteBehind:
    """The queue and the thread that empties it into Redis."""

    def __init__(
        self,
        client: Any,
        settings: RedisSettings,
        counters: Counters,
        *,
        on_drop: Callable[[Op], object] = lambda op: None,
        on_run: Callable[[Op, int], object] = lambda op, seq: None,
    ) -> None:
        self._client = client
        self._settings = settings
        self._counters = counters
        self._on_drop = on_drop  # a dropped write leaves the mirrors to be reconciled
        self._on_run = on_run  # each write's log position, before flush() can return
        self._open = False  # nothing is sent before the store's settings were checked
        self._queue: deque[Op] = deque()
        self._cond = threading.Condition()
        self._submitted = 0
        self._acked = 0  # every op numbered <= this reached Redis (or was dropped)
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="semroute-redis-writer", daemon=True)
        self._thread.start()

    @property
    def pending(self) -> int:
        return len(self._queue)

    @property
    def submitted(self) -> int:
        """The number of the last write queued (writes are numbered from 1)."""
        return self._submitted

    def open(self) -> None:
        """Start sending: the store exists and holds this encoder's vectors."""
        with self._cond:
            self._open = True
            self._cond.notify_all()

    def submit(self, script: str, keys: tuple[str, ...], args: tuple[Any, ...]) -> int:
        """Queue one script call; returns its number."""
        dropped: Op | None = None
        with self._cond:
            self._submitted += 1
            self._queue.append(Op(self._submitted, script, keys, args))
            if len(self._queue) > self._settings.max_pending:
                dropped = self._queue.popleft()
                self._counters.add("dropped_writes")
            self._cond.notify_all()
            number = self._submitted
        if dropped is not None:
            self._on_drop(dropped)
        return number

    def flush(self, timeout: float) -> bool:
        """Wait until every write submitted so far reached Redis; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._submitted
            while self._acked < target and self._queue and self._queue[0].number <= target:
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive() or self._stopping:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout: float) -> None:
        """Send what can be sent within ``timeout``, count the rest as dropped, stop."""
        self.flush(timeout)
        with self._cond:
            self._stopping = True
            self._counters.add("dropped_writes", len(self._queue))
            self._queue.clear()
            self._cond.notify_all()
        self._thread.join()

    def _run(self) -> None:
        backoff = _BACKOFF_MIN_S
        while True:
            with self._cond:
                while not (self._queue and self._open) and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                batch = [self._queue[i] for i in range(min(self._settings.batch, len(self._queue)))]
            try:
                refused = self._send(batch)
            except Exception as exc:  # any client failure: retry, never lose the queue
                self._counters.failed(exc)
                with self._cond:
                    self._cond.wait_for(lambda: self._stopping, timeout=backoff)
                backoff = min(backoff * 2, _BACKOFF_MAX_S)
                continue
            backoff = _BACKOFF_MIN_S
            self._counters.ok()
            self._counters.add("written", len(batch) - refused)
            last = batch[-1].number
            with self._cond:
                # The head may have been dropped meanwhile (queue full): pop by number.
                while self._queue and self._queue[0].number <= last:
                    self._queue.popleft()
                self._acked = max(self._acked, last)
                self._cond.notify_all()

    def _send(self, batch: list[Op]) -> int:
        """Run ``batch`` in one round trip; how many writes Redis refused (dropped)."""
        import redis

        pipe = self._client.pipeline(transaction=False)
        for op in batch:
            pipe.evalsha(SCRIPTS[op.script][1], len(op.keys), *op.keys, *op.args)
        results = pipe.execute(raise_on_error=False)
        if any(isinstance(r, redis.exceptions.NoScriptError) for r in results):
            # Redis restarted and forgot the scripts: load them and resend the batch;
            # every script is idempotent in effect, so ops that did run may run twice.
            for source, _ in SCRIPTS.values():
                self._client.script_load(source)
            pipe = self._client.pipeline(transaction=False)
            for op in batch:
                pipe.evalsha(SCRIPTS[op.script][1], len(op.keys), *op.keys, *op.args)
            results = pipe.execute(raise_on_error=False)
        for result in results:  # not one write's fault: the whole batch is retried
            if isinstance(result, Exception) and not isinstance(
                result, redis.exceptions.ResponseError
            ):
                raise result
        refused = 0
        for op, result in zip(batch, results, strict=True):
            if isinstance(result, redis.exceptions.ResponseError):
                # Redis refused this one write (out of memory, a foreign key in the way):
                # retrying would stall every write behind it, so it is dropped and counted.
                self._counters.failed(result)
                self._counters.add("dropped_writes")
                self._on_drop(op)
                refused += 1
            elif isinstance(result, int):
                self._on_run(op, result)
        return refused
