"""`/api/v1/escalation-policies`: whom to page, in what order, how long apart.

Step 1 pages when an incident is triggered; each step's `delay_minutes` is how
long after it pages before the next one does; after the last step the steps
run `repeat` more times from step 1. See `watchkeep.oncall.escalation`.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import Field
from sqlalchemy.orm import Session

from watchkeep.api.deps import Admin, PageDep, Reader, RuntimeDep
from watchkeep.api.schemas import OutModel, Paged, StrictModel
from watchkeep.core.ids import Id
from watchkeep.oncall import policies
from watchkeep.oncall.models import EscalationPolicy
from watchkeep.oncall.policies import MAX_REPEAT, StepSpec, TargetSpec, TargetType

router = APIRouter(prefix="/escalation-policies", tags=["escalation policies"])


class TargetIn(StrictModel):
    type: TargetType
    id: Id


class StepIn(StrictModel):
    delay_minutes: int = Field(ge=1, le=7 * 24 * 60)
    targets: list[TargetIn] = Field(min_length=1, max_length=20)

    def spec(self) -> StepSpec:
        return StepSpec(self.delay_minutes, [TargetSpec(t.type, t.id) for t in self.targets])


class PolicyIn(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    steps: list[StepIn] = Field(min_length=1, max_length=20)
    repeat: int = Field(default=0, ge=0, le=MAX_REPEAT)


class PolicyPatch(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    steps: list[StepIn] | None = Field(default=None, min_length=1, max_length=20)
    repeat: int | None = Field(default=None, ge=0, le=MAX_REPEAT)


class TargetOut(OutModel):
    type: TargetType
    id: int
    name: str


class StepOut(OutModel):
    delay_minutes: int
    targets: list[TargetOut]


class ServiceRef(OutModel):
    id: int
    name: str


class PolicyOut(OutModel):
    id: int
    name: str
    description: str
    repeat: int
    steps: list[StepOut]
    services: list[ServiceRef]
    created_at: datetime
    updated_at: datetime


def render(session: Session, policy: EscalationPolicy) -> PolicyOut:
    steps = [
        StepOut(
            delay_minutes=step.delay_minutes,
            targets=[
                TargetOut(type=t.type, id=t.target_id, name=t.target_name) for t in step.targets
            ],
        )
        for step in policy.steps
    ]
    return PolicyOut(
        id=policy.id,
        name=policy.name,
        description=policy.description,
        repeat=policy.repeat,
        steps=steps,
        services=[
            ServiceRef.model_validate(s) for s in policies.services_using(session, policy.id)
        ],
        created_at=policy.created_at,
        updated_at=policy.updated_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PolicyOut)
def create_policy(body: PolicyIn, runtime: RuntimeDep, _: Admin) -> PolicyOut:
    with runtime.db.write() as session:
        policy = policies.create_policy(
            session,
            name=body.name,
            description=body.description,
            repeat=body.repeat,
            steps=[step.spec() for step in body.steps],
            now=runtime.clock.now(),
        )
        return render(session, policy)


@router.get("", response_model=Paged[PolicyOut])
def list_policies(runtime: RuntimeDep, _: Reader, page: PageDep) -> Paged[PolicyOut]:
    with runtime.db.read() as session:
        found, total = policies.list_policies(session, limit=page.limit, offset=page.offset)
        items = [render(session, policy) for policy in found]
    return Paged(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{policy_id}", response_model=PolicyOut)
def get_policy(policy_id: Id, runtime: RuntimeDep, _: Reader) -> PolicyOut:
    with runtime.db.read() as session:
        return render(session, policies.get_policy(session, policy_id))


@router.patch("/{policy_id}", response_model=PolicyOut)
def update_policy(policy_id: Id, body: PolicyPatch, runtime: RuntimeDep, _: Admin) -> PolicyOut:
    """Change the named fields; `steps`, when given, replaces every step. Escalations
    under way follow the new steps from their next one."""
    fields = body.model_dump(exclude_unset=True, exclude={"steps"})
    if body.steps is not None:
        fields["steps"] = [step.spec() for step in body.steps]
    with runtime.db.write() as session:
        policy = policies.get_policy(session, policy_id)
        policies.update_policy(session, policy, now=runtime.clock.now(), **fields)
        return render(session, policy)


@router.delete("/{policy_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_policy(policy_id: Id, runtime: RuntimeDep, _: Admin) -> Response:
    """Refused (409) while a service uses the policy."""
    with runtime.db.write() as session:
        policies.delete_policy(session, policies.get_policy(session, policy_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
