"""The ledger's background writer: a bounded queue drained in batches by one thread.

A call only pays for ``queue.put_nowait``. When the queue is full (the database is
slower than the traffic for longer than the queue can absorb) the new row is
dropped and counted in ``dropped``: the ledger never makes a call wait. A batch
whose write fails is counted in ``failed`` (rows) and ``last_error``; the thread
keeps going.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["BatchWriter"]

_STOP = object()
T = TypeVar("T")


class BatchWriter(Generic[T]):
    """Queue items from any thread; one daemon thread writes them ``batch_size`` at a time."""

    def __init__(
        self,
        write: Callable[[Sequence[T]], None],
        *,
        queue_size: int,
        batch_size: int,
        name: str = "semroute-ledger-writer",
    ) -> None:
        self._write = write
        self._batch_size = batch_size
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._count_lock = threading.Lock()
        self.queued = 0
        self.written = 0
        self.dropped = 0
        self.failed = 0
        self.last_error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, row: T) -> bool:
        """Queue one item; False (and counted as dropped) when the queue is full or closed."""
        if self._closed:
            with self._count_lock:
                self.dropped += 1
            return False
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            with self._count_lock:
                self.dropped += 1
            return False
        with self._count_lock:
            self.queued += 1
        return True

    def count_failed(self, items: int, error: BaseException) -> None:
        """Count items the write function could not write (it may keep going)."""
        with self._count_lock:
            self.failed += items
            self.last_error = error

    def pending(self) -> int:
        """Rows queued and not yet written (approximate while the thread runs)."""
        return self._queue.qsize()

    def flush(self) -> None:
        """Block until every row queued so far is written (or its batch failed)."""
        self._queue.join()

    def close(self) -> None:
        """Write what is queued, then stop the thread. Later ``put`` calls are dropped."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)  # blocks if full: close may wait, a call never does
        self._thread.join()

    def _take_batch(self) -> tuple[list[T], int, bool]:
        """The next batch, how many queue items it consumed, and whether to stop."""
        first = self._queue.get()
        batch: list[T] = []
        taken, stop = 1, first is _STOP
        if not stop:
            batch.append(first)  # type: ignore[arg-type]
        # After the stop mark, also drain rows that raced past the closed check.
        while stop or len(batch) < self._batch_size:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            taken += 1
            if item is _STOP:
                stop = True
            else:
                batch.append(item)  # type: ignore[arg-type]
        return batch, taken, stop

    def _run(self) -> None:
        while True:
            batch, taken, stop = self._take_batch()
            if batch:
                failed_before = self.failed
                try:
                    self._write(batch)
                    with self._count_lock:
                        self.written += len(batch) - (self.failed - failed_before)
                except Exception as exc:  # a write error must never reach a caller
                    self.count_failed(len(batch) - (self.failed - failed_before), exc)
            for _ in range(taken):
                self._queue.task_done()
            if stop:
                return
