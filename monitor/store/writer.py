"""`ResultWriter`: probes hand results over without waiting; one thread writes them in batches.

When the database is down or locked the results wait in a bounded buffer and the
batch is retried with backoff. Nothing is lost or written twice across an
outage: a batch leaves the buffer only once the store has confirmed it, and the
store's insert is idempotent on the result id, so retrying a batch whose commit
went through but whose acknowledgement did not is harmless. Only a full buffer
loses results: the oldest go first, counted in `dropped`; the first drop of an
outage is logged, and the recovery line says how many went.

Retries back off to at most `MAX_BACKOFF_S`: a failed attempt against a database
that is down costs one refused connection, so one every 5 s hammers nothing, and
results flow again within seconds of the database's return, not half a minute.

    submit() ──► buffer (deque, bounded) ──► writer thread / flush() ──► Store.record_results
                    ▲                              │ database error
                    └───── batch put back ◄────────┘ retry after backoff
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from monitor.clock import Clock
from monitor.results import ProbeResult
from monitor.store.errors import describe_error

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 5.0
DEFAULT_BACKOFF_S = (0.5, 1.0, 2.0, MAX_BACKOFF_S)


class ResultSink(Protocol):
    def record_results(self, results: Sequence[ProbeResult]) -> int: ...


class ResultWriter:
    def __init__(
        self,
        store: ResultSink,
        *,
        clock: Clock,
        batch_size: int = 500,
        buffer_max: int = 100_000,
        flush_every_s: float = 1.0,
        retry_backoff_s: Sequence[float] = DEFAULT_BACKOFF_S,
    ) -> None:
        if not 1 <= batch_size <= buffer_max:
            raise ValueError("ResultWriter needs 1 <= batch_size <= buffer_max")
        if not retry_backoff_s:
            raise ValueError("ResultWriter needs at least one retry_backoff_s delay")
        self._store = store
        self._clock = clock
        self._batch_size = batch_size
        self._buffer_max = buffer_max
        self._flush_every_s = flush_every_s
        self._backoff_s = tuple(retry_backoff_s)
        self._buffer: deque[ProbeResult] = deque()
        self._in_flight = 0
        self._lock = threading.Lock()  # buffer and counters; held for microseconds
        self._write_lock = threading.Lock()  # one batch on its way to the database at a time
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._written = 0
        self._dropped = 0
        self._failures = 0
        self._failing_since = 0.0  # monotonic, for the recovery line
        self._retry_at: float | None = None
        self._last_error: str | None = None
        self._dropped_in_outage = 0  # by a full buffer, since the last good write

    @property
    def buffered(self) -> int:
        """Results accepted but not yet confirmed written."""
        with self._lock:
            return len(self._buffer) + self._in_flight

    @property
    def written(self) -> int:
        """Results the store has confirmed (including ids it already had)."""
        return self._written

    @property
    def dropped(self) -> int:
        """Results lost because the buffer was full, or because the database refused them."""
        return self._dropped

    @property
    def last_error(self) -> str | None:
        """Why the last write failed, while the store is failing; None once a write succeeds."""
        return self._last_error

    def retry_in_s(self) -> float | None:
        """Seconds until the writer thread tries the store again; None while it is not
        failing."""
        with self._lock:
            if self._retry_at is None:
                return None
            return max(0.0, self._retry_at - self._clock.monotonic())

    @property
    def running(self) -> bool:
        """Whether the background thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def submit(self, result: ProbeResult) -> None:
        """Queue a result; never waits for the database."""
        with self._lock:
            was_empty = not self._buffer
            self._buffer.append(result)
            self._drop_overflow()
        if was_empty:
            self._wake.set()

    def flush(self) -> int:
        """Write everything buffered now, ignoring backoff; returns how many were written.

        Stops at the first database error and leaves the rest buffered.
        """
        with self._write_lock:
            return self._drain()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("ResultWriter already started")
        self._thread = threading.Thread(target=self._run, name="result-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread and write what is left; results still unwritten are logged as lost."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():  # stuck in a write; waiting longer would hang shutdown
                log.error("result writer did not stop within %gs", timeout)
                return
        self.flush()
        if self.buffered or self._dropped_in_outage:
            log.error(
                "result writer stopped with %d results unwritten; %d dropped by the full "
                "buffer before that",
                self.buffered,
                self._dropped_in_outage,
            )

    def _run(self) -> None:
        while not self._stopping.is_set():
            if self.buffered == 0:
                self._wake.wait()  # idle: sleep until a result arrives, never poll
                self._wake.clear()
                continue
            # Let a batch gather (or wait out part of a backoff) before writing.
            self._stopping.wait(self._flush_every_s)
            if self._retry_due():
                self.flush()

    def _retry_due(self) -> bool:
        with self._lock:
            return self._retry_at is None or self._clock.monotonic() >= self._retry_at

    def _drain(self) -> int:
        # Called with self._write_lock held, so nothing else moves `_written` meanwhile.
        before = self._written
        while batch := self._take():
            leftover = self._write(batch)
            self._give_back(leftover)
            if leftover:
                break
        return self._written - before

    def _take(self) -> list[ProbeResult]:
        with self._lock:
            count = min(self._batch_size, len(self._buffer))
            batch = [self._buffer.popleft() for _ in range(count)]
            self._in_flight = count
            return batch

    def _give_back(self, leftover: list[ProbeResult]) -> None:
        with self._lock:
            self._in_flight = 0
            self._buffer.extendleft(reversed(leftover))
            self._drop_overflow()

    def _drop_overflow(self) -> None:
        # Called with self._lock held.
        overflow = len(self._buffer) + self._in_flight - self._buffer_max
        dropping = min(overflow, len(self._buffer))
        if dropping <= 0:
            return
        for _ in range(dropping):
            self._buffer.popleft()
        if not self._dropped_in_outage:
            log.warning(
                "result buffer full (%d results): dropping the oldest until the store "
                "recovers; the count comes with the recovery",
                self._buffer_max,
            )
        self._dropped += dropping
        self._dropped_in_outage += dropping

    def _write(self, batch: list[ProbeResult]) -> list[ProbeResult]:
        """Write a batch; returns the results that could not be written yet."""
        try:
            self._store.record_results(batch)
        except Exception as error:
            if not _is_bad_data(error):
                self._note_failure(error)
                return batch
            if len(batch) == 1:
                self._reject(batch[0], error)
                return []
            # One bad result must not hold back the rest: find it by writing singly.
            for index, result in enumerate(batch):
                if self._write([result]):
                    return batch[index:]
            return []
        self._note_success(len(batch))
        return []

    def _note_success(self, count: int) -> None:
        with self._lock:
            if self._failures:
                log.warning(
                    "result store reachable again after %d failed writes over %.0f s; "
                    "%d results dropped by the full buffer meanwhile, %d since start",
                    self._failures,
                    self._clock.monotonic() - self._failing_since,
                    self._dropped_in_outage,
                    self._dropped,
                )
            self._written += count
            self._failures = 0
            self._retry_at = None
            self._last_error = None
            self._dropped_in_outage = 0

    def _note_failure(self, error: Exception) -> None:
        message = describe_error(error)
        with self._lock:
            if not self._failures:
                self._failing_since = self._clock.monotonic()
                log.warning("result store unavailable, buffering results: %s", message)
            delay = self._backoff_s[min(self._failures, len(self._backoff_s) - 1)]
            self._failures += 1
            self._retry_at = self._clock.monotonic() + delay
            self._last_error = message

    def _reject(self, result: ProbeResult, error: Exception) -> None:
        with self._lock:
            self._dropped += 1
        log.error(
            "result %s for %s refused by the store: %s",
            result.id,
            result.target,
            describe_error(error),
        )


def _is_bad_data(error: Exception) -> bool:
    """Whether retrying can never help: the result itself is unacceptable."""
    if isinstance(error, DataError | IntegrityError | ValueError | TypeError):
        return True
    # A StatementError that is not a DBAPIError failed while binding parameters.
    return isinstance(error, StatementError) and not isinstance(error, DBAPIError)
