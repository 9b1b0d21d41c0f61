"""Incident overviews for quick answers (slash commands, dashboards): what is open, and
how many incidents are in each status."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core.incidents import IncidentFilter, list_incidents
from watchkeep.core.models import Incident, IncidentStatus

OPEN_STATUSES = (IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED, IncidentStatus.SNOOZED)


def open_incidents(
    session: Session, *, limit: int = 20, service_ids: Sequence[int] = ()
) -> tuple[Sequence[Incident], int]:
    """Open (not resolved) incidents, newest first, and how many there are in all."""
    where = IncidentFilter(statuses=OPEN_STATUSES, service_ids=service_ids)
    return list_incidents(session, where, limit=limit, offset=0)


def counts_by_status(
    session: Session, *, service_ids: Sequence[int] = ()
) -> dict[IncidentStatus, int]:
    """How many incidents are in each status; every status is present, zero or not."""
    query = select(Incident.status, func.count()).group_by(Incident.status)
    if service_ids:
        query = query.where(Incident.service_id.in_(service_ids))
    counts = dict.fromkeys(IncidentStatus, 0)
    for status, count in session.execute(query):
        counts[status] = count
    return counts
