"""Service pages: the list, and create/edit with team, escalation policy, SLA
targets and a Slack channel chosen from the workspace's channel list. The edit
page carries the service's integrations card (`web.integrations`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import func, select
from starlette.responses import Response

from watchkeep.core import access, services, teams
from watchkeep.core.errors import ConflictError, InvalidInputError
from watchkeep.core.ids import Id, parse_id
from watchkeep.core.models import Incident, IncidentStatus
from watchkeep.ingest import integrations
from watchkeep.ingest.models import IntegrationType
from watchkeep.oncall import policies
from watchkeep.slack import routing, workspaces
from watchkeep.slack.errors import SlackError
from watchkeep.web.auth import Admin, Viewer, runtime_of, verify_csrf
from watchkeep.web.rendering import fields, redirect, render
from watchkeep.web.slack_settings import channel_cache

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
MAX_SLA_MINUTES = 60 * 24 * 30


@router.get("/services")
def service_list(request: Request, user: Viewer) -> Response:
    runtime = runtime_of(request)
    with runtime.db.read() as db:
        found, _ = services.list_services(db, scope=user.scope(), limit=500, offset=0)
        # Counts only of incidents the user may see: a count confirms they exist.
        open_counts = dict(
            db.execute(
                select(Incident.service_id, func.count())
                .where(
                    Incident.status != IncidentStatus.RESOLVED,
                    access.incident_condition(user.scope()),
                )
                .group_by(Incident.service_id)
            ).all()
        )
        labels = _channel_labels(request, db)
    context = {"nav": "services", "services": found, "open_counts": open_counts, "labels": labels}
    return render(request, "services/list.html", context)


def _channel_labels(request: Request, db: Any) -> dict[str, str]:
    workspace = workspaces.primary_workspace(db)
    return channel_cache(request).names(workspace.id) if workspace else {}


def _workspace_channels(request: Request) -> tuple[Any, list[dict[str, Any]] | None, str | None]:
    """The primary workspace and its channels; None and why when they cannot be listed."""
    runtime = runtime_of(request)
    with runtime.db.read() as db:
        workspace = workspaces.primary_workspace(db)
    if workspace is None:
        return None, None, "Connect Slack to choose from its channels; type a #channel meanwhile."
    try:
        return workspace, channel_cache(request).channels(runtime, workspace), None
    except SlackError as exc:
        why = f"Slack did not list the channels ({exc.error}); type a #channel instead."
        return workspace, None, why


def _channel_choices(
    workspace: Any, found: list[dict[str, Any]] | None, why: str | None
) -> tuple[list[tuple[str, str]] | None, str | None]:
    """The dropdown's channels, or None and why (no workspace, Slack error)."""
    if found is None:
        return None, why
    label = workspace.team_name or "Slack"
    return [
        (c["id"], f"#{c['name']}" + (" (private)" if c["is_private"] else "")) for c in found
    ], (f"Channels of {label}. Empty: the workspace's urgency or default channel is used.")


def exposure_warning(
    team: Any, workspace: Any, found: list[dict[str, Any]] | None, slack_channel: str
) -> str | None:
    """A private team's incidents posted to a public channel are read by everyone in the
    workspace, whatever Watchkeep shows them: say so where the channel is chosen."""
    if team is None or not team.private or workspace is None or found is None:
        return None
    public = routing.public_among(routing.destinations(workspace, slack_channel or None), found)
    if not public:
        return None
    return (
        f"{team.name} is a private team, but this service's incidents are posted to "
        f"{', '.join(public)}: a public channel, which everyone in the workspace can read."
    )


def service_form(
    request: Request,
    values: dict[str, str],
    *,
    service_id: int | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    integration: dict[str, Any] | None = None,
) -> Response:
    """The create/edit page; `integration` is the integrations card's state (a new key
    to show once, or its form's values and errors)."""
    runtime = runtime_of(request)
    workspace, found_channels, why = _workspace_channels(request)
    with runtime.db.read() as db:
        all_teams, _ = teams.list_teams(db, limit=500, offset=0)
        all_policies, _ = policies.list_policies(db, limit=500, offset=0)
        found = (
            integrations.list_integrations(db, service_id, limit=500, offset=0)[0]
            if service_id is not None
            else []
        )
    channels, channel_hint = _channel_choices(workspace, found_channels, why)
    team = next((t for t in all_teams if str(t.id) == values.get("team_id")), None)
    warning = exposure_warning(team, workspace, found_channels, values.get("slack_channel", ""))
    current = values.get("slack_channel")
    if channels is not None and current and current not in {value for value, _ in channels}:
        channels = [(current, current), *channels]
    context = {
        "nav": "services",
        "service_id": service_id,
        "values": fields(values),
        "errors": fields(errors),
        "teams": all_teams,
        "policies": all_policies,
        "integrations": [(i, _endpoint(request, i.type)) for i in found],
        "integration_types": list(IntegrationType),
        "integration": {
            "entered": fields(),
            "problems": fields(),
            "key": None,
            **(integration or {}),
        },
        "channels": channels,
        "channel_hint": channel_hint,
        "exposure_warning": warning,
    }
    return render(request, "services/form.html", context, status_code=status_code)


