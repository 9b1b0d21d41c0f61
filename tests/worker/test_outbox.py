"""The outbox and its worker: order, retries, failures, leases, timers, several workers."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from watchkeep.core.models import IncidentStatus
from watchkeep.db.engine import Database
from watchkeep.outbox import store
from watchkeep.outbox.models import OutboxRow, OutboxState
from watchkeep.runtime import Runtime
from watchkeep.worker.handlers import Handlers, JobContext, PermanentFailure, RetryLater
from watchkeep.worker.loop import Worker, WorkerOptions, backoff_seconds

from support import FrozenClock


class Recorder:
    """A handler that records what it ran, and can be told to fail."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.lock = threading.Lock()
        self.failure: Exception | None = None

    def __call__(self, context: JobContext) -> None:
        if self.failure is not None:
            raise self.failure
        with self.lock:
            self.ran.append(context.job.payload["name"])


@pytest.fixture
def recorder(runtime: Runtime) -> Recorder:
    recorder = Recorder()
    runtime.handlers.register("test.record", recorder)
    return recorder


def put(runtime: Runtime, *names: str, key: str | None = None, delay: float = 0) -> None:
    now = runtime.clock.now()
    with runtime.db.write() as session:
        for name in names:
            store.enqueue(
                session,
                "test.record",
                {"name": name},
                now=now,
                ordering_key=key,
                due_at=now + timedelta(seconds=delay),
            )


def rows(runtime: Runtime) -> list[OutboxRow]:
    with runtime.db.read() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def test_rows_with_one_ordering_key_run_one_at_a_time_in_order(
    runtime: Runtime, recorder: Recorder
) -> None:
    put(runtime, "a1", "a2", "a3", key="incident:1")
    put(runtime, "b1", "b2", key="incident:2")
    put(runtime, "free1", "free2")
    worker = runtime.worker()
    assert worker.run_once() == 4
    assert sorted(recorder.ran) == ["a1", "b1", "free1", "free2"]
    worker.drain()
    assert [n for n in recorder.ran if n[0] == "a"] == ["a1", "a2", "a3"]
    assert rows(runtime) == []


def test_a_future_row_waits_for_its_time(
    runtime: Runtime, recorder: Recorder, clock: FrozenClock
) -> None:
    put(runtime, "later", delay=60)
    worker = runtime.worker()
    assert worker.drain() == 0
    clock.advance(seconds=60)
    assert worker.drain() == 1
    assert recorder.ran == ["later"]


def test_a_failing_handler_backs_off_and_keeps_its_error(
    runtime: Runtime, recorder: Recorder, clock: FrozenClock
) -> None:
    put(runtime, "flaky")
    recorder.failure = ConnectionError("slack unreachable")
    worker = runtime.worker()
    assert worker.run_once() == 1
    [row] = rows(runtime)
    assert row.attempts == 1
    assert "slack unreachable" in row.last_error
    assert row.due_at > clock.now()
    assert row.locked_by is None
    assert worker.drain() == 0
    recorder.failure = None
    clock.advance(seconds=worker.options.backoff_cap_seconds)
    assert worker.drain() == 1
    assert recorder.ran == ["flaky"]
    assert rows(runtime) == []


def test_backoff_grows_to_a_cap() -> None:
    delays = [backoff_seconds(n, WorkerOptions()) for n in (1, 2, 5, 30, 500)]
    assert 0.5 <= delays[0] <= 1
    assert 1 <= delays[1] <= 2
    assert 8 <= delays[2] <= 16
    assert 150 <= delays[3] <= 300
    assert 150 <= delays[4] <= 300


def test_after_max_attempts_a_row_fails_and_stays(
    runtime: Runtime, recorder: Recorder, clock: FrozenClock
) -> None:
    put(runtime, "doomed")
    recorder.failure = ValueError("bad payload")
    worker = Worker(runtime.db, runtime.handlers, clock, WorkerOptions(max_attempts=3))
    for _ in range(5):
        worker.drain()
        clock.advance(minutes=10)
    [row] = rows(runtime)
    assert (row.state, row.attempts) == (OutboxState.FAILED, 3)
    assert "ValueError: bad payload" in row.last_error
    recorder.failure = None
    with runtime.db.write() as session:
        assert store.requeue_failed(session, now=clock.now()) == 1
    assert worker.drain() == 1
    assert rows(runtime) == []


def test_retry_later_waits_as_told_and_never_gives_up(
    runtime: Runtime, recorder: Recorder, clock: FrozenClock
) -> None:
    put(runtime, "rate-limited")
    recorder.failure = RetryLater("429 ratelimited", after_seconds=7)
    worker = Worker(runtime.db, runtime.handlers, clock, WorkerOptions(max_attempts=2))
    for _ in range(4):
        assert worker.drain() == 1
        [row] = rows(runtime)
        assert row.state is OutboxState.PENDING
        assert row.due_at == clock.now() + timedelta(seconds=7)
        clock.advance(seconds=7)
    recorder.failure = None
    assert worker.drain() == 1
    assert recorder.ran == ["rate-limited"]


def test_a_permanent_failure_stops_at_once(runtime: Runtime, recorder: Recorder) -> None:
    put(runtime, "gone")
    recorder.failure = PermanentFailure("channel_not_found")
    runtime.worker().drain()
    [row] = rows(runtime)
    assert (row.state, row.attempts, row.last_error) == (OutboxState.FAILED, 1, "channel_not_found")


