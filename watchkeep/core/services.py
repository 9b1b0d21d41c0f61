"""Services: what incidents are about, who owns them, where they are announced."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core import access, naming
from watchkeep.core.access import Scope
from watchkeep.core.errors import ConflictError, InvalidInputError, NotFoundError
from watchkeep.core.models import Incident, IncidentStatus, Service, Team

# A Slack channel id (C…, G… for old private channels) or `#name` under Slack's naming rules.
_CHANNEL = re.compile(r"^(?:[CG][A-Z0-9]{6,20}|#[a-z0-9_\-]{1,80})$")
UNSET: Any = object()


def get_service(session: Session, service_id: int) -> Service:
    service = session.get(Service, service_id)
    if service is None:
        raise NotFoundError("service", service_id)
    return service


def get_service_by_name(session: Session, name: str) -> Service | None:
    return session.scalar(select(Service).where(Service.name == name.strip()))


def list_services(
    session: Session, *, scope: Scope, limit: int, offset: int
) -> tuple[Sequence[Service], int]:
    """The services `scope` sees listed (private teams' only by their members)."""
    visible = access.catalog_condition(scope)
    total = session.scalar(select(func.count()).select_from(Service).where(visible)) or 0
    query = select(Service).where(visible).order_by(Service.name).limit(limit).offset(offset)
    return session.scalars(query).all(), total


def visible_service(session: Session, scope: Scope, service_id: int) -> Service:
    """The service, unless it is a private team's and `scope` is not in it: not found."""
    service = session.scalar(
        select(Service).where(Service.id == service_id, access.catalog_condition(scope))
    )
    if service is None:
        raise NotFoundError("service", service_id)
    return service


def create_service(
    session: Session,
    *,
    name: str,
    now: datetime,
    description: str = "",
    team_id: int | None = None,
    slack_channel: str | None = None,
    ack_sla_minutes: int | None = None,
    resolve_sla_minutes: int | None = None,
) -> Service:
    name = naming.free_name(session, Service, name, "a service")
    service = Service(name=name, description=description, created_at=now)
    session.add(service)
    return update_service(
        session,
        service,
        team_id=team_id,
        slack_channel=slack_channel,
        ack_sla_minutes=ack_sla_minutes,
        resolve_sla_minutes=resolve_sla_minutes,
    )


def update_service(
    session: Session,
    service: Service,
    *,
    name: str | None = None,
    description: str | None = None,
    team_id: int | None = UNSET,
    slack_channel: str | None = UNSET,
    ack_sla_minutes: int | None = UNSET,
    resolve_sla_minutes: int | None = UNSET,
) -> Service:
    """Change the named fields; UNSET leaves a field alone, None clears it."""
    naming.rename(session, service, name, description, "a service")
    if team_id is not UNSET:
        if team_id is not None and session.get(Team, team_id) is None:
            raise InvalidInputError("team_id", f"no team with id {team_id}")
        service.team_id = team_id
    if slack_channel is not UNSET:
        service.slack_channel = normalize_slack_channel(slack_channel)
    if ack_sla_minutes is not UNSET:
        service.ack_sla_minutes = ack_sla_minutes
    if resolve_sla_minutes is not UNSET:
        service.resolve_sla_minutes = resolve_sla_minutes
    session.flush()
    return service


def delete_service(session: Session, service: Service) -> None:
    """Delete a service with its (resolved) incidents; refuse while any is open."""
    open_incidents = session.scalar(
        select(func.count()).where(
            Incident.service_id == service.id, Incident.status != IncidentStatus.RESOLVED
        )
    )
    if open_incidents:
        raise ConflictError(
            f"service {service.name!r} has {open_incidents} open incident(s); resolve them first"
        )
    session.delete(service)
    session.flush()


def normalize_slack_channel(channel: str | None, field: str = "slack_channel") -> str | None:
    """A channel id or `#name`; a bare name gets its `#`. Empty clears."""
    if channel is None or not channel.strip():
        return None
    channel = channel.strip()
    if not channel.startswith("#") and not _CHANNEL.match(channel):
        channel = "#" + channel
    if not _CHANNEL.match(channel):
        raise InvalidInputError(
            field,
            "must be a channel id (C…) or #name of lowercase letters, digits, - and _",
        )
    return channel
