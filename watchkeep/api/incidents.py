"""`/api/v1/incidents`: trigger, list, read, and every transition."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, Field, model_validator
from sqlalchemy.orm import Session, object_session

from watchkeep.api.deps import PageDep, Principal, Reader, Responder, RuntimeDep
from watchkeep.api.incident_oncall import EscalationOut, SlaOut, escalation_out
from watchkeep.api.schemas import OutModel, Paged, StrictModel
from watchkeep.core import access, changes, incidents, transitions
from watchkeep.core.errors import InvalidInputError
from watchkeep.core.ids import MAX_ID, Id
from watchkeep.core.models import ChangeEvent, Incident, IncidentStatus, Source, Urgency
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
    workspace_id: int | None = Field(description="None when a team's connector made it")
    url: str | None
    archived: bool


class ChangeOut(OutModel):
    """A change to the service (a deploy, a config change) shortly before the incident."""

    id: int
    summary: str
    source: str | None
    occurred_at: datetime
    before: str = Field(description='How long before the incident triggered: "12 min"')
    sender: str
    links: list[dict[str, Any]]


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
    recent_changes: list[ChangeOut] = Field(
        description="The service's changes in the 24 h before the incident, newest first"
    )


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


def render(
    incident: Incident, runtime: Runtime, recent: list[ChangeEvent] | None = None
) -> dict[str, Any]:
    """The incident's fields as the API shows them (`recent`: its recent changes, when
    a list has read them for all its incidents at once)."""
    session = object_session(incident)
    if recent is None:
        recent = changes.recent_changes(session, incident) if session is not None else []
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
        "recent_changes": [_change(change, incident) for change in recent],
    }


def _change(change: ChangeEvent, incident: Incident) -> ChangeOut:
    return ChangeOut(
        id=change.id,
        summary=change.summary,
        source=change.source,
        occurred_at=change.occurred_at,
        before=changes.before(change, incident),
        sender=change.sender,
        links=change.links or [],
    )


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
    scope = caller.scope()

    def work(session: Session) -> tuple[IncidentOut, bool]:
        if not access.visible_service(session, scope, body.service_id):
            # A service whose incidents the caller may not see is as unknown as a missing one.
            raise InvalidInputError("service_id", f"no service with id {body.service_id}")
        incident, created = incidents.create_incident(
            session, **body.model_dump(), actor=actor, now=runtime.clock.now()
        )
        return IncidentOut(**render(incident, runtime)), created

    out, created = runtime.changes.run(work)
    if not created:
        response.status_code = status.HTTP_200_OK
    return out


class IncidentPage(Paged[IncidentOut]):
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the page after this one; null on the last page"
    )


def _cursor_id(cursor: str | None, offset: int) -> int | None:
    """The incident id a cursor stands for: pages after it start below it."""
    if cursor is None:
        return None
    if offset:
        raise _bad_cursor("give cursor or offset, not both")
    try:
        before = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode().removeprefix("i:"))
    except (ValueError, UnicodeError) as exc:
        raise _bad_cursor("not a cursor this API gave") from exc
    if not 0 < before <= MAX_ID:
        raise _bad_cursor("not a cursor this API gave")
    return before


def _bad_cursor(message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("query", "cursor"), "msg": message, "type": "value_error"}]
    )


def _cursor(incident_id: int) -> str:
    return base64.urlsafe_b64encode(f"i:{incident_id}".encode()).decode().rstrip("=")


@router.get("", response_model=IncidentPage)
def list_incidents(
    runtime: RuntimeDep,
    caller: Reader,
    page: PageDep,
    status: Annotated[list[IncidentStatus] | None, Query()] = None,
    urgency: Annotated[list[Urgency] | None, Query()] = None,
    service_id: Annotated[list[Id] | None, Query()] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=64, description="`next_cursor` of the previous page (not with offset)"),
    ] = None,
) -> IncidentPage:
    """Newest first. Each filter may repeat (`?status=TRIGGERED&status=ACKNOWLEDGED`).

    Deep pages: follow `next_cursor` (keyset pagination, as fast on page 1,000 as on
    page 1) rather than a large `offset`.
    """
    where = incidents.IncidentFilter(status or (), urgency or (), service_id or ())
    before = _cursor_id(cursor, page.offset)
    with runtime.db.read() as session:
        found, total = incidents.list_incidents(
            session,
            where,
            scope=caller.scope(),
            limit=page.limit,
            offset=page.offset,
            before=before,
        )
        sla.preload(session, [incident.id for incident in found])
        recent = changes.recent_changes_of(session, found)
        items = [IncidentOut(**render(i, runtime, recent[i.id])) for i in found]
    # A full page may have a next one; asking costs nothing when it turns out empty.
    next_cursor = _cursor(found[-1].id) if len(found) == page.limit else None
    return IncidentPage(
        items=items, total=total, limit=page.limit, offset=page.offset, next_cursor=next_cursor
    )


@router.get("/{incident_id}", response_model=IncidentDetailOut)
def get_incident(incident_id: Id, runtime: RuntimeDep, caller: Reader) -> IncidentDetailOut:
    with runtime.db.read() as session:
        incident = access.visible_incident(session, caller.scope(), incident_id)
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
    runtime: Runtime,
    caller: Principal,
    incident_id: int,
    change: Callable[[Session, datetime], Incident],
) -> IncidentOut:
    """One transition, group-committed (`core.commands`), answered as the incident now is;
    an incident the caller may not see is not found."""
    scope = caller.scope()

    def work(session: Session) -> IncidentOut:
        access.visible_incident(session, scope, incident_id)
        return IncidentOut(**render(change(session, runtime.clock.now()), runtime))

    return runtime.changes.run(work, incident_id=incident_id)


@router.post("/{incident_id}/acknowledge", response_model=IncidentOut)
def acknowledge(incident_id: Id, runtime: RuntimeDep, caller: Responder) -> IncidentOut:
    actor = caller.actor()
    return _apply(
        runtime,
        caller,
        incident_id,
        lambda s, now: transitions.acknowledge(s, incident_id, actor, now=now),
    )


@router.post("/{incident_id}/resolve", response_model=IncidentOut)
def resolve(
    incident_id: Id, runtime: RuntimeDep, caller: Responder, body: ResolveIn | None = None
) -> IncidentOut:
    actor, note = caller.actor(), body.note if body else None
    return _apply(
        runtime,
        caller,
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
        caller,
        incident_id,
        lambda s, now: transitions.snooze(s, incident_id, actor, now=now, until=until(now)),
    )


@router.post("/{incident_id}/unsnooze", response_model=IncidentOut)
def unsnooze(incident_id: Id, runtime: RuntimeDep, caller: Responder) -> IncidentOut:
    actor = caller.actor()
    return _apply(
        runtime,
        caller,
        incident_id,
        lambda s, now: transitions.unsnooze(s, incident_id, actor, now=now),
    )


@router.post("/{incident_id}/reopen", response_model=IncidentOut)
def reopen(incident_id: Id, runtime: RuntimeDep, caller: Responder) -> IncidentOut:
    actor = caller.actor()
    return _apply(
        runtime,
        caller,
        incident_id,
        lambda s, now: transitions.reopen(s, incident_id, actor, now=now),
    )


@router.post(
    "/{incident_id}/notes", status_code=status.HTTP_201_CREATED, response_model=IncidentOut
)
def add_note(incident_id: Id, body: NoteIn, runtime: RuntimeDep, caller: Responder) -> IncidentOut:
    actor = caller.actor()

    def note(session: Session, now: datetime) -> Incident:
        transitions.add_note(session, incident_id, actor, now=now, text=body.text)
        return incidents.get_incident(session, incident_id)

    return _apply(runtime, caller, incident_id, note)
