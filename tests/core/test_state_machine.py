"""The state machine: every action from every status, allowed or refused."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from watchkeep.core import incidents, services, transitions
from watchkeep.core.actors import Actor
from watchkeep.core.errors import InvalidInputError, InvalidTransitionError
from watchkeep.core.models import IncidentStatus, Source, TimelineEvent, Urgency
from watchkeep.core.transitions import ALLOWED, Action
from watchkeep.outbox.models import OutboxRow
from watchkeep.runtime import Runtime

from support import FrozenClock

ALICE = Actor(name="Alice", source=Source.API)
BOB = Actor(name="Bob", source=Source.WEB)
T, A, S, R = (
    IncidentStatus.TRIGGERED,
    IncidentStatus.ACKNOWLEDGED,
    IncidentStatus.SNOOZED,
    IncidentStatus.RESOLVED,
)


def new_incident(runtime: Runtime, status: IncidentStatus = T) -> int:
    """An incident brought to `status` through the state machine itself."""
    now = runtime.clock.now()
    with runtime.db.write() as session:
        service = services.get_service_by_name(session, "api") or services.create_service(
            session, name="api", now=now
        )
        incident, _ = incidents.create_incident(
            session,
            title="Disk full",
            service_id=service.id,
            urgency=Urgency.HIGH,
            actor=ALICE,
            now=now,
        )
        if status is A:
            transitions.acknowledge(session, incident.id, ALICE, now=now)
        elif status is S:
            transitions.snooze(session, incident.id, ALICE, now=now, until=now + timedelta(hours=1))
        elif status is R:
            transitions.resolve(session, incident.id, ALICE, now=now)
        return incident.id


def apply(runtime: Runtime, action: Action, incident_id: int, actor: Actor = BOB) -> None:
    now = runtime.clock.now()
    with runtime.db.write() as session:
        if action is Action.SNOOZE:
            transitions.snooze(session, incident_id, actor, now=now, until=now + timedelta(hours=2))
        elif action is Action.RESOLVE:
            transitions.resolve(session, incident_id, actor, now=now, note="fixed")
        else:
            getattr(transitions, action.value)(session, incident_id, actor, now=now)


def counts(runtime: Runtime) -> tuple[int, int]:
    with runtime.db.read() as session:
        timeline = session.scalar(select(func.count()).select_from(TimelineEvent))
        queued = session.scalar(select(func.count()).select_from(OutboxRow))
        return timeline, queued


EXPECTED = {
    Action.ACKNOWLEDGE: A,
    Action.RESOLVE: R,
    Action.SNOOZE: S,
    Action.UNSNOOZE: T,
    Action.REOPEN: T,
}
CASES = [(status, action) for status in (T, A, S, R) for action in Action]


@pytest.mark.parametrize(("start", "action"), CASES, ids=lambda v: str(v.value))
def test_every_action_from_every_status(runtime: Runtime, start, action) -> None:
    incident_id = new_incident(runtime, start)
    before = counts(runtime)
    if start in ALLOWED[action]:
        apply(runtime, action, incident_id)
        with runtime.db.read() as session:
            assert incidents.get_incident(session, incident_id).status is EXPECTED[action]
        timeline, queued = counts(runtime)
        assert timeline == before[0] + 1
        assert queued > before[1]
    else:
        with pytest.raises(InvalidTransitionError) as refused:
            apply(runtime, action, incident_id)
        assert refused.value.status is start
        with runtime.db.read() as session:
            assert incidents.get_incident(session, incident_id).status is start
        assert counts(runtime) == before


def test_the_table_refuses_what_makes_no_sense() -> None:
    assert T not in ALLOWED[Action.REOPEN]
    assert A not in ALLOWED[Action.ACKNOWLEDGE]
    assert R not in ALLOWED[Action.RESOLVE] | ALLOWED[Action.SNOOZE] | ALLOWED[Action.ACKNOWLEDGE]


def test_each_transition_records_who_and_when(runtime: Runtime, clock: FrozenClock) -> None:
    incident_id = new_incident(runtime)
    clock.advance(minutes=3)
    apply(runtime, Action.ACKNOWLEDGE, incident_id)
    clock.advance(minutes=7)
    apply(runtime, Action.RESOLVE, incident_id, ALICE)
    with runtime.db.read() as session:
        incident = incidents.get_incident(session, incident_id)
        assert incident.acknowledged_by_name == "Bob"
        assert incident.acknowledged_at == incident.created_at + timedelta(minutes=3)
        assert incident.resolved_by_name == "Alice"
        assert incident.resolved_at == incident.created_at + timedelta(minutes=10)
        assert incident.resolution_note == "fixed"
        entries = incidents.timeline(session, incident_id)
        assert [(e.type, e.actor_name, e.source) for e in entries] == [
            ("triggered", "Alice", Source.API),
            ("acknowledged", "Bob", Source.WEB),
            ("resolved", "Alice", Source.API),
        ]
        assert entries[2].message == "Resolved by Alice: fixed"


def test_reopen_clears_the_resolution_and_acknowledgement(runtime: Runtime) -> None:
    incident_id = new_incident(runtime, A)
    apply(runtime, Action.RESOLVE, incident_id)
    apply(runtime, Action.REOPEN, incident_id)
    with runtime.db.read() as session:
        incident = incidents.get_incident(session, incident_id)
        assert incident.status is T
        assert incident.resolved_at is None
        assert incident.resolution_note is None
        assert incident.acknowledged_by_name is None


def test_snooze_refuses_bad_times_and_changes_nothing(runtime: Runtime) -> None:
    incident_id = new_incident(runtime)
    now = runtime.clock.now()
    before = counts(runtime)
    for until, reason in [
        (now - timedelta(minutes=1), "future"),
        (now + timedelta(days=31), "30 days"),
        (now.replace(tzinfo=None) + timedelta(hours=1), "time zone"),
    ]:
        with pytest.raises(InvalidInputError, match=reason), runtime.db.write() as session:
            transitions.snooze(session, incident_id, ALICE, now=now, until=until)
    assert counts(runtime) == before


def test_a_snooze_to_the_end_it_already_has_changes_nothing(runtime: Runtime) -> None:
    incident_id = new_incident(runtime)
    until = runtime.clock.now() + timedelta(hours=1)
    with runtime.db.write() as session:
        transitions.snooze(session, incident_id, ALICE, now=runtime.clock.now(), until=until)
    snoozed = counts(runtime)
    runtime.clock.advance(minutes=5)
    with runtime.db.write() as session:
        transitions.snooze(session, incident_id, BOB, now=runtime.clock.now(), until=until)
    assert counts(runtime) == snoozed, "no timeline entry, no event, no second timer"
    with runtime.db.read() as session:
        assert incidents.get_incident(session, incident_id).snoozed_by_name == ALICE.name


def test_notes_in_any_status_but_never_empty(runtime: Runtime) -> None:
    incident_id = new_incident(runtime, R)
    with runtime.db.write() as session:
        transitions.add_note(session, incident_id, BOB, now=runtime.clock.now(), text=" RCA soon ")
    with pytest.raises(InvalidInputError, match="empty"), runtime.db.write() as session:
        transitions.add_note(session, incident_id, BOB, now=runtime.clock.now(), text="  ")
    with runtime.db.read() as session:
        assert [n.text for n in incidents.notes(session, incident_id)] == ["RCA soon"]


def test_a_failed_transaction_leaves_no_event_behind(runtime: Runtime) -> None:
    incident_id = new_incident(runtime)
    before = counts(runtime)

    def acknowledge_then_fail() -> None:
        with runtime.db.write() as session:
            transitions.acknowledge(session, incident_id, BOB, now=runtime.clock.now())
            raise RuntimeError("the request failed after the change")

    with pytest.raises(RuntimeError):
        acknowledge_then_fail()
    assert counts(runtime) == before
    with runtime.db.read() as session:
        assert incidents.get_incident(session, incident_id).status is T


def race_to_acknowledge(runtime: Runtime, incident_id: int, clickers: int) -> list[str]:
    """`clickers` threads acknowledge at the same instant; answers who won or was refused."""
    start = threading.Barrier(clickers)
    outcomes: list[str] = []

    def click(name: str) -> None:
        start.wait()
        try:
            apply(runtime, Action.ACKNOWLEDGE, incident_id, Actor(name, Source.SLACK))
            outcomes.append("won")
        except InvalidTransitionError:
            outcomes.append("refused")

    threads = [threading.Thread(target=click, args=(f"user{i}",)) for i in range(clickers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_concurrent_acknowledgements_never_both_win(any_runtime: Runtime) -> None:
    for incident_id in [new_incident(any_runtime) for _ in range(5)]:
        assert race_to_acknowledge(any_runtime, incident_id, 4) == ["refused"] * 3 + ["won"]
        with any_runtime.db.read() as session:
            entries = incidents.timeline(session, incident_id)
            assert [e.type for e in entries].count("acknowledged") == 1
