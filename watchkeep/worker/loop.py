"""The worker loop: claim due rows, run their handlers in a pool, record the outcome."""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from watchkeep import logs, metrics
from watchkeep.clock import Clock
from watchkeep.db.engine import Database
from watchkeep.db.notify import OutboxListener
from watchkeep.outbox import heartbeats, store
from watchkeep.outbox.store import Job
from watchkeep.worker.handlers import (
    Handlers,
    JobContext,
    LeaseLostError,
    PermanentFailure,
    RetryLater,
)

log = logging.getLogger(__name__)
LISTENING_POLL_SECONDS = 10.0


@dataclass(frozen=True)
class WorkerOptions:
    threads: int = 8
    batch: int = 50
    poll_seconds: float = 0.5
    lease_seconds: float = 60.0
    max_attempts: int = 25
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 300.0
    # How often a running worker stamps its heartbeat (`/readyz` reads it).
    heartbeat_seconds: float = 10.0


class Worker:
    """Drains the outbox. Several may run at once, in one process or many."""

    def __init__(
        self, db: Database, handlers: Handlers, clock: Clock, options: WorkerOptions | None = None
    ) -> None:
        self.db = db
        self.handlers = handlers
        self.clock = clock
        self.options = options or WorkerOptions()
        self.worker_id = f"{socket.gethostname()[:30]}-{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(self.options.threads, thread_name_prefix="watchkeep-job")
        db.on_commit(self._wake.set)
        # PostgreSQL: woken by any process's commit (LISTEN/NOTIFY); polling is the fallback.
        self._listener = None if db.is_sqlite else OutboxListener(db, self._wake.set)

    def run_once(self) -> int:
        """Claim one batch and run it to the end; answers how many jobs ran."""
        with self.db.write() as session:
            jobs = store.claim(
                session,
                now=self.clock.now(),
                limit=self.options.batch,
                lease_seconds=self.options.lease_seconds,
                worker_id=self.worker_id,
            )
        singles = []
        batches: dict[str, list[Job]] = {}
        for job in jobs:
            if self.handlers.get_batch(job.kind) is None:
                singles.append(job)
            else:
                batches.setdefault(job.kind, []).append(job)
        for kind, batch in batches.items():
            singles.extend(self._run_batch(kind, batch))
        if singles:
            list(self._pool.map(self._run, singles))
        return len(jobs)

    def _run_batch(self, kind: str, jobs: list[Job]) -> list[Job]:
        """Run `jobs` together; answers them all back to be run one by one if that fails."""
        handler = self.handlers.get_batch(kind)
        assert handler is not None
        try:
            with self.db.write() as session:
                handler(session, jobs, self.clock.now())
                if not store.complete_all(session, jobs):
                    raise LeaseLostError("an outbox row of the batch was taken over")
        except Exception:
            log.warning("batch of %d %s jobs failed; running them one by one", len(jobs), kind)
            return jobs
        metrics.OUTBOX_JOBS.labels(kind, "done").inc(len(jobs))
        log.info(
            "%d %s jobs done together",
            len(jobs),
            kind,
            extra={
                "kind": kind,
                "job_ids": [job.id for job in jobs],
                # The requests whose changes these rows carry (and pass on to what they enqueue).
                "request_ids": sorted({job.request_id for job in jobs if job.request_id}),
            },
        )
        return []

    def drain(self, max_rounds: int = 1000) -> int:
        """Run batches until nothing is due now (for tests and one-shot runs)."""
        total = 0
        for _ in range(max_rounds):
            ran = self.run_once()
            if not ran:
                return total
            total += ran
        raise RuntimeError(f"outbox not drained after {max_rounds} rounds")

    def run_forever(self) -> None:
        log.info("worker %s started", self.worker_id)
        next_beat = 0.0
        if self._listener is not None:
            self._listener.start()
        while not self._stop.is_set():
            try:
                if time.monotonic() >= next_beat:
                    self.beat()
                    next_beat = time.monotonic() + self.options.heartbeat_seconds
                if self.run_once():
                    continue
                self._wait_for_work()
            except Exception:
                # A database blip must not kill the loop; the rows are still there.
                log.exception("worker round failed; retrying")
                self._stop.wait(self.options.poll_seconds)
        self._say_stopped()
        log.info("worker %s stopped", self.worker_id)

    def beat(self) -> None:
        """Stamp this worker's heartbeat: it is alive and draining the outbox."""
        with self.db.write() as session:
            heartbeats.beat(session, self.worker_id, self.clock.now())

    def _say_stopped(self) -> None:
        try:
            with self.db.write() as session:
                heartbeats.stop(session, self.worker_id)
        except Exception:
            log.warning("worker %s could not clear its heartbeat", self.worker_id)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._listener is not None:
            self._listener.stop()
        self._pool.shutdown(wait=True)

    def _wait_for_work(self) -> None:
        timeout = self.options.poll_seconds
        if self._listener is not None and self._listener.listening.is_set():
            # Notified of every new row: the poll only guards against a lost notification.
            timeout = max(timeout, LISTENING_POLL_SECONDS)
        with self.db.read() as session:
            due = store.next_due_at(session)
        if due is not None:
            timeout = min(timeout, max(0.0, (due - self.clock.now()).total_seconds()))
        self._wake.wait(timeout)
        self._wake.clear()

    def _run(self, job: Job) -> None:
        # Lines logged and rows enqueued while the job runs carry its request's id.
        with logs.bound_request_id(job.request_id):
            outcome = self._run_job(job)
        metrics.OUTBOX_JOBS.labels(job.kind, outcome).inc()

    def _run_job(self, job: Job) -> str:
        """Run one job and record how it ended; answers that outcome's metric label."""
        handler = self.handlers.get(job.kind)
        context = JobContext(job, self.db, self.clock)
        log.debug("outbox row %s (%s) running", job.id, job.kind, extra={"job_id": job.id})
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {job.kind!r}")
            handler(context)
            if not context.completed:
                with self.db.write() as session:
                    if not store.complete(session, job):
                        log.warning("outbox row %s finished after its lease was lost", job.id)
            log.info(
                "outbox row %s (%s) done",
                job.id,
                job.kind,
                extra={"job_id": job.id, "kind": job.kind, "attempt": job.attempts},
            )
            return "done"
        except LeaseLostError:
            log.warning("outbox row %s: lease lost, its changes were rolled back", job.id)
            return "lease_lost"
        except RetryLater as exc:
            self._retry(job, str(exc), exc.after_seconds, exc.payload)
            return "retry"
        except PermanentFailure as exc:
            log.warning("outbox row %s (%s) failed for good: %s", job.id, job.kind, exc)
            with self.db.write() as session:
                store.fail(session, job, error=str(exc))
            return "failed"
        except Exception as exc:
            error = "".join(traceback.format_exception_only(exc)).strip()
            if job.attempts >= self.options.max_attempts:
                log.error("outbox row %s (%s) gave up: %s", job.id, job.kind, error)
                with self.db.write() as session:
                    store.fail(session, job, error=error)
                return "failed"
            log.warning("outbox row %s (%s) will retry: %s", job.id, job.kind, error)
            self._retry(job, error, None)
            return "retry"

    def _retry(
        self,
        job: Job,
        error: str,
        after_seconds: float | None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        if after_seconds is None:
            after_seconds = backoff_seconds(job.attempts, self.options)
        with self.db.write() as session:
            due_at = self.clock.now() + timedelta(seconds=after_seconds)
            store.retry(session, job, due_at=due_at, error=error, payload=payload)


def backoff_seconds(attempts: int, options: WorkerOptions) -> float:
    """Exponential, capped, with jitter so that retries after an outage spread out."""
    ceiling = options.backoff_base_seconds * 2 ** min(attempts - 1, 30)
    return min(options.backoff_cap_seconds, ceiling) * random.uniform(0.5, 1.0)
