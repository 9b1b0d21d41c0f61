"""What /metrics and /readyz ask of the outbox, on both databases: each kind's rows
due now, due later and failed, since when the oldest due row waits; and workers'
heartbeats."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from watchkeep.outbox import JobKind, heartbeats, queries, store
from watchkeep.outbox.models import OutboxRow, OutboxState, WorkerHeartbeat
from watchkeep.runtime import Runtime


def test_backlog_by_kind(any_runtime: Runtime) -> None:
    now = any_runtime.clock.now()
    with any_runtime.db.write() as session:
        store.enqueue(session, JobKind.EVENT, {}, now=now - timedelta(seconds=30))
        store.enqueue(session, JobKind.EVENT, {}, now=now - timedelta(seconds=5))
        store.enqueue(session, JobKind.SLA_CHECK, {}, now=now, due_at=now + timedelta(hours=1))
        failed = store.enqueue(session, JobKind.SLA_CHECK, {}, now=now)
        session.execute(
            update(OutboxRow).where(OutboxRow.id == failed).values(state=OutboxState.FAILED)
        )
    with any_runtime.db.read() as session:
        found = {row.kind: row for row in queries.backlog(session, now)}
    assert found["event"] == queries.Backlog("event", 2, 0, 0, now - timedelta(seconds=30))
    assert found["timer.sla_check"] == queries.Backlog("timer.sla_check", 0, 1, 1, None)


def test_heartbeats_keep_the_latest_and_forget_the_long_dead(any_runtime: Runtime) -> None:
    now = any_runtime.clock.now()
    with any_runtime.db.write() as session:
        heartbeats.beat(session, "old", now - timedelta(days=2))
        heartbeats.beat(session, "a", now - timedelta(seconds=20))
        heartbeats.beat(session, "a", now - timedelta(seconds=10))
        heartbeats.beat(session, "b", now - timedelta(seconds=15))
    with any_runtime.db.read() as session:
        assert heartbeats.latest(session) == now - timedelta(seconds=10)
        names = session.scalars(select(WorkerHeartbeat.worker_id)).all()
    assert sorted(names) == ["a", "b"]
    with any_runtime.db.write() as session:
        heartbeats.stop(session, "a")
    with any_runtime.db.read() as session:
        assert heartbeats.latest(session) == now - timedelta(seconds=15)
