"""The incident state machine: the only code that changes an incident's status.

Every transition locks the incident row, checks `ALLOWED`, applies the change,
and records a timeline entry plus its domain event, all in the caller's
transaction. Two concurrent transitions on one incident are serialised by the
row lock (SQLite: the write lock), so the second sees the first's result and
is refused if no longer allowed.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from watchkeep import outbox
from watchkeep.core import events
from watchkeep.core.actors import Actor
from watchkeep.core.errors import InvalidInputError, InvalidTransitionError
from watchkeep.core.events import EventType
from watchkeep.core.incidents import get_incident
from watchkeep.core.models import Incident, IncidentStatus, Note

MAX_SNOOZE = timedelta(days=30)
MAX_NOTE_LENGTH = 10_000

T, A, S, R = (
    IncidentStatus.TRIGGERED,
    IncidentStatus.ACKNOWLEDGED,
    IncidentStatus.SNOOZED,
    IncidentStatus.RESOLVED,
)


class Action(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    SNOOZE = "snooze"
    UNSNOOZE = "unsnooze"
    REOPEN = "reopen"


# From which statuses each action may start. Notes may be added in any status.
ALLOWED: dict[Action, frozenset[IncidentStatus]] = {
    Action.ACKNOWLEDGE: frozenset({T, S}),
    Action.RESOLVE: frozenset({T, A, S}),
    Action.SNOOZE: frozenset({T, A, S}),
    Action.UNSNOOZE: frozenset({S}),
    Action.REOPEN: frozenset({R}),
}


def _begin(session: Session, incident_id: int, action: Action, now: datetime) -> Incident:
    incident = get_incident(session, incident_id, for_update=True)
    if incident.status not in ALLOWED[action]:
        raise InvalidTransitionError(action.value, incident)
    incident.updated_at = now
    return incident


def _clear_snooze(incident: Incident) -> None:
    incident.snoozed_at = incident.snoozed_until = None
    incident.snoozed_by_user_id = incident.snoozed_by_name = None


def acknowledge(session: Session, incident_id: int, actor: Actor, *, now: datetime) -> Incident:
    incident = _begin(session, incident_id, Action.ACKNOWLEDGE, now)
    incident.status = A
    incident.acknowledged_at = now
    incident.acknowledged_by_user_id = actor.user_id
    incident.acknowledged_by_name = actor.name
    _clear_snooze(incident)
    events.record(
        session, incident, EventType.ACKNOWLEDGED, f"Acknowledged by {actor.name}", actor, now=now
    )
    return incident


def resolve(
    session: Session, incident_id: int, actor: Actor, *, now: datetime, note: str | None = None
) -> Incident:
    note = _check_note(note, "note") if note and note.strip() else None
    incident = _begin(session, incident_id, Action.RESOLVE, now)
    incident.status = R
    incident.resolved_at = now
    incident.resolved_by_user_id = actor.user_id
    incident.resolved_by_name = actor.name
    incident.resolution_note = note
    _clear_snooze(incident)
    message = f"Resolved by {actor.name}" + (f": {note}" if note else "")
    events.record(
        session, incident, EventType.RESOLVED, message, actor, now=now, data={"note": note}
    )
    return incident


def snooze(
    session: Session, incident_id: int, actor: Actor, *, now: datetime, until: datetime
) -> Incident:
    """Snooze until `until`; a timer row brings the incident back to TRIGGERED then."""
    if until.tzinfo is None:
        raise InvalidInputError("until", "must include a time zone")
    if until <= now:
        raise InvalidInputError("until", "must be in the future")
    if until - now > MAX_SNOOZE:
        raise InvalidInputError("until", f"may be at most {MAX_SNOOZE.days} days ahead")
    incident = get_incident(session, incident_id, for_update=True)
    if incident.status is S and incident.snoozed_until == until:
        return incident  # already snoozed until then: nothing changes, nothing is announced
    incident = _begin(session, incident_id, Action.SNOOZE, now)
    incident.status = S
    incident.snoozed_at = now
    incident.snoozed_until = until
    incident.snoozed_by_user_id = actor.user_id
    incident.snoozed_by_name = actor.name
    outbox.enqueue(
        session, outbox.JobKind.SNOOZE_EXPIRED, {"incident_id": incident.id}, now=now, due_at=until
    )
    events.record(
        session,
        incident,
        EventType.SNOOZED,
        f"Snoozed by {actor.name} until {until:%Y-%m-%d %H:%M} UTC",
        actor,
        now=now,
        data={"until": until.isoformat()},
    )
    return incident


def unsnooze(session: Session, incident_id: int, actor: Actor, *, now: datetime) -> Incident:
    incident = _begin(session, incident_id, Action.UNSNOOZE, now)
    _retrigger(incident)
    events.record(
        session, incident, EventType.UNSNOOZED, f"Snooze ended by {actor.name}", actor, now=now
    )
    return incident


def expire_snooze(session: Session, incident_id: int, *, now: datetime) -> Incident | None:
    """The snooze timer fired: re-trigger if the incident is still snoozed until now.

    A timer left over from an earlier snooze (acknowledged, re-snoozed since)
    finds nothing to do.
    """
    incident = get_incident(session, incident_id, for_update=True)
    if incident.status is not S or incident.snoozed_until is None or incident.snoozed_until > now:
        return None
    incident.updated_at = now
    _retrigger(incident)
    events.record(
        session,
        incident,
        EventType.UNSNOOZED,
        "Snooze expired; the incident is triggered again",
        Actor.system(),
        now=now,
    )
    return incident


def reopen(session: Session, incident_id: int, actor: Actor, *, now: datetime) -> Incident:
    incident = _begin(session, incident_id, Action.REOPEN, now)
    incident.resolved_at = None
    incident.resolved_by_user_id = incident.resolved_by_name = None
    incident.resolution_note = None
    _retrigger(incident)
    events.record(
        session, incident, EventType.REOPENED, f"Reopened by {actor.name}", actor, now=now
    )
    return incident


def add_note(session: Session, incident_id: int, actor: Actor, *, now: datetime, text: str) -> Note:
    text = _check_note(text, "text")
    incident = get_incident(session, incident_id, for_update=True)
    incident.updated_at = now
    note = Note(
        incident_id=incident.id,
        text=text,
        author_user_id=actor.user_id,
        author_name=actor.name,
        source=actor.source,
        created_at=now,
    )
    session.add(note)
    session.flush()
    events.record(
        session,
        incident,
        EventType.NOTE_ADDED,
        f"Note by {actor.name}: {text}",
        actor,
        now=now,
        data={"note_id": note.id},
    )
    return note


def _retrigger(incident: Incident) -> None:
    incident.status = T
    incident.acknowledged_at = None
    incident.acknowledged_by_user_id = incident.acknowledged_by_name = None
    _clear_snooze(incident)


def _check_note(text: str | None, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInputError(field, "must not be empty")
    if len(text) > MAX_NOTE_LENGTH:
        raise InvalidInputError(field, f"must be at most {MAX_NOTE_LENGTH} characters")
    return text
