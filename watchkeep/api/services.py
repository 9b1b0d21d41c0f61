"""`/api/v1/services`: what incidents are about and where they are announced."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import Field

from watchkeep.api.deps import Admin, PageDep, Reader, RuntimeDep
from watchkeep.api.schemas import OutModel, Paged, StrictModel
from watchkeep.core import services
from watchkeep.core.ids import Id
from watchkeep.oncall import policies

router = APIRouter(prefix="/services", tags=["services"])

SlaMinutes = Field(default=None, ge=1, le=60 * 24 * 30)


class ServiceIn(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    team_id: Id | None = None
    escalation_policy_id: Id | None = None
    slack_channel: str | None = Field(default=None, max_length=100)
    ack_sla_minutes: int | None = SlaMinutes
    resolve_sla_minutes: int | None = SlaMinutes


class ServicePatch(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    team_id: Id | None = None
    escalation_policy_id: Id | None = None
    slack_channel: str | None = Field(default=None, max_length=100)
    ack_sla_minutes: int | None = SlaMinutes
    resolve_sla_minutes: int | None = SlaMinutes


class TeamRef(OutModel):
    id: int
    name: str


class ServiceOut(OutModel):
    id: int
    name: str
    description: str
    team: TeamRef | None
    escalation_policy_id: int | None
    slack_channel: str | None
    ack_sla_minutes: int | None
    resolve_sla_minutes: int | None
    created_at: datetime


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ServiceOut)
def create_service(body: ServiceIn, runtime: RuntimeDep, _: Admin) -> ServiceOut:
    with runtime.db.write() as session:
        fields = body.model_dump()
        policy_id = fields.pop("escalation_policy_id")
        service = services.create_service(session, **fields, now=runtime.clock.now())
        policies.assign_policy(session, service, policy_id)
        return ServiceOut.model_validate(service)


@router.get("", response_model=Paged[ServiceOut])
def list_services(runtime: RuntimeDep, caller: Reader, page: PageDep) -> Paged[ServiceOut]:
    with runtime.db.read() as session:
        found, total = services.list_services(
            session, scope=caller.scope(), limit=page.limit, offset=page.offset
        )
        items = [ServiceOut.model_validate(service) for service in found]
    return Paged(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{service_id}", response_model=ServiceOut)
def get_service(service_id: Id, runtime: RuntimeDep, caller: Reader) -> ServiceOut:
    with runtime.db.read() as session:
        service = services.visible_service(session, caller.scope(), service_id)
        return ServiceOut.model_validate(service)


@router.patch("/{service_id}", response_model=ServiceOut)
def update_service(service_id: Id, body: ServicePatch, runtime: RuntimeDep, _: Admin) -> ServiceOut:
    with runtime.db.write() as session:
        service = services.get_service(session, service_id)
        changes = body.model_dump(exclude_unset=True)
        if "escalation_policy_id" in changes:
            policies.assign_policy(session, service, changes.pop("escalation_policy_id"))
        services.update_service(session, service, **changes)
        session.refresh(service)
        return ServiceOut.model_validate(service)


@router.delete("/{service_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_service(service_id: Id, runtime: RuntimeDep, _: Admin) -> Response:
    with runtime.db.write() as session:
        services.delete_service(session, services.get_service(session, service_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
