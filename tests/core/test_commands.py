"""The group commit of incident changes: batches that answer each change on its own,
refusals that stay refusals, crashes that lose no answer, several writers on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core import incidents, services, transitions
from watchkeep.core.actors import Actor
from watchkeep.core.commands import POSTGRES_LANES, Changes
from watchkeep.core.errors import InvalidInputError, InvalidTransitionError
from watchkeep.core.models import IncidentStatus, Source, TimelineEvent, Urgency
from watchkeep.db.engine import Database
from watchkeep.outbox.models import OutboxRow
from watchkeep.runtime import Runtime

ALICE = Actor(name="Alice", source=Source.API)


class CountingChanges(Changes):
    """Changes that remember the size of every batch they applied."""

    def __init__(self, db: Database, **options: Any) -> None:
        super().__init__(db, **options)
        self.batches: list[int] = []

    def apply_batch(self, changes: list) -> list[Any]:
        self.batches.append(len(changes))
        return super().apply_batch(changes)


def open_incidents(runtime: Runtime, count: int) -> list[int]:
    now = runtime.clock.now()
    with runtime.db.write() as session:
        service = services.create_service(session, name="api", now=now)
        return [
            incidents.create_incident(
                session,
                title=f"Disk {n}",
                service_id=service.id,
                urgency=Urgency.HIGH,
                actor=ALICE,
                now=now,
            )[0].id
            for n in range(count)
        ]


def acknowledge(runtime: Runtime, incident_id: int):
    return lambda s: transitions.acknowledge(s, incident_id, ALICE, now=runtime.clock.now())


def statuses(runtime: Runtime, ids: list[int]) -> list[IncidentStatus]:
    with runtime.db.read() as session:
        return [incidents.get_incident(session, i).status for i in ids]


def timeline_count(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        return session.scalar(select(func.count()).select_from(TimelineEvent))


class HeldWriter:
    """Keeps the writer busy with one change until released, so that the changes queued
    meanwhile make up the next batch together."""

    def __init__(self, changes: Changes) -> None:
        self.changes = changes
        self.running = threading.Event()
        self.release = threading.Event()
        self.pool = ThreadPoolExecutor(16)

    def __enter__(self) -> HeldWriter:
        def hold(_session: Session) -> None:
            self.running.set()
            assert self.release.wait(30)

        self.held = self.pool.submit(self.changes.run, hold)
        assert self.running.wait(30)
        return self

    def submit(self, change, incident_id: int | None = None):
        return self.pool.submit(self.changes.run, change, incident_id=incident_id)

    def queued(self) -> int:
        return sum(lane.queue.qsize() for lane in self.changes._group._lanes)

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.held.result(30)
        self.pool.shutdown(wait=True)


def test_a_refused_change_refuses_only_itself_and_the_batch_commits(any_runtime: Runtime) -> None:
    runtime = any_runtime
    first, resolved, third, fourth = open_incidents(runtime, 4)
    with runtime.db.write() as session:
        transitions.resolve(session, resolved, ALICE, now=runtime.clock.now())
    before = timeline_count(runtime)
    changes = CountingChanges(runtime.db, lanes=1)

    def acknowledge_then_refuse(session: Session) -> None:
        transitions.acknowledge(session, fourth, ALICE, now=runtime.clock.now())
        raise InvalidInputError("minutes", "changed its mind after writing")

    with HeldWriter(changes) as held:
        answers = [
            held.submit(acknowledge(runtime, first)),
            held.submit(acknowledge(runtime, resolved)),
            held.submit(
                lambda s: transitions.add_note(s, third, ALICE, now=runtime.clock.now(), text=" ")
            ),
            held.submit(acknowledge(runtime, third)),
            held.submit(acknowledge_then_refuse),
        ]
        while held.queued() < 5:
            threading.Event().wait(0.01)
    assert changes.batches == [1, 5], "the five changes were applied as one batch"
    assert answers[0].result().status is IncidentStatus.ACKNOWLEDGED
    with pytest.raises(InvalidTransitionError):
        answers[1].result()
    with pytest.raises(InvalidInputError):
        answers[2].result()
    assert answers[3].result().acknowledged_by_name == "Alice"
    with pytest.raises(InvalidInputError, match="changed its mind"):
        answers[4].result()
    assert statuses(runtime, [first, resolved, third, fourth]) == [
        IncidentStatus.ACKNOWLEDGED,
        IncidentStatus.RESOLVED,
        IncidentStatus.ACKNOWLEDGED,
        IncidentStatus.TRIGGERED,
    ], "what the refused change wrote before its refusal is rolled back with it"
    assert timeline_count(runtime) == before + 2, "only the two acknowledgements were recorded"


def test_a_change_that_breaks_its_batch_is_run_alone_and_fails_alone(runtime: Runtime) -> None:
    first, second = open_incidents(runtime, 2)
    changes = CountingChanges(runtime.db, lanes=1)

    def broken(session: Session) -> None:
        session.add(TimelineEvent())  # NOT NULL columns left empty: the INSERT fails
        session.flush()

    with HeldWriter(changes) as held:
        answers = [
            held.submit(acknowledge(runtime, first)),
            held.submit(broken),
            held.submit(acknowledge(runtime, second)),
        ]
        while held.queued() < 3:
            threading.Event().wait(0.01)
    assert changes.batches == [1, 3, 1, 1, 1], "the failed batch ran again, one change at a time"
    assert answers[0].result().status is IncidentStatus.ACKNOWLEDGED
    with pytest.raises(Exception, match="NOT NULL"):
        answers[1].result()
    assert answers[2].result().status is IncidentStatus.ACKNOWLEDGED


def test_one_writer_on_sqlite_several_on_postgresql(any_runtime: Runtime) -> None:
    lanes = len(any_runtime.changes._group._lanes)
    assert lanes == (1 if any_runtime.db.is_sqlite else POSTGRES_LANES)


@pytest.mark.postgres
def test_writers_on_postgresql_commit_while_another_holds_its_rows(pg_runtime: Runtime) -> None:
    runtime = pg_runtime
    first, second = open_incidents(runtime, 2)
    changes = Changes(runtime.db, lanes=2)
    holding, release = threading.Event(), threading.Event()
    story: list[str] = []

    def acknowledge_and_hold(session: Session) -> IncidentStatus:
        incident = transitions.acknowledge(session, first, ALICE, now=runtime.clock.now())
        story.append("first holds its row")
        holding.set()
        assert release.wait(30)
        return incident.status

    with ThreadPoolExecutor(2) as pool:
        held = pool.submit(changes.run, acknowledge_and_hold, incident_id=0)
        assert holding.wait(30)
        other = changes.run(acknowledge(runtime, second), incident_id=1)
        story.append(f"second committed {other.status.value}")
        release.set()
        assert held.result(30) is IncidentStatus.ACKNOWLEDGED
    assert story == ["first holds its row", "second committed ACKNOWLEDGED"]
    assert statuses(runtime, [first, second]) == [IncidentStatus.ACKNOWLEDGED] * 2


def test_racing_acknowledgements_of_one_incident_answer_one_yes(racing_runtime: Runtime) -> None:
    runtime = racing_runtime
    (incident_id,) = open_incidents(runtime, 1)
    with ThreadPoolExecutor(20) as pool:
        answers = [
            pool.submit(runtime.changes.run, acknowledge(runtime, incident_id), incident_id=i)
            for i in range(40)
        ]
        outcomes = [
            "yes" if future.exception() is None else type(future.exception()).__name__
            for future in answers
        ]
    assert sorted(outcomes) == ["InvalidTransitionError"] * 39 + ["yes"]


CRASHING_PROCESS = textwrap.dedent(
    """
    import os, sys, threading
    from concurrent.futures import ThreadPoolExecutor
    from watchkeep.config import Settings
    from watchkeep.core import transitions
    from watchkeep.core.actors import Actor
    from watchkeep.core.models import Source
    from watchkeep.runtime import build_runtime

    url, data_dir, ids = sys.argv[1], sys.argv[2], [int(i) for i in sys.argv[3].split(",")]
    runtime = build_runtime(Settings(data_dir=data_dir, database_url=url, secret_key="k"))
    changes, lane = runtime.changes, runtime.changes._group._lanes[0]
    actor = Actor(name="Alice", source=Source.SLACK)
    pool = ThreadPoolExecutor(8)

    def ack(incident_id):
        change = lambda s: transitions.acknowledge(s, incident_id, actor, now=runtime.clock.now())
        changes.run(change)
        print(f"acknowledged {incident_id}", flush=True)

    def batch_after_hold(*work):
        running, release = threading.Event(), threading.Event()
        held = pool.submit(changes.run, lambda s: (running.set(), release.wait())[0])
        running.wait()
        futures = [pool.submit(*w) for w in work]
        while lane.queue.qsize() < len(work):
            threading.Event().wait(0.01)
        release.set()
        held.result()
        return futures

    def crash(session):
        os._exit(3)  # the process dies with the batch applied but not committed

    for future in batch_after_hold(*[(ack, i) for i in ids[:3]]):
        future.result()
    batch_after_hold(*[(ack, i) for i in ids[3:]], (changes.run, crash))
    threading.Event().wait(60)
    """
)


def test_a_crash_mid_batch_loses_no_acknowledged_answer(runtime: Runtime, tmp_path) -> None:
    ids = open_incidents(runtime, 6)
    with runtime.db.read() as session:
        queued_before = session.scalar(select(func.count()).select_from(OutboxRow))
    runtime.db.dispose()
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            CRASHING_PROCESS,
            runtime.db.url,
            str(tmp_path / "child"),
            ",".join(map(str, ids)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 3, child.stderr
    answered = sorted(child.stdout.split("\n")[:-1])
    assert answered == sorted(f"acknowledged {i}" for i in ids[:3])
    assert (
        statuses(runtime, ids) == [IncidentStatus.ACKNOWLEDGED] * 3 + [IncidentStatus.TRIGGERED] * 3
    ), "every answered change is committed, nothing of the crashed batch is"
    with runtime.db.read() as session:
        queued = session.scalar(select(func.count()).select_from(OutboxRow))
    assert queued == queued_before + 3, "one event for each committed acknowledgement"