def test_a_row_of_unknown_kind_is_kept_with_the_reason(runtime: Runtime) -> None:
    with runtime.db.write() as session:
        store.enqueue(session, "from.the.future", {}, now=runtime.clock.now())
    runtime.worker().drain()
    [row] = rows(runtime)
    assert row.state is OutboxState.PENDING
    assert "no handler" in row.last_error


def test_an_expired_lease_hands_the_row_to_another_worker(
    runtime: Runtime, recorder: Recorder, clock: FrozenClock
) -> None:
    put(runtime, "orphan")
    with runtime.db.write() as session:
        [stolen] = store.claim(
            session, now=clock.now(), limit=10, lease_seconds=60, worker_id="crashed"
        )
    worker = runtime.worker()
    assert worker.drain() == 0, "a live lease must be respected"
    clock.advance(seconds=61)
    assert worker.drain() == 1
    assert recorder.ran == ["orphan"]
    with runtime.db.write() as session:
        assert not store.complete(session, stolen), "the first worker lost its lease"


def test_a_commit_wakes_an_idle_worker(runtime: Runtime, recorder: Recorder) -> None:
    worker = Worker(runtime.db, runtime.handlers, runtime.clock, WorkerOptions(poll_seconds=60))
    thread = threading.Thread(target=worker.run_forever)
    thread.start()
    try:
        put(runtime, "now please")
        for _ in range(100):
            if recorder.ran:
                break
            threading.Event().wait(0.05)
        assert recorder.ran == ["now please"], "the worker slept through the commit"
    finally:
        worker.stop()
        thread.join()


def test_the_snooze_timer_retriggers_the_incident(
    runtime: Runtime, clock: FrozenClock, admin_api, service_id: int
) -> None:
    incident = admin_api.post("/api/v1/incidents", {"title": "x", "service_id": service_id}).json()
    path = f"/api/v1/incidents/{incident['id']}"
    admin_api.post(f"{path}/snooze", {"minutes": 30})
    worker = runtime.worker()
    worker.drain()
    clock.advance(minutes=29)
    worker.drain()
    assert admin_api.get(path).json()["status"] == "SNOOZED"
    clock.advance(minutes=1)
    worker.drain()
    detail = admin_api.get(path).json()
    assert detail["status"] == IncidentStatus.TRIGGERED
    assert detail["timeline"][-1]["message"] == "Snooze expired; the incident is triggered again"
    assert detail["timeline"][-1]["source"] == "system"


def test_a_stale_snooze_timer_does_nothing(
    runtime: Runtime, clock: FrozenClock, admin_api, service_id: int
) -> None:
    incident = admin_api.post("/api/v1/incidents", {"title": "x", "service_id": service_id}).json()
    path = f"/api/v1/incidents/{incident['id']}"
    admin_api.post(f"{path}/snooze", {"minutes": 30})
    admin_api.post(f"{path}/acknowledge")
    admin_api.post(f"{path}/snooze", {"minutes": 60})
    clock.advance(minutes=31)
    runtime.worker().drain()
    assert admin_api.get(path).json()["status"] == "SNOOZED"
    clock.advance(minutes=30)
    runtime.worker().drain()
    assert admin_api.get(path).json()["status"] == "TRIGGERED"
    assert [row.kind for row in rows(runtime)] == []


def test_subscribers_see_every_event_once_in_order(
    runtime: Runtime, admin_api, service_id: int
) -> None:
    seen: list[tuple[int, str]] = []
    runtime.bus.subscribe(lambda session, event, now: seen.append((event.incident_id, event.type)))
    ids = [
        admin_api.post("/api/v1/incidents", {"title": "x", "service_id": service_id}).json()["id"]
        for _ in range(3)
    ]
    for incident_id in ids:
        admin_api.post(f"/api/v1/incidents/{incident_id}/acknowledge")
        admin_api.post(f"/api/v1/incidents/{incident_id}/resolve")
    runtime.worker().drain()
    for incident_id in ids:
        assert [t for i, t in seen if i == incident_id] == [
            "incident.triggered",
            "incident.acknowledged",
            "incident.resolved",
        ]
    assert len(seen) == 9


@pytest.mark.postgres
def test_two_workers_on_postgresql_never_run_one_row_twice(pg_url: str) -> None:
    clock = FrozenClock()
    ran: list[tuple[str, str]] = []
    lock = threading.Lock()

    def record(context: JobContext) -> None:
        threading.Event().wait(0.001)
        with lock:
            ran.append((context.job.payload["name"], context.job.ordering_key or ""))

    writer = Database(pg_url)
    with writer.write() as session:
        for i in range(600):
            key = f"incident:{i % 20}" if i % 3 else None
            store.enqueue(
                session, "test.record", {"name": str(i)}, now=clock.now(), ordering_key=key
            )
    workers = []
    for _ in range(2):
        handlers = Handlers()
        handlers.register("test.record", record)
        # Separate engines and pools, as two processes would have.
        workers.append(
            Worker(Database(pg_url), handlers, clock, WorkerOptions(threads=4, batch=25))
        )
    threads = [threading.Thread(target=worker.drain) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    names = [name for name, _ in ran]
    assert len(names) == 600
    assert Counter(names).most_common(1)[0][1] == 1
    for key in {k for _, k in ran if k}:
        in_key = [int(name) for name, k in ran if k == key]
        assert in_key == sorted(in_key), f"{key} ran out of order"
    with writer.read() as session:
        assert session.scalars(select(OutboxRow)).all() == []
