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
cannot fail the others. Answers go back to each event loop once per batch.
The thread ends after `idle_seconds` without work and starts again with the
next request.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from watchkeep.ingest import intake
from watchkeep.ingest.admission import IngestRequest

if TYPE_CHECKING:
    from watchkeep.runtime import Runtime

log = logging.getLogger(__name__)

Outcome = list[intake.Result] | BaseException


@dataclass(frozen=True)
class _Job:
    request: IngestRequest
    loop: asyncio.AbstractEventLoop
    answer: asyncio.Future[list[intake.Result]]


class IngestWriter:
    def __init__(self, runtime: Runtime, *, max_batch: int = 64, idle_seconds: float = 5.0) -> None:
        self.runtime = runtime
        self.max_batch = max_batch
        self.idle_seconds = idle_seconds
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    async def apply(self, request: IngestRequest) -> list[intake.Result]:
        """The request's results; raises its refusal (UnknownKeyError, RateLimitedError, …)."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[list[intake.Result]] = loop.create_future()
        self._queue.put(_Job(request, loop, answer))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="watchkeep-ingest", daemon=True
                )
                self._thread.start()
        return await answer

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
            answers = self._run_batch(batch)
            by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job, Outcome]]] = {}
            for job, outcome in zip(batch, answers, strict=True):
                by_loop.setdefault(job.loop, []).append((job, outcome))
            for loop, settled in by_loop.items():
                try:
                    loop.call_soon_threadsafe(_settle, settled)
                except RuntimeError:
                    log.warning("an event loop closed before its %d answers", len(settled))

    def _run_batch(self, batch: list[_Job]) -> list[Outcome]:
        try:
            return list(intake.ingest(self.runtime, [job.request for job in batch]))
        except Exception as exc:
            if len(batch) == 1:
                return [exc]
            log.warning("ingest batch of %d failed (%s); running each alone", len(batch), exc)
            return [self._run_batch([job])[0] for job in batch]


def _settle(settled: list[tuple[_Job, Outcome]]) -> None:
    for job, outcome in settled:
        if job.answer.done():  # the client went away and the request was cancelled
            continue
        if isinstance(outcome, BaseException):
            job.answer.set_exception(outcome)
        else:
            job.answer.set_result(outcome)
