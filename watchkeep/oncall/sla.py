"""SLA targets: acknowledge and resolve within the service's minutes, or say so once.

- When an incident is triggered, its due times are fixed from the service's
  `ack_sla_minutes` and `resolve_sla_minutes` (changing the service later does
  not move them), and one timer row per target falls due then.
- The acknowledge target is met by the first acknowledgement or resolution at or
  before its due time, the resolve target by the first resolution. The targets
  measure the first response and the first resolution: reopening an incident
  neither re-arms nor clears them. Snoozing does not meet the acknowledge target.
- A missed target emits `incident.sla_breached` once (timeline + event), with
  data `{target: "acknowledge" | "resolve", minutes, due_at}`, and its breach
  time shows on the incident. The timer decides from the timeline, in the
  transaction that completes its row, so a lagging event fan-out or a second
  worker cannot make it wrong or make it twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from watchkeep.core import events
from watchkeep.core.actors import Actor
from watchkeep.core.events import EventType
from watchkeep.core.incidents import lock_incidents
from watchkeep.core.models import Incident, Service, TimelineEvent
from watchkeep.oncall.models import IncidentSla
from watchkeep.outbox import Job, JobKind, bus, store
from watchkeep.outbox.bus import DomainEvent

ACKNOWLEDGE, RESOLVE = "acknowledge", "resolve"
# Timeline entry types that meet each target.
_MET_BY = {ACKNOWLEDGE: ("acknowledged", "resolved"), RESOLVE: ("resolved",)}
_PRELOADED = "watchkeep.oncall.sla_preloaded"


def on_event(session: Session, event: DomainEvent, now: datetime) -> None:
    """The EventBus subscriber: arm the targets of a newly triggered incident."""
    if event.type != EventType.TRIGGERED:
        return
    armed, targets = bus.memo(session, "sla.targets", event, lambda evs: _targets(session, evs))
    row = targets.get(event.incident_id)
    if event.incident_id in armed or row is None:
        return
    created_at, ack_minutes, resolve_minutes = row
    ack_due, resolve_due = _due(created_at, ack_minutes), _due(created_at, resolve_minutes)
    sla = IncidentSla(incident_id=event.incident_id, ack_due_at=ack_due, resolve_due_at=resolve_due)
    session.add(sla)
    for target, due in ((ACKNOWLEDGE, ack_due), (RESOLVE, resolve_due)):
        if due is not None:
            payload = {"incident_id": event.incident_id, "target": target}
            store.enqueue_with_commit(session, JobKind.SLA_CHECK, payload, now=now, due_at=due)


def _targets(session: Session, events) -> tuple[set[int], dict[int, Any]]:
    """For the batch's new incidents: which are armed already, and what each needs
    (created_at, the service's targets), in two queries rather than two per event."""
    ids = {e.incident_id for e in events if e.type == EventType.TRIGGERED}
    if not ids:
        return set(), {}
    armed = set(
        session.scalars(select(IncidentSla.incident_id).where(IncidentSla.incident_id.in_(ids)))
    )
    rows = session.execute(
        select(
            Incident.id, Incident.created_at, Service.ack_sla_minutes, Service.resolve_sla_minutes
        )
        .join(Service, Service.id == Incident.service_id)
        .where(Incident.id.in_(ids))
    )
    return armed, {row[0]: tuple(row[1:]) for row in rows}


def check_targets(session: Session, jobs: list[Job], now: datetime) -> None:
    """The timer handler (a batch): record each target missed by its due time."""
    ids = sorted({job.payload["incident_id"] for job in jobs})
    incidents = lock_incidents(session, ids)
    slas = {
        sla.incident_id: sla
        for sla in session.scalars(select(IncidentSla).where(IncidentSla.incident_id.in_(ids)))
    }
    for job in jobs:
        incident = incidents.get(job.payload["incident_id"])
        sla = slas.get(job.payload["incident_id"])
        if incident is not None and sla is not None:
            _check(session, incident, sla, job.payload["target"], now)


def _check(
    session: Session, incident: Incident, sla: IncidentSla, target: str, now: datetime
) -> None:
    due = sla.ack_due_at if target == ACKNOWLEDGE else sla.resolve_due_at
    breached = sla.ack_breached_at if target == ACKNOWLEDGE else sla.resolve_breached_at
    if due is None or breached is not None or due > now:
        return
    met = session.scalar(
        select(
            exists().where(
                TimelineEvent.incident_id == incident.id,
                TimelineEvent.type.in_(_MET_BY[target]),
                TimelineEvent.created_at <= due,
            )
        )
    )
    if met:
        return
    if target == ACKNOWLEDGE:
        sla.ack_breached_at = now
    else:
        sla.resolve_breached_at = now
    minutes = round((due - incident.created_at).total_seconds() / 60)
    verb = "acknowledged" if target == ACKNOWLEDGE else "resolved"
    events.record(
        session,
        incident,
        EventType.SLA_BREACHED,
        f"{target.title()} SLA missed: not {verb} within {minutes} minutes"
        f" (due {due:%Y-%m-%d %H:%M} UTC)",
        Actor.system(),
        now=now,
        data={"target": target, "minutes": minutes, "due_at": due.isoformat()},
    )


def view(session: Session | None, incident: Incident) -> dict[str, Any]:
    """The incident's SLA as the API shows it. Until the worker has armed the targets
    (moments after the trigger), the due times are those it will fix."""
    sla: IncidentSla | None = None
    if session is not None:
        cache = session.info.get(_PRELOADED)
        if cache is not None and incident.id in cache:
            sla = cache[incident.id]
        else:
            sla = session.get(IncidentSla, incident.id)
    if sla is None:
        ack_due, resolve_due = _due_times(incident)
        return {
            "ack_due_at": ack_due,
            "resolve_due_at": resolve_due,
            "ack_breached_at": None,
            "resolve_breached_at": None,
        }
    return {
        "ack_due_at": sla.ack_due_at,
        "resolve_due_at": sla.resolve_due_at,
        "ack_breached_at": sla.ack_breached_at,
        "resolve_breached_at": sla.resolve_breached_at,
    }


def preload(session: Session, incident_ids: list[int]) -> None:
    """Load many incidents' SLA rows in one query (for a list), so that `view` finds
    them, or finds that there are none, without a query each."""
    cache: dict[int, IncidentSla | None] = session.info.setdefault(_PRELOADED, {})
    cache.update(dict.fromkeys(incident_ids))
    if incident_ids:
        query = select(IncidentSla).where(IncidentSla.incident_id.in_(incident_ids))
        cache.update((sla.incident_id, sla) for sla in session.scalars(query))


def _due_times(incident: Incident) -> tuple[datetime | None, datetime | None]:
    service = incident.service
    return (
        _due(incident.created_at, service.ack_sla_minutes),
        _due(incident.created_at, service.resolve_sla_minutes),
    )


def _due(start: datetime, minutes: int | None) -> datetime | None:
    return start + timedelta(minutes=minutes) if minutes else None
