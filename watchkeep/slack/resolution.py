"""What the resolution's thread reply sums up: how long the incident lasted, who
acknowledged it and how soon, how many alerts came, how many escalation steps paged.

Read from the timeline up to the resolution, since the incident last triggered
(a reopened incident counts from its reopening), so a reply sent late still
tells the story of that resolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep.core.models import Incident, TimelineEvent

STARTS = ("triggered", "reopened")


@dataclass(frozen=True)
class Resolution:
    lasted: timedelta
    acknowledged_after: timedelta | None
    acknowledged_by: str | None
    alerts: int
    steps_paged: int


def resolution_of(session: Session, entry: TimelineEvent) -> Resolution:
    incident = session.get(Incident, entry.incident_id)
    assert incident is not None
    earlier = session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == entry.incident_id, TimelineEvent.id <= entry.id)
        .order_by(TimelineEvent.id)
    ).all()
    start_index = max((i for i, e in enumerate(earlier) if e.type in STARTS), default=0)
    since = earlier[start_index:]
    started: datetime = since[0].created_at if since else incident.created_at
    ack = next((e for e in since if e.type == "acknowledged"), None)
    return Resolution(
        lasted=entry.created_at - started,
        acknowledged_after=ack.created_at - started if ack else None,
        acknowledged_by=ack.actor_name if ack else None,
        alerts=incident.alert_count,
        steps_paged=sum(1 for e in since if e.type == "escalated"),
    )


def duration(span: timedelta) -> str:
    """A span as a responder says it: 45 s, 12 min, 1 h 5 min, 2 d 3 h."""
    seconds = max(int(span.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 60:
        return f"{minutes} min"
    if hours < 24:
        rest = minutes % 60
        return f"{hours} h" + (f" {rest} min" if rest else "")
    rest = hours % 24
    return f"{days} d" + (f" {rest} h" if rest else "")


def counted(n: int, one: str, many: str, none: str) -> str:
    return none if n == 0 else f"1 {one}" if n == 1 else f"{n} {many}"
