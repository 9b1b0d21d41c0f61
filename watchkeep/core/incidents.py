"""Incidents: creation (with dedup), lookup and listing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watchkeep.core import events
from watchkeep.core.access import Scope, incident_condition
from watchkeep.core.actors import Actor
from watchkeep.core.errors import InvalidInputError, NotFoundError
from watchkeep.core.models import (
    Counter,
    Incident,
    IncidentStatus,
    Note,
    Service,
    TimelineEvent,
    Urgency,
)

INCIDENT_NUMBER = "incident_number"


@dataclass(frozen=True)
class IncidentFilter:
    statuses: Sequence[IncidentStatus] = ()
    urgencies: Sequence[Urgency] = ()
    service_ids: Sequence[int] = ()


def get_incident(session: Session, incident_id: int, *, for_update: bool = False) -> Incident:
    """Load an incident; `for_update` locks its row until the transaction ends."""
    query = select(Incident).where(Incident.id == incident_id)
    if for_update:
        query = query.with_for_update(of=Incident)
    incident = session.scalar(query)
    if incident is None:
        raise NotFoundError("incident", incident_id)
    return incident


def lock_incidents(session: Session, incident_ids: Sequence[int]) -> dict[int, Incident]:
    """Lock many incidents' rows until the transaction ends, by id.

    In id order and as one statement, so that concurrent batches (escalation steps,
    SLA checks) cannot deadlock each other, and a transition waits for (or is seen
    by) the batch.
    """
    query = (
        select(Incident)
        .where(Incident.id.in_(sorted(set(incident_ids))))
        .order_by(Incident.id)
        .with_for_update(of=Incident)
    )
    return {incident.id: incident for incident in session.scalars(query)}


def get_incident_by_number(session: Session, number: int) -> Incident:
    incident = session.scalar(select(Incident).where(Incident.number == number))
    if incident is None:
        raise NotFoundError("incident number", number)
    return incident


def find_open_by_dedup_key(session: Session, service_id: int, dedup_key: str) -> Incident | None:
    return session.scalar(
        select(Incident).where(
            Incident.service_id == service_id,
            Incident.dedup_key == dedup_key,
            Incident.status != IncidentStatus.RESOLVED,
        )
    )


def list_incidents(
    session: Session,
    where: IncidentFilter,
    *,
    scope: Scope,
    limit: int,
    offset: int = 0,
    before: int | None = None,
) -> tuple[Sequence[Incident], int]:
    """Newest first, and the total that matches the filter, of what `scope` may see.

    `before` (an incident id) answers the page after that incident (keyset
    pagination): unlike a deep `offset`, it costs the same on every page.
    """
    conditions = _conditions(where, scope)
    total = session.scalar(select(func.count()).select_from(Incident).where(*conditions)) or 0
    return session.scalars(_page_query(where, scope, limit, offset, before)).all(), total


def _conditions(
    where: IncidentFilter, scope: Scope, *, status: bool = True
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [incident_condition(scope)]
    if status and where.statuses:
        conditions.append(Incident.status.in_(where.statuses))
    if where.urgencies:
        conditions.append(Incident.urgency.in_(where.urgencies))
    if where.service_ids:
        conditions.append(Incident.service_id.in_(where.service_ids))
    return conditions


def _page_query(
    where: IncidentFilter, scope: Scope, limit: int, offset: int, before: int | None
) -> Select:
    newest = Incident.id.desc()
    after = [Incident.id < before] if before is not None else []
    statuses = sorted(set(where.statuses))
    if len(statuses) <= 1:
        # One status (or none): the (status, id) index, or the primary key, is read in
        # order from the newest and the walk stops at the page's end.
        query = select(Incident).where(*_conditions(where, scope), *after)
        return query.order_by(newest).limit(limit).offset(offset)
    # Several statuses (the open list): no single index walk yields them in id order,
    # and a plain IN makes both databases sort every match. So each status yields its
    # own newest `offset + limit` from the index, and only those few are merged.
    others = [*_conditions(where, scope, status=False), *after]
    branches = [
        select(Incident.id)
        .where(Incident.status == status, *others)
        .order_by(newest)
        .limit(offset + limit)
        .subquery()
        for status in statuses
    ]
    ids = union_all(*(select(branch.c.id) for branch in branches)).subquery()
    query = select(Incident).join(ids, ids.c.id == Incident.id)
    return query.order_by(newest).limit(limit).offset(offset)


def timeline(session: Session, incident_id: int) -> Sequence[TimelineEvent]:
    query = select(TimelineEvent).where(TimelineEvent.incident_id == incident_id)
    return session.scalars(query.order_by(TimelineEvent.id)).all()


def notes(session: Session, incident_id: int) -> Sequence[Note]:
    query = select(Note).where(Note.incident_id == incident_id).order_by(Note.id)
    return session.scalars(query).all()


def create_incident(
    session: Session,
    *,
    title: str,
    service_id: int,
    urgency: Urgency,
    actor: Actor,
    now: datetime,
    description: str = "",
    dedup_key: str | None = None,
) -> tuple[Incident, bool]:
    """Trigger an incident, or answer the open one with the same dedup key.

    Answers the incident and whether it is new.
    """
    service = session.get(Service, service_id)
    if service is None:
        raise InvalidInputError("service_id", f"no service with id {service_id}")
    if dedup_key:
        existing = find_open_by_dedup_key(session, service_id, dedup_key)
        if existing is not None:
            return existing, False
    incident = Incident(
        number=_next_number(session),
        title=title.strip(),
        description=description,
        service=service,
        urgency=urgency,
        status=IncidentStatus.TRIGGERED,
        dedup_key=dedup_key or None,
        source=actor.source,
        created_at=now,
        updated_at=now,
        created_by_user_id=actor.user_id,
        created_by_name=actor.name,
    )
    if dedup_key:
        try:
            # The partial unique index settles a race between two triggers with one key.
            with session.begin_nested():
                session.add(incident)
        except IntegrityError:
            existing = find_open_by_dedup_key(session, service_id, dedup_key)
            if existing is None:
                raise
            return existing, False
    else:
        session.add(incident)
        session.flush()
    events.record(
        session, incident, events.EventType.TRIGGERED, f"Triggered by {actor.name}", actor, now=now
    )
    return incident, True


def _next_number(session: Session) -> int:
    # UPDATE … RETURNING locks the counter row, so numbers never repeat. Plain Core:
    # the ORM's bulk-update machinery costs more than the statement here.
    number = session.connection().scalar(
        update(Counter)
        .where(Counter.name == INCIDENT_NUMBER)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    if number is None:
        raise RuntimeError("incident counter missing: run `watchkeep migrate`")
    return number