def _endpoint(request: Request, integration_type: IntegrationType) -> str:
    """Where the tool posts, with `<key>` standing in for the key where the URL holds it."""
    path = integrations.endpoint_path(integration_type, "<key>")
    return runtime_of(request).settings.public_url(path)


def service_values(service: Any) -> dict[str, str]:
    return {
        "name": service.name,
        "description": service.description,
        "team_id": str(service.team_id or ""),
        "escalation_policy_id": str(service.escalation_policy_id or ""),
        "slack_channel": service.slack_channel or "",
        "ack_sla_minutes": str(service.ack_sla_minutes or ""),
        "resolve_sla_minutes": str(service.resolve_sla_minutes or ""),
    }


@router.get("/services/new")
def new_service(request: Request, user: Admin) -> Response:
    return service_form(request, {})


@router.get("/services/{service_id}")
def service_page(request: Request, service_id: Id, user: Viewer) -> Response:
    runtime = runtime_of(request)
    with runtime.db.read() as db:
        service = services.visible_service(db, user.scope(), service_id)
        labels = _channel_labels(request, db)
        policy_id = service.escalation_policy_id
        policy = policies.get_policy(db, policy_id).name if policy_id is not None else None
    if user.can("configure"):
        return service_form(request, service_values(service), service_id=service_id)
    context = {"nav": "services", "service": service, "labels": labels, "policy": policy}
    return render(request, "services/detail.html", context)


class ServiceForm:
    """The submitted fields, checked the way the API checks them."""

    def __init__(
        self,
        name: Annotated[str, Form(max_length=300)] = "",
        description: Annotated[str, Form(max_length=10_000)] = "",
        team_id: Annotated[str, Form(max_length=20)] = "",
        escalation_policy_id: Annotated[str, Form(max_length=20)] = "",
        slack_channel: Annotated[str, Form(max_length=100)] = "",
        ack_sla_minutes: Annotated[str, Form(max_length=10)] = "",
        resolve_sla_minutes: Annotated[str, Form(max_length=10)] = "",
    ) -> None:
        self.values = {
            "name": name,
            "description": description,
            "team_id": team_id,
            "escalation_policy_id": escalation_policy_id,
            "slack_channel": slack_channel,
            "ack_sla_minutes": ack_sla_minutes,
            "resolve_sla_minutes": resolve_sla_minutes,
        }
        self.errors: dict[str, str] = {}
        if not name.strip():
            self.errors["name"] = "must not be empty"
        elif len(name.strip()) > 200:
            self.errors["name"] = "must be at most 200 characters"
        if team_id and parse_id(team_id) is None:
            self.errors["team_id"] = "choose a team from the list"
        if escalation_policy_id and parse_id(escalation_policy_id) is None:
            self.errors["escalation_policy_id"] = "choose a policy from the list"
        self.fields: dict[str, Any] = {
            "name": name.strip(),
            "description": description,
            "team_id": parse_id(team_id),
            "escalation_policy_id": parse_id(escalation_policy_id),
            "slack_channel": slack_channel.strip() or None,
            "ack_sla_minutes": self._minutes("ack_sla_minutes", ack_sla_minutes),
            "resolve_sla_minutes": self._minutes("resolve_sla_minutes", resolve_sla_minutes),
        }

    def _minutes(self, field: str, raw: str) -> int | None:
        if not raw.strip():
            return None
        if not raw.strip().isdecimal() or not 1 <= int(raw) <= MAX_SLA_MINUTES:
            self.errors[field] = f"must be a whole number of minutes from 1 to {MAX_SLA_MINUTES}"
            return None
        return int(raw)


def _save(request: Request, form: ServiceForm, service_id: int | None) -> Response:
    if form.errors:
        return service_form(
            request, form.values, service_id=service_id, errors=form.errors, status_code=422
        )
    runtime = runtime_of(request)
    fields = dict(form.fields)
    policy_id = fields.pop("escalation_policy_id")
    try:
        with runtime.db.write() as db:
            if service_id is None:
                service = services.create_service(db, now=runtime.clock.now(), **fields)
            else:
                service = services.update_service(
                    db, services.get_service(db, service_id), **fields
                )
            policies.assign_policy(db, service, policy_id)
            saved_id, name = service.id, service.name
    except InvalidInputError as exc:
        errors = {exc.field: exc.message}
    except ConflictError as exc:
        errors = {"name": str(exc)}
    else:
        return redirect(request, f"/services/{saved_id}", notice=f"Service {name} saved.")
    return service_form(request, form.values, service_id=service_id, errors=errors, status_code=422)


@router.post("/services")
def create(request: Request, user: Admin, form: Annotated[ServiceForm, Depends()]) -> Response:
    return _save(request, form, None)


@router.post("/services/{service_id}")
def update(
    request: Request, service_id: Id, user: Admin, form: Annotated[ServiceForm, Depends()]
) -> Response:
    return _save(request, form, service_id)


@router.post("/services/{service_id}/delete")
def delete(request: Request, service_id: Id, user: Admin) -> Response:
    runtime = runtime_of(request)
    try:
        with runtime.db.write() as db:
            service = services.get_service(db, service_id)
            name = service.name
            services.delete_service(db, service)
    except ConflictError as exc:
        return redirect(request, f"/services/{service_id}", notice=f"Not deleted: {exc}.")
    return redirect(request, "/services", notice=f"Service {name} deleted.")
