"""`/api/v1/incidents`: trigger, list, read, and every transition."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import AwareDatetime, Field, model_validator
from sqlalchemy.orm import Session, object_session

from watchkeep.api.deps import PageDep, Reader, Responder, RuntimeDep
from watchkeep.api.incident_oncall import EscalationOut, SlaOut, escalation_out
from watchkeep.api.schemas import OutModel, Paged, StrictModel
from watchkeep.core import incidents, transitions
from watchkeep.core.ids import Id
from watchkeep.core.models import Incident, IncidentStatus, Source, Urgency
from watchkeep.oncall import sla
from watchkeep.runtime import Runtime
from watchkeep.slack.incident_channel import incident_channel

router = APIRouter(prefix="/incidents", tags=["incidents"])


class IncidentIn(StrictModel):
    title: str = Field(min_length=1, max_length=1024)
    service_id: Id
    urgency: Urgency = Urgency.HIGH
    description: str = Field(default="", max_length=65_536)
    dedup_key: str | None = Field(default=None, min_length=1, max_length=255)


class ResolveIn(StrictModel):
    note: str | None = Field(default=None, max_length=transitions.MAX_NOTE_LENGTH)


class SnoozeIn(StrictModel):
    minutes: int | None = Field(default=None, ge=1, le=int(transitions.MAX_SNOOZE.days * 1440))
    until: AwareDatetime | None = None

    @model_validator(mode="after")
    def exactly_one(self) -> SnoozeIn:
        if (self.minutes is None) == (self.until is None):
            raise ValueError("give exactly one of minutes or until")
        return self


class NoteIn(StrictModel):
    text: str = Field(min_length=1, max_length=transitions.MAX_NOTE_LENGTH)


class ActorOut(OutModel):
    user_id: int | None
    name: str


class ServiceRef(OutModel):
    id: int
    name: str


class IncidentChannelOut(OutModel):
    """The channel a runbook opened for the incident: where the response happens."""

    id: str
    name: str
    workspace_id: int
    url: str | None
    archived: bool


class IncidentOut(OutModel):
    id: int
    number: int
    title: str
    description: str
    urgency: Urgency
    status: IncidentStatus
    dedup_key: str | None
    source: Source
    service: ServiceRef
    url: str
    created_at: datetime
    created_by: ActorOut
    updated_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: ActorOut | None
    snoozed_at: datetime | None
    snoozed_until: datetime | None
    snoozed_by: ActorOut | None
    resolved_at: datetime | None
    resolved_by: ActorOut | None
    resolution_note: str | None
    sla: SlaOut
    alert_count: int = Field(description="Alerts received: the first and every repeat")
    last_alert_at: datetime | None
    details: dict[str, Any] = Field(description="The first alert's details (labels, payload)")
    channel: IncidentChannelOut | None = Field(description="The incident's own Slack channel")


class TimelineEventOut(OutModel):
    id: int
    type: str
    message: str
    actor: ActorOut
    source: Source
    data: dict[str, Any]
    created_at: datetime


class NoteOut(OutModel):
    id: int
    text: str
    author: ActorOut
    source: Source
    created_at: datetime


class IncidentDetailOut(IncidentOut):
    escalation: EscalationOut | None
    timeline: list[TimelineEventOut]
    notes: list[NoteOut]


def _actor(user_id: int | None, name: str | None) -> ActorOut | None:
    return ActorOut(user_id=user_id, name=name) if name else None


def render(incident: Incident, runtime: Runtime) -> dict[str, Any]:
    """The incident's fields as the API shows them."""
    return {
        **{name: getattr(incident, name) for name in _PLAIN_FIELDS},
        "service": ServiceRef(id=incident.service.id, name=incident.service.name),
        "url": runtime.settings.public_url(f"/incidents/{incident.id}"),
        "created_by": _actor(incident.created_by_user_id, incident.created_by_name),
        "acknowledged_by": _actor(incident.acknowledged_by_user_id, incident.acknowledged_by_name),
        "snoozed_by": _actor(incident.snoozed_by_user_id, incident.snoozed_by_name),
        "resolved_by": _actor(incident.resolved_by_user_id, incident.resolved_by_name),
        "sla": sla.view(object_session(incident), incident),
        "details": incident.details or {},
        "channel": _channel(incident),
    }


def _channel(incident: Incident) -> IncidentChannelOut | None:
    session = object_session(incident)
    view = incident_channel(session, incident.id) if session is not None else None
    return IncidentChannelOut.model_validate(view) if view is not None else None


_PLAIN_FIELDS = (
    "id",
    "number",
    "title",
    "description",
    "urgency",
    "status",
    "dedup_key",
    "source",
    "created_at",
    "updated_at",
    "acknowledged_at",
    "snoozed_at",
    "snoozed_until",
    "resolved_at",
    "resolution_note",
    "alert_count",
    "last_alert_at",
)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=IncidentOut)
def create_incident(
    body: IncidentIn, runtime: RuntimeDep, caller: Responder, response: Response
) -> IncidentOut:
    """Trigger an incident. An open incident with the same dedup key is answered (200) instead."""
    actor = caller.actor()

    def work(session: Session) -> tuple[IncidentOut, bool]:
        incident, created = incidents.create_incident(
            session, **body.model_dump(), actor=actor, now=runtime.clock.now()
        )
        return IncidentOut(**render(incident, runtime)), created

    out, created = runtime.changes.run(work)
    if not created:
        response.status_code = status.HTTP_200_OK
    return out


