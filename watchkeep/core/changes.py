"""Change events: deploys and config changes a service's tools report.

A change is never an incident. It is kept per service and shown beside the
service's incidents that follow it within `RECENT` (the incident API's
`recent_changes`, the incident page, the Slack message: "Deployed checkout
v2.3 12 min before"), since the change just before an incident is the first
suspect.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core.models import ChangeEvent, Incident

RECENT = timedelta(hours=24)
# The changes shown with one incident: the newest first, a handful at most.
SHOWN = 5
MAX_SUMMARY = 1024


@dataclass(frozen=True)
class Change:
    """What a sender reported, checked by its receiver."""

    service_id: int
    summary: str
    sender: str
    source: str | None = None
    occurred_at: datetime | None = None
    links: Sequence[dict[str, Any]] = ()
    custom_details: Any = None


def record_change(session: Session, change: Change, *, now: datetime) -> ChangeEvent:
    summary = " ".join(change.summary.split())
    row = ChangeEvent(
        service_id=change.service_id,
        summary=summary if len(summary) <= MAX_SUMMARY else summary[: MAX_SUMMARY - 1] + "…",
        source=change.source,
        occurred_at=change.occurred_at or now,
        received_at=now,
        sender=change.sender,
        links=list(change.links),
        custom_details=change.custom_details,
    )
    session.add(row)
    session.flush()
    return row


def list_changes(
    session: Session, service_id: int, *, limit: int, offset: int
) -> tuple[Sequence[ChangeEvent], int]:
    """A page of the service's changes, newest first, and how many it has."""
    where = ChangeEvent.service_id == service_id
    total = session.scalar(select(func.count()).select_from(ChangeEvent).where(where)) or 0
    query = (
        select(ChangeEvent)
        .where(ChangeEvent.service_id == service_id)
        .order_by(ChangeEvent.occurred_at.desc(), ChangeEvent.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return session.scalars(query).all(), total


def recent_changes(session: Session, incident: Incident) -> list[ChangeEvent]:
    """The service's changes of the `RECENT` hours before the incident triggered."""
    return recent_changes_of(session, [incident])[incident.id]


def recent_changes_of(
    session: Session, incidents: Iterable[Incident]
) -> dict[int, list[ChangeEvent]]:
    """`recent_changes` for many incidents (a page of a list) in one query per service."""
    by_service: dict[int, list[Incident]] = {}
    for incident in incidents:
        by_service.setdefault(incident.service_id, []).append(incident)
    found: dict[int, list[ChangeEvent]] = {}
    for service_id, group in by_service.items():
        earliest = min(incident.created_at for incident in group) - RECENT
        latest = max(incident.created_at for incident in group)
        rows = session.scalars(
            select(ChangeEvent)
            .where(
                ChangeEvent.service_id == service_id,
                ChangeEvent.occurred_at >= earliest,
                ChangeEvent.occurred_at <= latest,
            )
            .order_by(ChangeEvent.occurred_at.desc(), ChangeEvent.id.desc())
        ).all()
        for incident in group:
            start = incident.created_at - RECENT
            found[incident.id] = [
                row for row in rows if start <= row.occurred_at <= incident.created_at
            ][:SHOWN]
    return found


def before(change: ChangeEvent, incident: Incident) -> str:
    """How long before the incident the change happened: "12 min", "3 h 5 min"."""
    minutes = max(0, int((incident.created_at - change.occurred_at).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
