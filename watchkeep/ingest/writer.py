"""Group commit for the receivers: one thread applies the requests waiting, together.

A storm arrives as many small requests at once. Run each in its own thread and
transaction, and they queue on the same rows and locks (SQLite's one writer,
PostgreSQL's hot incident row) and pay a commit each, a disk flush on
PostgreSQL. Here they wait in a queue instead; one thread takes all that are
waiting (up to `max_batch`) and applies them in one transaction, so a batch
pays one commit and no lock is fought over inside the process.

Requests stay independent: admission refuses a request without writing, so a
refusal never touches the rest of its batch. Should the batch fail for another
reason (a database error), each of its requests is run again alone, so one
cannot fail the others. The thread ends after `idle_seconds` without work and
starts again with the next request.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future

from watchkeep.ingest import intake
from watchkeep.ingest.admission import IngestRequest
from watchkeep.runtime import Runtime

log = logging.getLogger(__name__)

_Job = tuple[IngestRequest, "Future[list[intake.Result]]"]


class IngestWriter:
    def __init__(self, runtime: Runtime, *, max_batch: int = 64, idle_seconds: float = 5.0) -> None:
        self.runtime = runtime
        self.max_batch = max_batch
        self.idle_seconds = idle_seconds
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, request: IngestRequest) -> Future[list[intake.Result]]:
        """The request's results, or its refusal (UnknownKeyError, RateLimitedError, …)."""
        future: Future[list[intake.Result]] = Future()
        self._queue.put((request, future))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="watchkeep-ingest", daemon=True
                )
                self._thread.start()
        return future

    def _run(self) -> None:
        while True:
            try:
                batch = [self._queue.get(timeout=self.idle_seconds)]
            except queue.Empty:
                with self._lock:
                    # A request queued before the lock was taken is still ours to run.
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._run_batch(batch)

    def _run_batch(self, batch: list[_Job]) -> None:
        try:
            outcomes = intake.ingest(self.runtime, [request for request, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            log.warning("ingest batch of %d failed (%s); running each alone", len(batch), exc)
            for job in batch:
                self._run_batch([job])
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
