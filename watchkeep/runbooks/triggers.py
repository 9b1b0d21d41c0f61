"""When runbooks run: an event-bus subscriber matching triggers and conditions, and the
repeat timer of status reminders ("post an update every 30 minutes while open").

Events (OR) and conditions (AND) decide; `once_per_incident` runs a runbook at
most once for an incident (repeats aside). A repeating runbook keeps one timer
row per incident, which starts a run each time it fires until the incident is
resolved.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep import outbox
from watchkeep.core.models import Incident, IncidentStatus
from watchkeep.outbox import JobKind, bus, keys, queries
from watchkeep.outbox.bus import DomainEvent
from watchkeep.outbox.store import Job
from watchkeep.runbooks import catalog, engine
from watchkeep.runbooks.context import incident_context
from watchkeep.runbooks.models import Runbook, RunbookRun

REPEAT = "repeat"


def on_event(session: Session, event: DomainEvent, now: datetime) -> None:
    enabled = bus.memo(
        session, "runbooks.enabled", event, lambda _: catalog.enabled_runbooks(session)
    )
    runbooks = [rb for rb in enabled if event.type in _events(rb)]
    if not runbooks:
        return
    incident = session.get(Incident, event.incident_id)
    if incident is None:
        return
    for runbook in runbooks:
        if not matches(runbook.document["trigger"].get("conditions", {}), incident):
            continue
        trigger = runbook.document["trigger"]
        if trigger.get("once_per_incident") and _has_run(session, runbook.id, incident.id):
            continue
        engine.start_run(session, runbook, incident, event.type, now)
        if trigger.get("repeat_every_minutes") and incident.status is not IncidentStatus.RESOLVED:
            _schedule_repeat(session, runbook, incident.id, now)


def matches(conditions: dict[str, Any], incident: Incident) -> bool:
    """Every condition holds for the incident (an empty set of conditions always does)."""
    if "urgency" in conditions and incident.urgency.value not in conditions["urgency"]:
        return False
    service = incident.service
    if "service" in conditions and not _named(conditions["service"], service.id, service.name):
        return False
    if "team" in conditions:
        team = service.team
        if team is None or not _named(conditions["team"], team.id, team.name):
            return False
    pattern = conditions.get("title_matches")
    if pattern and re.search(pattern, incident.title) is None:
        return False
    labels = incident_context(None, incident, None)["details"]
    return all(labels.get(key) == value for key, value in conditions.get("labels", {}).items())


def fire_repeats(session: Session, jobs: list[Job], now: datetime) -> None:
    """The repeat timer: run again while the incident is open, and book the next."""
    for job in jobs:
        runbook = session.get(Runbook, job.payload["runbook_id"])
        incident = session.get(Incident, job.payload["incident_id"])
        if runbook is None or incident is None or not runbook.enabled:
            continue
        if incident.status is IncidentStatus.RESOLVED:
            continue
        if not runbook.document["trigger"].get("repeat_every_minutes"):
            continue
        if not matches(runbook.document["trigger"].get("conditions", {}), incident):
            continue
        engine.start_run(session, runbook, incident, REPEAT, now)
        _schedule_repeat(session, runbook, incident.id, now, after_fire=True)


def _schedule_repeat(
    session: Session, runbook: Runbook, incident_id: int, now: datetime, *, after_fire: bool = False
) -> None:
    key = keys.runbook_repeat(runbook.id, incident_id)
    # The firing row is still pending while it runs; any other pending one is a booked timer.
    if not after_fire and queries.has_pending(session, JobKind.RUNBOOK_REPEAT, key):
        return
    minutes = runbook.document["trigger"]["repeat_every_minutes"]
    outbox.enqueue(
        session,
        JobKind.RUNBOOK_REPEAT,
        {"runbook_id": runbook.id, "incident_id": incident_id},
        now=now,
        due_at=now + timedelta(minutes=minutes),
        ordering_key=key,
    )


def _events(runbook: Runbook) -> list[str]:
    return runbook.document["trigger"]["events"]


def _named(wanted: list[Any], ident: int, name: str) -> bool:
    return any(item == ident or str(item).lower() == name.lower() for item in wanted)


def _has_run(session: Session, runbook_id: int, incident_id: int) -> bool:
    return (
        session.scalar(
            select(RunbookRun.id)
            .where(RunbookRun.runbook_id == runbook_id, RunbookRun.incident_id == incident_id)
            .limit(1)
        )
        is not None
    )
