"""Incident overviews for quick answers (slash commands, dashboards): what is open, and
how many incidents are in each status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core.access import Scope, incident_condition
from watchkeep.core.incidents import IncidentFilter, list_incidents
from watchkeep.core.models import Incident, IncidentStatus, Urgency

OPEN_STATUSES = (IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED, IncidentStatus.SNOOZED)


def open_incidents(
    session: Session, scope: Scope, *, limit: int = 20, service_ids: Sequence[int] = ()
) -> tuple[Sequence[Incident], int]:
    """Open (not resolved) incidents `scope` sees, newest first, and how many in all."""
    where = IncidentFilter(statuses=OPEN_STATUSES, service_ids=service_ids)
    return list_incidents(session, where, scope=scope, limit=limit, offset=0)


def counts_by_status(
    session: Session, scope: Scope, *, service_ids: Sequence[int] = ()
) -> dict[IncidentStatus, int]:
    """How many incidents `scope` sees in each status; every status is present."""
    query = (
        select(Incident.status, func.count())
        .where(incident_condition(scope))
        .group_by(Incident.status)
    )
    if service_ids:
        query = query.where(Incident.service_id.in_(service_ids))
    counts = dict.fromkeys(IncidentStatus, 0)
    for status, count in session.execute(query):
        counts[status] = count
    return counts


@dataclass(frozen=True)
class StatusSummary:
    by_status: dict[IncidentStatus, int]
    open_by_urgency: dict[Urgency, int]
    oldest_unacknowledged: Incident | None


def status_summary(session: Session, scope: Scope) -> StatusSummary:
    """Counts by status, open incidents by urgency, and the oldest unacknowledged one,
    of the incidents `scope` sees."""
    visible = incident_condition(scope)
    by_urgency = dict.fromkeys(Urgency, 0)
    query = (
        select(Incident.urgency, func.count())
        .where(Incident.status.in_(OPEN_STATUSES), visible)
        .group_by(Incident.urgency)
    )
    for urgency, count in session.execute(query):
        by_urgency[urgency] = count
    oldest = session.scalar(
        select(Incident)
        .where(Incident.status == IncidentStatus.TRIGGERED, visible)
        .order_by(Incident.created_at, Incident.id)
        .limit(1)
    )
    return StatusSummary(counts_by_status(session, scope), by_urgency, oldest)
