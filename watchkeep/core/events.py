"""Domain events: what happened to an incident, as announced through the outbox.

Each is written to the timeline and enqueued (kind `event`) in the transaction
that made the change; subscribers such as Slack react to them in the worker.
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
from watchkeep.worker import outbox

EVENT_JOB = "event"
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
        outbox.enqueue_many(
            session,
            EVENT_JOB,
            [
                (
                    _payload(entry.event_type, entry.incident_id, entry_id),
                    f"incident:{entry.incident_id}",
                )
                for entry, entry_id in zip(entries, entry_ids, strict=True)
            ],
            now=now,
        )


def _timeline_type(event_type: EventType | str) -> str:
    return str(event_type).removeprefix("incident.")


def _payload(event_type: EventType | str, incident_id: int, entry_id: int) -> dict[str, Any]:
    return {"type": str(event_type), "incident_id": incident_id, "timeline_event_id": entry_id}


def _announce(
    session: Session, incident_id: int, entry_id: int, event_type: EventType | str, now: datetime
) -> None:
    outbox.enqueue(
        session,
        EVENT_JOB,
        _payload(event_type, incident_id, entry_id),
        now=now,
        ordering_key=ordering_key(incident_id),
    )
