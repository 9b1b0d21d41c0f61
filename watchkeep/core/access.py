"""Who may see which incidents: the one rule every adapter asks.

- Admins see everything.
- Everyone else sees the incidents of services owned by their teams and of
  services owned by no team (organisation-wide services). A private team's
  services are seen by its members (and admins) only: its incidents, and the
  service itself in lists and pickers.
- Whoever an escalation step paged for an incident sees that incident, so a
  responder outside the owning team can answer their page.
- An unmapped Slack user (the "via Slack" actor) sees organisation-wide services
  only; the message they clicked is their access to that one incident, which the
  Slack adapter grants with `THROUGH_CHANNEL`.

The rule is a SQL condition (`incident_condition`), so lists, counts and lookups
filter in the database, and an incident someone may not see is "not found": the
same answer as an id that names nothing, never a refusal that confirms it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import Session

from watchkeep.core.actors import Actor
from watchkeep.core.errors import NotFoundError
from watchkeep.core.models import (
    Incident,
    IncidentPagedUser,
    Role,
    Service,
    Team,
    TeamMember,
)


@dataclass(frozen=True)
class Scope:
    """Whose view of the incidents a query takes. `user_id` None: an unmapped Slack user."""

    user_id: int | None
    admin: bool = False
    # Sees every incident it is asked about, and lists none: a click on a message the
    # person could see in Slack. Never used for lists.
    channel: bool = False

    @classmethod
    def for_user(cls, user_id: int, role: Role) -> Scope:
        return cls(user_id=user_id, admin=role is Role.ADMIN)

    @classmethod
    def for_actor(cls, actor: Actor) -> Scope:
        """A mapped actor sees as their user; an unmapped one organisation-wide only."""
        if actor.user_id is None:
            return UNMAPPED
        return cls(user_id=actor.user_id, admin=actor.role is Role.ADMIN)


EVERYTHING = Scope(user_id=None, admin=True)  # admins, and the system itself
UNMAPPED = Scope(user_id=None)
THROUGH_CHANNEL = Scope(user_id=None, channel=True)


def _my_teams(user_id: int) -> Select[tuple[int]]:
    return select(TeamMember.team_id).where(TeamMember.user_id == user_id)


def service_condition(scope: Scope) -> ColumnElement[bool]:
    """The services whose incidents `scope` sees."""
    if scope.admin:
        return true()
    if scope.user_id is None:
        return Service.team_id.is_(None)
    return or_(Service.team_id.is_(None), Service.team_id.in_(_my_teams(scope.user_id)))


def catalog_condition(scope: Scope) -> ColumnElement[bool]:
    """The services `scope` sees listed: every service but private teams' they are not in."""
    if scope.admin:
        return true()
    private = select(Team.id).where(Team.private.is_(True))
    if scope.user_id is not None:
        private = private.where(Team.id.not_in(_my_teams(scope.user_id)))
    return or_(Service.team_id.is_(None), Service.team_id.not_in(private))


def incident_condition(scope: Scope) -> ColumnElement[bool]:
    """The incidents `scope` sees, as a condition over `Incident`."""
    if scope.admin:
        return true()
    if scope.channel:
        return false()  # a click grants the incident it names, never a list
    services = select(Service.id).where(service_condition(scope))
    if scope.user_id is None:
        return Incident.service_id.in_(services)
    paged = select(IncidentPagedUser.incident_id).where(IncidentPagedUser.user_id == scope.user_id)
    return or_(Incident.service_id.in_(services), Incident.id.in_(paged))


def grant_paged(session: Session, paged: set[tuple[int, int]], now: datetime) -> None:
    """Remember who was paged for which incident ((incident id, user id) pairs)."""
    if not paged:
        return
    incident_ids = {incident_id for incident_id, _ in paged}
    rows = session.execute(
        select(IncidentPagedUser.incident_id, IncidentPagedUser.user_id).where(
            IncidentPagedUser.incident_id.in_(incident_ids)
        )
    )
    known = {(incident_id, user_id) for incident_id, user_id in rows}
    session.add_all(
        IncidentPagedUser(incident_id=incident_id, user_id=user_id, paged_at=now)
        for incident_id, user_id in sorted(paged - known)
    )


def visible_incident(
    session: Session, scope: Scope, incident_id: int, *, for_update: bool = False
) -> Incident:
    """The incident, if `scope` may see it; else not found, exactly as a missing one."""
    query = select(Incident).where(Incident.id == incident_id)
    if not (scope.admin or scope.channel):
        query = query.where(incident_condition(scope))
    if for_update:
        query = query.with_for_update(of=Incident)
    incident = session.scalar(query)
    if incident is None:
        raise NotFoundError("incident", incident_id)
    return incident


def visible_service(session: Session, scope: Scope, service_id: int) -> bool:
    """Whether `scope` sees the incidents of the service (to open one there, say)."""
    query = select(Service.id).where(and_(Service.id == service_id, service_condition(scope)))
    return session.scalar(query) is not None
