"""A claimed batch of events is fanned out with one load of what all of them need, and a
batch of due escalation steps writes its timeline entries together: on PostgreSQL each
query is a round trip, so a storm's cost must not grow by queries per incident."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, func, select

from watchkeep.core import accounts, services
from watchkeep.core.actors import Actor
from watchkeep.core.incidents import create_incident
from watchkeep.core.models import Role, TimelineEvent, Urgency
from watchkeep.oncall import policies
from watchkeep.oncall.policies import StepSpec, TargetSpec
from watchkeep.runtime import Runtime
from watchkeep.worker.loop import Worker, WorkerOptions

INCIDENTS = 12


@contextmanager
def statements(runtime: Runtime) -> Iterator[Counter[str]]:
    """Each statement sent, by its first words (`SELECT … FROM slack_workspaces`)."""
    seen: Counter[str] = Counter()

    def watch(_conn, _cursor, statement: str, *_args) -> None:
        flat = " ".join(statement.split())
        table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", flat)
        seen[f"{flat.split()[0]} {table.group(1) if table else ''}"] += 1

    event.listen(runtime.db.engine, "before_cursor_execute", watch)
    try:
        yield seen
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", watch)


def storm(runtime: Runtime) -> list[int]:
    now = runtime.clock.now()
    with runtime.db.write() as session:
        alice = accounts.create_user(
            session, email="alice@example.com", name="Alice", role=Role.RESPONDER, now=now
        )
        policy = policies.create_policy(
            session, name="P", steps=[StepSpec(10, [TargetSpec("user", alice.id)])], now=now
        )
        service = services.create_service(session, name="s", ack_sla_minutes=15, now=now)
        policies.assign_policy(session, service, policy.id)
        return [
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


def test_a_batch_of_triggers_loads_once_and_pages_in_one_insert(any_runtime: Runtime) -> None:
    runtime = any_runtime
    ids = storm(runtime)
    worker = Worker(runtime.db, runtime.handlers, runtime.clock, WorkerOptions(batch=50))
    try:
        with statements(runtime) as fan_out:
            assert worker.run_once() == INCIDENTS, "the triggers, one batch"
        with statements(runtime) as paging:
            assert worker.run_once() == INCIDENTS, "step 1 of each, due at once: one batch"
    finally:
        worker.stop()
    for table in ("slack_workspaces", "runbooks", "incident_escalations", "incident_slas"):
        assert fan_out[f"SELECT {table}"] == 1, (table, fan_out)
    assert fan_out["SELECT timeline_events"] == 1, "when each change happened, for all at once"
    assert fan_out["INSERT outbox"] == 1, "every step's timer and every SLA target in one INSERT"
    # SQLite's driver sends a RETURNING insert row by row (in process, no round trip).
    inserts = 1 if not runtime.db.is_sqlite else INCIDENTS
    assert paging["INSERT timeline_events"] == inserts, "every step's entry in one INSERT"
    assert paging["INSERT outbox"] == 1, "their events and next timers in one INSERT"
    with runtime.db.read() as session:
        escalated = session.execute(
            select(TimelineEvent.incident_id, func.count())
            .where(TimelineEvent.type == "escalated")
            .group_by(TimelineEvent.incident_id)
        ).all()
    assert dict(escalated) == dict.fromkeys(ids, 1)
