"""Several workers on one PostgreSQL: every step pages once, every breach is said once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from watchkeep.config import Settings
from watchkeep.core import accounts, services
from watchkeep.core.actors import Actor
from watchkeep.core.incidents import create_incident
from watchkeep.core.models import Role, TimelineEvent, Urgency
from watchkeep.db.engine import Database
from watchkeep.oncall import policies
from watchkeep.oncall.policies import StepSpec, TargetSpec
from watchkeep.outbox import JobKind, queries, store
from watchkeep.outbox.models import OutboxRow
from watchkeep.runtime import Runtime, build_runtime
from watchkeep.worker.loop import Worker, WorkerOptions

from support import FrozenClock

INCIDENTS = 30


@pytest.fixture
def pg_runtime(pg_url: str, clock: FrozenClock, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings(data_dir=tmp_path / "data", database_url=pg_url, secret_key="k")
    runtime = build_runtime(settings, clock=clock)
    yield runtime
    runtime.db.dispose()


def run_workers_together(runtime: Runtime, pg_url: str, *, batch: int, count: int = 2) -> None:
    """Drain with `count` workers at once, each with its own engine, as separate
    processes would."""
    workers = [
        Worker(
            Database(pg_url), runtime.handlers, runtime.clock, WorkerOptions(threads=4, batch=batch)
        )
        for _ in range(count)
    ]
    threads = [threading.Thread(target=worker.drain) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in workers:
        worker.stop()
        worker.db.dispose()


def double_pending_timers(runtime: Runtime) -> int:
    """Replace every pending timer row by two adjacent copies (as a replay would make),
    so that workers claiming one row at a time take the two copies at the same moment."""
    with runtime.db.write() as session:
        kinds = [JobKind.ESCALATION_STEP, JobKind.SLA_CHECK]
        rows = session.scalars(
            select(OutboxRow).where(OutboxRow.kind.in_(kinds)).order_by(OutboxRow.id)
        ).all()
        for row in rows:
            for _ in range(2):
                store.enqueue(
                    session, row.kind, dict(row.payload), now=runtime.clock.now(), due_at=row.due_at
                )
            session.delete(row)
        return len(rows)


def timeline_counts(runtime: Runtime, kind: str) -> Counter[int]:
    with runtime.db.read() as session:
        query = (
            select(TimelineEvent.incident_id, func.count())
            .where(TimelineEvent.type == kind)
            .group_by(TimelineEvent.incident_id)
        )
        return Counter(dict(session.execute(query).all()))


@pytest.mark.postgres
def test_several_workers_page_each_step_once(
    pg_runtime: Runtime, pg_url: str, clock: FrozenClock
) -> None:
    runtime, now = pg_runtime, clock.now()
    with runtime.db.write() as session:
        alice = accounts.create_user(
            session, email="alice@example.com", name="Alice", role=Role.RESPONDER, now=now
        )
        policy = policies.create_policy(
            session,
            name="P",
            steps=[StepSpec(10, [TargetSpec("user", alice.id)])] * 3,
            now=now,
        )
        service = services.create_service(session, name="s", ack_sla_minutes=15, now=now)
        policies.assign_policy(session, service, policy.id)
        ids = [
            create_incident(
                session,
                title=f"i{n}",
                service_id=service.id,
                urgency=Urgency.HIGH,
                actor=Actor.system(),
                now=now,
            )[0].id
            for n in range(INCIDENTS)
        ]
    run_workers_together(runtime, pg_url, batch=7)
    assert timeline_counts(runtime, "escalated") == Counter(dict.fromkeys(ids, 1))
    for _ in range(2):
        assert double_pending_timers(runtime) >= INCIDENTS
        clock.advance(minutes=10)
        run_workers_together(runtime, pg_url, batch=1)
    assert timeline_counts(runtime, "escalated") == Counter(dict.fromkeys(ids, 3))
    assert timeline_counts(runtime, "sla_breached") == Counter(dict.fromkeys(ids, 1))
    with runtime.db.read() as session:
        steps = session.scalars(
            select(TimelineEvent.data).where(TimelineEvent.type == "escalated")
        ).all()
        assert Counter(data["step"] for data in steps) == {1: INCIDENTS, 2: INCIDENTS, 3: INCIDENTS}
        assert queries.pending_count(session) == 0, "every row ran, none is left to retry"
