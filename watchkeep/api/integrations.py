"""`/api/v1/services/{id}/integrations` and `/alert-settings`: how alerts reach a service.

Admins only, for integrations: their keys let anyone who holds them open
incidents. A key is answered once, when made or rotated; it is not stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Response, status
from pydantic import Field

from watchkeep.api.deps import Admin, PageDep, Reader, RuntimeDep
from watchkeep.api.schemas import OutModel, Paged, StrictModel
from watchkeep.core import changes, services
from watchkeep.core.ids import Id
from watchkeep.core.models import Urgency
from watchkeep.ingest import context, integrations
from watchkeep.ingest.alert import Severity
from watchkeep.ingest.models import Integration, IntegrationType
from watchkeep.ingest.webhook import WebhookConfig
from watchkeep.runtime import Runtime

router = APIRouter(prefix="/services/{service_id}", tags=["integrations"])


class IntegrationIn(StrictModel):
    type: IntegrationType
    name: str = Field(min_length=1, max_length=200)
    rate_limit_per_minute: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Default: WATCHKEEP_INGEST_RATE_PER_MINUTE"
    )
    config: WebhookConfig | None = Field(
        default=None, description="Webhook integrations only: where their fields live"
    )
    unknown_severity: Severity | None = Field(
        default=None,
        description=(
            "Events API v2 integrations only: the severity taken for one PagerDuty does not"
            " know (default: refused with a 400, as PagerDuty does)"
        ),
    )


class IntegrationOut(OutModel):
    id: int
    service_id: int
    type: IntegrationType
    name: str
    key_prefix: str = Field(description="The key's first characters, to tell keys apart")
    rate_limit_per_minute: int | None
    config: dict[str, Any]
    created_at: datetime
    rotated_at: datetime | None


class IntegrationKeyOut(IntegrationOut):
    key: str = Field(description="Shown only now: it is not stored")
    url: str = Field(description="The address to paste into the monitoring tool")


class AlertSettings(StrictModel):
    severity_urgency: dict[Severity, Urgency] = Field(
        description="Alert severity → incident urgency; a severity left out keeps its default"
    )
    shown_labels: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None,
        max_length=10,
        description=(
            "The alert labels the Slack message shows, in order (null: the default list:"
            " severity, environment, env, cluster, namespace, service, instance)"
        ),
    )


def _out(integration: Integration) -> IntegrationOut:
    return IntegrationOut(
        id=integration.id,
        service_id=integration.service_id,
        type=integration.type,
        name=integration.name,
        key_prefix=integration.key_id,
        rate_limit_per_minute=integration.rate_limit_per_minute,
        config=integration.config,
        created_at=integration.created_at,
        rotated_at=integration.rotated_at,
    )


def _with_key(integration: Integration, key: str, runtime: Runtime) -> IntegrationKeyOut:
    url = runtime.settings.public_url(integrations.endpoint_path(integration.type, key))
    return IntegrationKeyOut(**_out(integration).model_dump(), key=key, url=url)


@router.post("/integrations", status_code=status.HTTP_201_CREATED, response_model=IntegrationKeyOut)
def create_integration(
    service_id: Id, body: IntegrationIn, runtime: RuntimeDep, _: Admin
) -> IntegrationKeyOut:
    with runtime.db.write() as session:
        integration, key = integrations.create_integration(
            session,
            service_id=service_id,
            integration_type=body.type,
            name=body.name,
            config=body.config,
            rate_limit_per_minute=body.rate_limit_per_minute,
            unknown_severity=body.unknown_severity,
            now=runtime.clock.now(),
        )
        return _with_key(integration, key, runtime)


@router.get("/integrations", response_model=Paged[IntegrationOut])
def list_integrations(
    service_id: Id, runtime: RuntimeDep, _: Admin, page: PageDep
) -> Paged[IntegrationOut]:
    with runtime.db.read() as session:
        found, total = integrations.list_integrations(
            session, service_id, limit=page.limit, offset=page.offset
        )
        items = [_out(integration) for integration in found]
    return Paged(items=items, total=total, limit=page.limit, offset=page.offset)


@router.delete("/integrations/{integration_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_integration(
    service_id: Id, integration_id: Id, runtime: RuntimeDep, _: Admin
) -> Response:
    with runtime.db.write() as session:
        integration = integrations.get_integration(session, service_id, integration_id)
        integrations.revoke(session, integration)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/integrations/{integration_id}/rotate", response_model=IntegrationKeyOut)
def rotate_key(
    service_id: Id, integration_id: Id, runtime: RuntimeDep, _: Admin
) -> IntegrationKeyOut:
    with runtime.db.write() as session:
        integration = integrations.get_integration(session, service_id, integration_id)
        key = integrations.rotate(session, integration, now=runtime.clock.now())
        return _with_key(integration, key, runtime)


@router.get("/alert-settings", response_model=AlertSettings)
def get_alert_settings(service_id: Id, runtime: RuntimeDep, caller: Reader) -> AlertSettings:
    with runtime.db.read() as session:
        services.visible_service(session, caller.scope(), service_id)
        return AlertSettings(
            severity_urgency=integrations.severity_urgency(session, service_id),
            shown_labels=context.shown_labels(session, service_id),
        )


@router.put("/alert-settings", response_model=AlertSettings)
def put_alert_settings(
    service_id: Id, body: AlertSettings, runtime: RuntimeDep, _: Admin
) -> AlertSettings:
    with runtime.db.write() as session:
        mapping = integrations.set_severity_urgency(
            session,
            service_id,
            body.severity_urgency,
            shown_labels=body.shown_labels,
            now=runtime.clock.now(),
        )
        return AlertSettings(
            severity_urgency=mapping, shown_labels=context.shown_labels(session, service_id)
        )


class ChangeEventOut(OutModel):
    id: int
    summary: str
    source: str | None
    occurred_at: datetime
    received_at: datetime
    sender: str
    links: list[dict[str, Any]]
    custom_details: Any


@router.get("/changes", response_model=Paged[ChangeEventOut])
def list_changes(
    service_id: Id, runtime: RuntimeDep, caller: Reader, page: PageDep
) -> Paged[ChangeEventOut]:
    """The service's change events (deploys, config changes), newest first."""
    with runtime.db.read() as session:
        services.visible_service(session, caller.scope(), service_id)
        found, total = changes.list_changes(
            session, service_id, limit=page.limit, offset=page.offset
        )
        items = [ChangeEventOut.model_validate(change, from_attributes=True) for change in found]
    return Paged(items=items, total=total, limit=page.limit, offset=page.offset)
