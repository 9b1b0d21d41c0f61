"""What on-call adds to an incident's API answer: its SLA and its escalation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from watchkeep.api.schemas import OutModel
from watchkeep.oncall.models import EscalationStatus, IncidentEscalation


class SlaOut(OutModel):
    """Due times fixed at trigger from the service's targets (null: no target), and when
    each target was missed (null: not missed, or not yet)."""

    ack_due_at: datetime | None
    resolve_due_at: datetime | None
    ack_breached_at: datetime | None
    resolve_breached_at: datetime | None


class EscalationOut(OutModel):
    """Where the incident's escalation stands: `next_step` (from 1) pages at
    `next_step_at` while ACTIVE; PAUSED while snoozed; STOPPED or EXHAUSTED after."""

    policy_id: int | None
    status: EscalationStatus
    next_step: int
    repeat: int
    next_step_at: datetime | None
    steps_paged: int


def escalation_out(session: Session, incident_id: int) -> EscalationOut | None:
    state = session.get(IncidentEscalation, incident_id)
    if state is None:
        return None
    return EscalationOut(
        policy_id=state.policy_id,
        status=state.status,
        next_step=state.step_index + 1,
        repeat=state.cycle,
        next_step_at=state.next_step_at,
        steps_paged=state.steps_paged,
    )
