"""A service's integrations card: admins create, rotate and revoke integration keys.

Admins only, as in the JSON API: a key lets whoever holds it open incidents. A
key is shown once, on the page answering its creation or rotation; it is not
stored, and never put in the session cookie.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError
from starlette.responses import Response

from watchkeep.core import services
from watchkeep.core.errors import InvalidInputError
from watchkeep.core.ids import Id
from watchkeep.ingest import integrations
from watchkeep.ingest.models import Integration, IntegrationType
from watchkeep.ingest.webhook import WebhookConfig
from watchkeep.web.auth import Admin, runtime_of, verify_csrf
from watchkeep.web.rendering import fields, redirect
from watchkeep.web.services import service_form, service_values

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


def _page(request: Request, service_id: int, integration: dict[str, Any], status: int) -> Response:
    with runtime_of(request).db.read() as db:
        values = service_values(services.get_service(db, service_id))
    return service_form(
        request, values, service_id=service_id, integration=integration, status_code=status
    )


def _shown_once(request: Request, integration: Integration, key: str) -> dict[str, Any]:
    path = integrations.endpoint_path(integration.type, key)
    url = runtime_of(request).settings.public_url(path)
    return {"key": {"name": integration.name, "key": key, "url": url}}


@router.post("/services/{service_id}/integrations")
def create_integration(
    request: Request,
    service_id: Id,
    user: Admin,
    type: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
    summary_path: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    values = {"type": type, "name": name, "summary_path": summary_path}
    errors: dict[str, str] = {}
    if type not in IntegrationType.__members__.values():
        errors["type"] = "choose a type"
    if not name.strip():
        errors["name"] = "must not be empty"
    elif len(name.strip()) > 200:
        errors["name"] = "must be at most 200 characters"
    config = None
    if type == IntegrationType.WEBHOOK and summary_path.strip():
        try:
            config = WebhookConfig(summary_path=summary_path)
        except ValidationError as exc:
            errors["summary_path"] = exc.errors()[0]["msg"]
    if not errors:
        runtime = runtime_of(request)
        try:
            with runtime.db.write() as db:
                integration, key = integrations.create_integration(
                    db,
                    service_id=service_id,
                    integration_type=IntegrationType(type),
                    name=name,
                    config=config,
                    now=runtime.clock.now(),
                )
                shown = _shown_once(request, integration, key)
        except InvalidInputError as exc:
            errors["summary_path" if exc.field == "config" else exc.field] = exc.message
        else:
            return _page(request, service_id, shown, 201)
    return _page(request, service_id, {"entered": fields(values), "problems": fields(errors)}, 422)


@router.post("/services/{service_id}/integrations/{integration_id}/rotate")
def rotate_key(request: Request, service_id: Id, integration_id: Id, user: Admin) -> Response:
    runtime = runtime_of(request)
    with runtime.db.write() as db:
        integration = integrations.get_integration(db, service_id, integration_id)
        key = integrations.rotate(db, integration, now=runtime.clock.now())
        shown = _shown_once(request, integration, key)
    return _page(request, service_id, shown, 200)


@router.post("/services/{service_id}/integrations/{integration_id}/revoke")
def revoke(request: Request, service_id: Id, integration_id: Id, user: Admin) -> Response:
    with runtime_of(request).db.write() as db:
        integration = integrations.get_integration(db, service_id, integration_id)
        name = integration.name
        integrations.revoke(db, integration)
    notice = f"Integration {name} revoked: its key no longer works."
    return redirect(request, f"/services/{service_id}", notice=notice)
