"""What the incident pages show beyond the incident's own fields: SLA clocks,
links to its Slack messages, the alerts it received, and which actions its state
allows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep.core.models import Incident
from watchkeep.core.transitions import ALLOWED, Action
from watchkeep.ingest import context
from watchkeep.slack.models import SlackMessageRef, SlackWorkspace
from watchkeep.web.rendering import format_duration

SNOOZE_CHOICES = {"15": "15 minutes", "60": "1 hour", "240": "4 hours", "1440": "1 day"}


@dataclass(frozen=True)
class SlaClock:
    name: str
    target_minutes: int
    state: str  # "met", "breached", "running"
    text: str


@dataclass(frozen=True)
class SlackLink:
    workspace: str
    channel: str
    url: str | None


def sla_clocks(incident: Incident, now: datetime) -> list[SlaClock]:
    service = incident.service
    targets = [
        ("Acknowledge", service.ack_sla_minutes, incident.acknowledged_at or incident.resolved_at),
        ("Resolve", service.resolve_sla_minutes, incident.resolved_at),
    ]
    clocks = []
    for name, minutes, done_at in targets:
        if not minutes:
            continue
        due = incident.created_at + timedelta(minutes=minutes)
        if done_at is not None:
            took = format_duration(done_at - incident.created_at)
            if done_at <= due:
                clocks.append(SlaClock(name, minutes, "met", f"met in {took}"))
            else:
                clocks.append(
                    SlaClock(name, minutes, "breached", f"missed: took {took} of {minutes}m")
                )
        elif now > due:
            late = format_duration(now - due)
            clocks.append(SlaClock(name, minutes, "breached", f"breached {late} ago"))
        else:
            clocks.append(
                SlaClock(name, minutes, "running", f"due in {format_duration(due - now)}")
            )
    return clocks


def slack_links(db: Session, incident_id: int, *, sandbox: bool = False) -> list[SlackLink]:
    """Where the incident's messages are; with the built-in fake Slack, in `/sandbox`."""
    rows = db.execute(
        select(SlackMessageRef, SlackWorkspace)
        .join(SlackWorkspace, SlackWorkspace.id == SlackMessageRef.workspace_id)
        .where(SlackMessageRef.incident_id == incident_id)
        .order_by(SlackWorkspace.id)
    ).all()
    links = []
    for ref, workspace in rows:
        url = None
        if sandbox:
            url = "/sandbox?" + urlencode({"channel": ref.channel_id, "thread": ref.ts})
        elif workspace.team_url:
            base = workspace.team_url.rstrip("/")
            url = f"{base}/archives/{ref.channel_id}/p{ref.ts.replace('.', '')}"
        links.append(SlackLink(workspace.team_name or "Slack", ref.channel_id, url))
    return links


@dataclass(frozen=True)
class SeenAlert:
    number: int
    received_at: datetime
    payload: str  # the alert's details as indented JSON


def alert_history(db: Session, incident: Incident) -> list[SeenAlert]:
    """The incident's last alerts, newest first, their payloads ready to read."""
    return [
        SeenAlert(
            row.number,
            row.received_at,
            json.dumps(row.details or {}, indent=2, ensure_ascii=False, sort_keys=True),
        )
        for row in context.history(db, incident)
    ]


def allowed_actions(incident: Incident) -> set[str]:
    return {action.value for action, states in ALLOWED.items() if incident.status in states}


__all__ = [
    "SNOOZE_CHOICES",
    "Action",
    "alert_history",
    "allowed_actions",
    "sla_clocks",
    "slack_links",
]
