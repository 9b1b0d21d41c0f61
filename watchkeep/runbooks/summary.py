"""The post-incident summary: what happened, who did what, and how long it took."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep.core.models import Incident, Note, TimelineEvent


@dataclass
class Summary:
    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    resolution_note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "facts": [list(fact) for fact in self.facts],
            "notes": self.notes,
            "resolution_note": self.resolution_note,
        }


def build(session: Session, incident: Incident) -> Summary:
    found = Summary(title=f"#{incident.number} {incident.title}")
    facts = found.facts
    facts.append(("Service", incident.service.name))
    facts.append(("Urgency", incident.urgency.value))
    facts.append(("Status", incident.status.value))
    end = incident.resolved_at
    if end is not None:
        facts.append(("Duration", duration(end - incident.created_at)))
    if incident.acknowledged_at is not None:
        facts.append(
            (
                "Acknowledged by",
                f"{incident.acknowledged_by_name} at {_at(incident.acknowledged_at)}",
            )
        )
        facts.append(
            ("Time to acknowledge", duration(incident.acknowledged_at - incident.created_at))
        )
    if end is not None:
        facts.append(("Resolved by", f"{incident.resolved_by_name} at {_at(end)}"))
        facts.append(("Time to resolve", duration(end - incident.created_at)))
    facts.append(("Alerts", str(incident.alert_count)))
    escalations = session.scalars(
        select(TimelineEvent.message)
        .where(TimelineEvent.incident_id == incident.id, TimelineEvent.type == "escalated")
        .order_by(TimelineEvent.id)
    ).all()
    facts.append(("Escalation steps", str(len(escalations))))
    found.notes = list(
        session.scalars(
            select(Note.text).where(Note.incident_id == incident.id).order_by(Note.id)
        ).all()
    )
    found.resolution_note = incident.resolution_note
    return found


def duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {seconds}s"
    return f"{seconds}s"


def _at(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
