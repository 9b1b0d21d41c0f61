"""Domain events: what happened to an incident, as announced through the outbox.

Each is written to the timeline and enqueued (kind `event`) in the transaction
that made the change; subscribers such as Slack react to them in the worker.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from watchkeep.core.actors import Actor
from watchkeep.core.models import Incident, TimelineEvent
from watchkeep.worker import outbox

EVENT_JOB = "event"
_INSERT_TIMELINE = insert(TimelineEvent.__table__).returning(TimelineEvent.__table__.c.id)


class EventType(enum.StrEnum):
    TRIGGERED = "incident.triggered"
    ACKNOWLEDGED = "incident.acknowledged"
    RESOLVED = "incident.resolved"
    SNOOZED = "incident.snoozed"
    UNSNOOZED = "incident.unsnoozed"
    REOPENED = "incident.reopened"
    NOTE_ADDED = "incident.note_added"
    ESCALATED = "incident.escalated"
    SLA_BREACHED = "incident.sla_breached"


def ordering_key(incident_id: int) -> str:
    """One incident's events are announced one at a time, in order."""
    return f"incident:{incident_id}"


@dataclass(frozen=True)
class DomainEvent:
    type: str
    incident_id: int
    timeline_event_id: int

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> DomainEvent:
        return cls(payload["type"], payload["incident_id"], payload["timeline_event_id"])


def record(
    session: Session,
    incident: Incident,
    event_type: EventType | str,
    message: str,
    actor: Actor,
    *,
    now: datetime,
    data: dict[str, Any] | None = None,
    announce: bool = True,
) -> TimelineEvent:
    """Write a timeline entry and, unless `announce` is False, its domain event."""
    entry = TimelineEvent(
        incident_id=incident.id,
        type=_timeline_type(event_type),
        message=message,
        actor_user_id=actor.user_id,
        actor_name=actor.name,
        source=actor.source,
        data=data or {},
        created_at=now,
    )
    session.add(entry)
    session.flush()
    if announce:
        _announce(session, incident.id, entry.id, event_type, now)
    return entry


def record_by_id(
    session: Session,
    incident_id: int,
    event_type: EventType | str,
    message: str,
    actor: Actor,
    *,
    now: datetime,
    data: dict[str, Any] | None = None,
    announce: bool = True,
) -> int:
    """`record` for a caller that holds the incident's id only (the alert path, which
    writes with plain statements): one INSERT, no ORM flush. Answers the entry's id."""
    values = {
        "incident_id": incident_id,
        "type": _timeline_type(event_type),
        "message": message,
        "actor_user_id": actor.user_id,
        "actor_name": actor.name,
        "source": actor.source,
        "data": data or {},
        "created_at": now,
    }
    entry_id = session.connection().execute(_INSERT_TIMELINE, values).scalar_one()
    if announce:
        _announce(session, incident_id, entry_id, event_type, now)
    return entry_id


def _timeline_type(event_type: EventType | str) -> str:
    return str(event_type).removeprefix("incident.")


def _announce(
    session: Session, incident_id: int, entry_id: int, event_type: EventType | str, now: datetime
) -> None:
    outbox.enqueue(
        session,
        EVENT_JOB,
        {"type": str(event_type), "incident_id": incident_id, "timeline_event_id": entry_id},
        now=now,
        ordering_key=ordering_key(incident_id),
    )
