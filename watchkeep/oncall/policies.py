"""Escalation policies: ordered steps, each a delay and its targets (users, schedules, teams).

Admins configure them; a service names one. Changing a policy's steps takes
effect from the next step of escalations already under way (steps are counted
by position). A policy that a service uses cannot be deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core import naming
from watchkeep.core.errors import ConflictError, InvalidInputError, NotFoundError
from watchkeep.core.models import Service, Team, User
from watchkeep.oncall.models import EscalationPolicy, EscalationStep, EscalationTarget, Schedule

TargetType = Literal["user", "schedule", "team"]
MAX_REPEAT = 9
_MODELS: dict[str, type[User | Schedule | Team]] = {
    "user": User,
    "schedule": Schedule,
    "team": Team,
}


@dataclass(frozen=True)
class TargetSpec:
    type: TargetType
    id: int


@dataclass(frozen=True)
class StepSpec:
    delay_minutes: int
    targets: Sequence[TargetSpec]


def get_policy(session: Session, policy_id: int) -> EscalationPolicy:
    policy = session.get(EscalationPolicy, policy_id)
    if policy is None:
        raise NotFoundError("escalation policy", policy_id)
    return policy


def list_policies(
    session: Session, *, limit: int, offset: int
) -> tuple[Sequence[EscalationPolicy], int]:
    total = session.scalar(select(func.count()).select_from(EscalationPolicy)) or 0
    query = select(EscalationPolicy).order_by(EscalationPolicy.name).limit(limit).offset(offset)
    return session.scalars(query).all(), total


def assign_policy(session: Session, service: Service, policy_id: int | None) -> None:
    """Escalate the service's incidents by `policy_id` (None: by none) from now on;
    incidents under way keep the policy they started with."""
    if policy_id is not None and session.get(EscalationPolicy, policy_id) is None:
        raise InvalidInputError("escalation_policy_id", f"no escalation policy with id {policy_id}")
    service.escalation_policy_id = policy_id
    session.flush()


def services_using(session: Session, policy_id: int) -> Sequence[Service]:
    query = select(Service).where(Service.escalation_policy_id == policy_id)
    return session.scalars(query.order_by(Service.name)).all()


def create_policy(
    session: Session,
    *,
    name: str,
    steps: Sequence[StepSpec],
    now: datetime,
    repeat: int = 0,
    description: str = "",
) -> EscalationPolicy:
    name = naming.free_name(session, EscalationPolicy, name, "an escalation policy")
    policy = EscalationPolicy(
        name=name,
        description=description,
        repeat=_repeat(repeat),
        created_at=now,
        updated_at=now,
    )
    policy.steps = _steps(session, steps)
    session.add(policy)
    session.flush()
    return policy


def update_policy(
    session: Session,
    policy: EscalationPolicy,
    *,
    now: datetime,
    name: str | None = None,
    description: str | None = None,
    repeat: int | None = None,
    steps: Sequence[StepSpec] | None = None,
) -> EscalationPolicy:
    """Change the named fields; `steps` replaces every step."""
    naming.rename(session, policy, name, description, "an escalation policy")
    if repeat is not None:
        policy.repeat = _repeat(repeat)
    if steps is not None:
        policy.steps = _steps(session, steps)
    policy.updated_at = now
    session.flush()
    return policy


def delete_policy(session: Session, policy: EscalationPolicy) -> None:
    """Delete a policy no service uses; escalations under way with it stop."""
    users = [service.name for service in services_using(session, policy.id)]
    if users:
        raise ConflictError(
            f"escalation policy {policy.name!r} is used by services {users};"
            " give them another policy first"
        )
    session.delete(policy)
    session.flush()


def _steps(session: Session, specs: Sequence[StepSpec]) -> list[EscalationStep]:
    if not specs:
        raise InvalidInputError("steps", "a policy needs at least one step")
    steps = []
    for s, spec in enumerate(specs):
        if spec.delay_minutes < 1:
            raise InvalidInputError(f"steps.{s}.delay_minutes", "must be at least 1")
        if not spec.targets:
            raise InvalidInputError(f"steps.{s}.targets", "a step needs at least one target")
        step = EscalationStep(position=s, delay_minutes=spec.delay_minutes)
        step.targets = []
        for t, target in enumerate(spec.targets):
            model = _MODELS.get(target.type)
            if model is None:
                raise InvalidInputError(
                    f"steps.{s}.targets.{t}.type", "must be user, schedule or team"
                )
            if session.get(model, target.id) is None:
                raise InvalidInputError(
                    f"steps.{s}.targets.{t}.id", f"no {target.type} with id {target.id}"
                )
            step.targets.append(EscalationTarget(position=t, **{f"{target.type}_id": target.id}))
        steps.append(step)
    return steps


def _repeat(repeat: int) -> int:
    if not 0 <= repeat <= MAX_REPEAT:
        raise InvalidInputError("repeat", f"must be from 0 to {MAX_REPEAT}")
    return repeat