@router.get("", response_model=Paged[IncidentOut])
def list_incidents(
    runtime: RuntimeDep,
    _: Reader,
    page: PageDep,
    status: Annotated[list[IncidentStatus] | None, Query()] = None,
    urgency: Annotated[list[Urgency] | None, Query()] = None,
    service_id: Annotated[list[Id] | None, Query()] = None,
) -> Paged[IncidentOut]:
    """Newest first. Each filter may repeat (`?status=TRIGGERED&status=ACKNOWLEDGED`)."""
    where = incidents.IncidentFilter(status or (), urgency or (), service_id or ())
    with runtime.db.read() as session:
        found, total = incidents.list_incidents(
            session, where, limit=page.limit, offset=page.offset
        )
        sla.preload(session, [incident.id for incident in found])
        items = [IncidentOut(**render(incident, runtime)) for incident in found]
    return Paged(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{incident_id}", response_model=IncidentDetailOut)
def get_incident(incident_id: Id, runtime: RuntimeDep, _: Reader) -> IncidentDetailOut:
    with runtime.db.read() as session:
        incident = incidents.get_incident(session, incident_id)
        timeline = [
            TimelineEventOut(
                id=entry.id,
                type=entry.type,
                message=entry.message,
                actor=ActorOut(user_id=entry.actor_user_id, name=entry.actor_name),
                source=entry.source,
                data=entry.data,
                created_at=entry.created_at,
            )
            for entry in incidents.timeline(session, incident_id)
        ]
        notes = [
            NoteOut(
                id=note.id,
                text=note.text,
                author=ActorOut(user_id=note.author_user_id, name=note.author_name),
                source=note.source,
                created_at=note.created_at,
            )
            for note in incidents.notes(session, incident_id)
        ]
        return IncidentDetailOut(
            **render(incident, runtime),
            escalation=escalation_out(session, incident_id),
            timeline=timeline,
            notes=notes,
        )


def _apply(
    runtime: Runtime, incident_id: int, change: Callable[[Session, datetime], Incident]
) -> IncidentOut:
    """One transition, group-committed (`core.commands`), answered as the incident now is."""

    def work(session: Session) -> IncidentOut:
        return IncidentOut(**render(change(session, runtime.clock.now()), runtime))

    return runtime.changes.run(work, incident_id=incident_id)


@router.post("/{incident_id}/acknowledge", response_model=IncidentOut)
def acknowledge(incident_id: Id, runtime: RuntimeDep, caller: Responder) -> IncidentOut:
    actor = caller.actor()
    return _apply(
        runtime, incident_id, lambda s, now: transitions.acknowledge(s, incident_id, actor, now=now)
    )


@router.post("/{incident_id}/resolve", response_model=IncidentOut)
def resolve(
    incident_id: Id, runtime: RuntimeDep, caller: Responder, body: ResolveIn | None = None
) -> IncidentOut:
    actor, note = caller.actor(), body.note if body else None
    return _apply(
        runtime,
        incident_id,
        lambda s, now: transitions.resolve(s, incident_id, actor, now=now, note=note),
    )


@router.post("/{incident_id}/snooze", response_model=IncidentOut)
def snooze(incident_id: Id, body: SnoozeIn, runtime: RuntimeDep, caller: Responder) -> IncidentOut:
    actor = caller.actor()

    def until(now: datetime) -> datetime:
        return body.until or now + timedelta(minutes=body.minutes or 0)

    return _apply(
        runtime,
        incident_id,
        lambda s, now: transitions.snooze(s, incident_id, actor, now=now, until=until(now)),
    )


@router.post("/{incident_id}/unsnooze", response_model=IncidentOut)
def unsnooze(incident_id: Id, runtime: RuntimeDep, caller: Responder) -> IncidentOut:
    actor = caller.actor()
    return _apply(
        runtime, incident_id, lambda s, now: transitions.unsnooze(s, incident_id, actor, now=now)
    )


@router.post("/{incident_id}/reopen", response_model=IncidentOut)
def reopen(incident_id: Id, runtime: RuntimeDep, caller: Responder) -> IncidentOut:
    actor = caller.actor()
    return _apply(
        runtime, incident_id, lambda s, now: transitions.reopen(s, incident_id, actor, now=now)
    )


@router.post(
    "/{incident_id}/notes", status_code=status.HTTP_201_CREATED, response_model=IncidentOut
)
def add_note(incident_id: Id, body: NoteIn, runtime: RuntimeDep, caller: Responder) -> IncidentOut:
    actor = caller.actor()

    def note(session: Session, now: datetime) -> Incident:
        transitions.add_note(session, incident_id, actor, now=now, text=body.text)
        return incidents.get_incident(session, incident_id)

    return _apply(runtime, incident_id, note)
