"""Domain events: what happened to an incident, written to its timeline and
published on the event bus in the transaction that made the change; subscribers
such as Slack and escalation react to them in the worker.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from watchkeep.core.actors import Actor
from watchkeep.core.models import Incident, TimelineEvent
from watchkeep.outbox import bus
from watchkeep.outbox.bus import DomainEvent

_timeline = TimelineEvent.__table__
_INSERT_TIMELINE = insert(_timeline).returning(_timeline.c.id, sort_by_parameter_order=True)


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
        bus.publish(session, DomainEvent(str(event_type), incident.id, entry.id), now=now)
    return entry


@dataclass(frozen=True)
class Entry:
    """A timeline entry to write for an incident known by its id."""

    incident_id: int
    event_type: EventType | str
    message: str
    actor: Actor
    data: dict[str, Any] | None = None


def record_entries(
    session: Session, entries: Sequence[Entry], *, now: datetime, announce: bool = True
) -> None:
    """`record` for callers that hold incident ids, not objects (the alert path): any
    number of entries, and their domain events, in two multi-row INSERTs, no ORM flush."""
    if not entries:
        return
    rows = [
        {
            "incident_id": entry.incident_id,
            "type": _timeline_type(entry.event_type),
            "message": entry.message,
            "actor_user_id": entry.actor.user_id,
            "actor_name": entry.actor.name,
            "source": entry.actor.source,
            "data": entry.data or {},
            "created_at": now,
        }
        for entry in entries
    ]
    entry_ids = session.connection().execute(_INSERT_TIMELINE, rows).scalars().all()
    if announce:
        bus.publish_many(
            session,
            [
                DomainEvent(str(entry.event_type), entry.incident_id, entry_id)
                for entry, entry_id in zip(entries, entry_ids, strict=True)
            ],
            now=now,
        )


def _timeline_type(event_type: EventType | str) -> str:
    return str(event_type).removeprefix("incident.")
