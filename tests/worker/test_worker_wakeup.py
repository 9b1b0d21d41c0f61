"""Workers on PostgreSQL are woken by LISTEN/NOTIFY: a row another process commits runs
without waiting for a poll; while nobody listens the worker polls as before."""

from __future__ import annotations

import threading

import pytest

from watchkeep.db.engine import Database
from watchkeep.db.notify import OutboxListener
from watchkeep.outbox import store
from watchkeep.runtime import Runtime
from watchkeep.worker.handlers import Handlers, JobContext
from watchkeep.worker.loop import Worker, WorkerOptions

# Far longer than the test may take: a job that runs was woken, not polled for.
NEVER = 3600.0


def enqueue_elsewhere(url: str, name: str, clock) -> None:
    """Commit a row through another engine, as another process would: this process's
    own commit hook cannot wake the worker."""
    other = Database(url)
    try:
        with other.write() as session:
            store.enqueue(session, "test.wake", {"name": name}, now=clock.now())
    finally:
        other.dispose()


@pytest.mark.postgres
def test_a_row_committed_by_another_process_wakes_the_worker(
    pg_runtime: Runtime, pg_url: str
) -> None:
    ran: list[str] = []
    done = threading.Event()

    def handler(context: JobContext) -> None:
        ran.append(context.job.payload["name"])
        done.set()

    handlers = Handlers()
    handlers.register("test.wake", handler)
    options = WorkerOptions(threads=1, poll_seconds=NEVER)
    worker = Worker(pg_runtime.db, handlers, pg_runtime.clock, options)
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    try:
        assert worker._listener is not None
        assert worker._listener.listening.wait(30), "the worker listens on PostgreSQL"
        enqueue_elsewhere(pg_url, "paged", pg_runtime.clock)
        assert done.wait(60), "woken by the notification, not by a poll an hour away"
        assert ran == ["paged"]
    finally:
        worker.stop()
        thread.join(30)


@pytest.mark.postgres
def test_the_listener_wakes_the_worker_on_each_notification_and_on_losing_its_connection(
    pg_runtime: Runtime, pg_url: str
) -> None:
    wakes = threading.Semaphore(0)
    listener = OutboxListener(pg_runtime.db, wakes.release).start()
    try:
        assert listener.listening.wait(30)
        enqueue_elsewhere(pg_url, "one", pg_runtime.clock)
        assert wakes.acquire(timeout=60), "one notification, one wake-up"
        with pg_runtime.db.engine.connect() as connection:
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN %%' AND datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
        assert wakes.acquire(timeout=60), "a lost connection wakes the worker to claim"
        assert listener.listening.wait(60), "and the listener connects again"
    finally:
        listener.stop()


def test_sqlite_workers_poll_and_listen_to_nothing(runtime: Runtime) -> None:
    worker = Worker(runtime.db, Handlers(), runtime.clock, WorkerOptions(poll_seconds=0.01))
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    worker.stop()
    thread.join(30)
    assert worker._listener is None
