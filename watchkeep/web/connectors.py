"""Settings → Connectors: a team's own Slack connections.

Everyone signed in sees the list; organisation admins and each team's admins
create their team's connectors (+ New Connector → Slack), set its channel
permissions (the channels it may post to, the prefix of channels it may
create), replace its token, test it and delete it. Secrets are never shown
again; a connector a runbook uses is not deleted (409, with the runbooks).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from watchkeep.core import teams
from watchkeep.core.connector_models import Connector
from watchkeep.core.errors import ConflictError, InvalidInputError
from watchkeep.core.ids import Id, parse_id
from watchkeep.crypto import mask
from watchkeep.runbooks import connectors
from watchkeep.runbooks.connectors import Secrets
from watchkeep.slack import connector_admin
from watchkeep.web.auth import Forbidden, Viewer, WebUser, runtime_of, verify_csrf
from watchkeep.web.rendering import fields, redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

BASE = "/settings/connectors"


def managed_team_ids(session: Session, user: WebUser) -> set[int] | None:
    """Teams whose connectors this user manages; None: every team (organisation admin)."""
    if user.can("configure"):
        return None
    if not user.can("respond"):
        return set()
    return teams.admin_team_ids(session, user.id)


def _teams_for(session: Session, user: WebUser) -> list[Any]:
    managed = managed_team_ids(session, user)
    found, _ = teams.list_teams(session, limit=500, offset=0)
    return [team for team in found if managed is None or team.id in managed]


@router.get(BASE)
def connector_list(request: Request, user: Viewer) -> Response:
    runtime = runtime_of(request)
    with runtime.db.read() as db:
        found = connectors.list_connectors(db)
        context = {
            "nav": "connectors",
            "connectors": found,
            "health": {c.id: connector_admin.health(db, c, runtime.clock.now()) for c in found},
            "used": {c.id: [rb.name for rb in connectors.users_of(db, c)] for c in found},
            "can_create": bool(_teams_for(db, user)),
        }
        return render(request, "settings/connectors.html", context)


@router.get(BASE + "/new")
def new_connector(request: Request, user: Viewer) -> Response:
    return _form(request, user, {"type": "slack"}, {})


def _form(
    request: Request,
    user: WebUser,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    with runtime_of(request).db.read() as db:
        choices = _teams_for(db, user)
        if not choices:
            raise Forbidden("only organisation admins and team admins create connectors")
        context = {
            "nav": "connectors",
            "values": fields(values),
            "errors": fields(errors),
            "teams": choices,
        }
        return render(request, "settings/connector_form.html", context, status_code=status_code)


def _channels(text: str) -> list[str]:
    return [part for part in text.replace(",", " ").split() if part]


@router.post(BASE)
async def create_connector(request: Request, user: Viewer) -> Response:
    form = await request.form()
    values = {
        key: str(form.get(key, ""))[:5000]
        for key in (
            "name",
            "team_id",
            "bot_token",
            "signing_secret",
            "allowed_channels",
            "channel_prefix",
        )
    }
    runtime = runtime_of(request)
    team_id = parse_id(values["team_id"])
    errors: dict[str, str] = {}
    if team_id is None:
        errors["team_id"] = "choose the team that owns it"
    if not values["bot_token"].strip():
        errors["bot_token"] = "a Slack connector needs a bot token (xoxb-…)"  # noqa: S105
    if not errors:
        try:
            with runtime.db.read() as db:
                teams.require_team_admin(db, user.role, user.id, team_id)
            identity = runtime.slack.connectors.identify(values["bot_token"])
            with runtime.db.write() as db:
                connector = connectors.create_connector(
                    db,
                    runtime.secrets,
                    name=values["name"],
                    team_id=team_id,
                    secrets=Secrets(values["bot_token"], values["signing_secret"] or None),
                    allowed_channels=_channels(values["allowed_channels"]),
                    channel_prefix=values["channel_prefix"],
                    now=runtime.clock.now(),
                )
                if identity is not None:
                    connectors.record_identity(connector, identity)
                saved_id, name = connector.id, connector.name
        except InvalidInputError as exc:
            errors[exc.field.split(".")[0]] = exc.message
        except ConflictError as exc:
            errors["name"] = str(exc)
        else:
            return redirect(request, f"{BASE}/{saved_id}", notice=f"Connector {name} saved.")
    values["bot_token"] = values["signing_secret"] = ""  # never echoed back
    return _form(request, user, values, errors, status_code=422)


def _page(
    request: Request,
    user: WebUser,
    connector_id: int,
    *,
    errors: dict[str, str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    runtime = runtime_of(request)
    with runtime.db.read() as db:
        connector = connectors.get_connector(db, connector_id)
        context = {
            "nav": "connectors",
            "connector": connector,
            "token": mask(runtime.secrets.decrypt(connector.bot_token_encrypted)),
            "signing_secret_set": bool(connector.signing_secret_encrypted),
            "health": connector_admin.health(db, connector, runtime.clock.now()),
            "used": [rb.name for rb in connectors.users_of(db, connector)],
            "may_manage": teams.may_manage_team(db, user.role, user.id, connector.team_id),
            "errors": fields(errors),
            "error": error,
        }
        return render(request, "settings/connector.html", context, status_code=status_code)


@router.get(BASE + "/{connector_id}")
def connector_page(request: Request, connector_id: Id, user: Viewer) -> Response:
    return _page(request, user, connector_id)


def _managed(request: Request, user: WebUser, connector_id: int) -> Connector:
    with runtime_of(request).db.read() as db:
        connector = connectors.get_connector(db, connector_id)
        if not teams.may_manage_team(db, user.role, user.id, connector.team_id):
            raise Forbidden(f"only admins of team {connector.team.name} manage this connector")
        return connector


@router.post(BASE + "/{connector_id}")
async def update_connector(request: Request, connector_id: Id, user: Viewer) -> Response:
    """Channel permissions, and a new token or signing secret when one is typed."""
    _managed(request, user, connector_id)
    form = await request.form()
    runtime = runtime_of(request)
    token = str(form.get("bot_token", "")).strip()[:500]
    secret = str(form.get("signing_secret", "")).strip()[:200]
    changes = {
        "allowed_channels": _channels(str(form.get("allowed_channels", ""))[:20_000]),
        "channel_prefix": str(form.get("channel_prefix", ""))[:100],
    }
    try:
        identity = runtime.slack.connectors.identify(token) if token else None
        with runtime.db.write() as db:
            connector = connectors.get_connector(db, connector_id)
            connectors.update_connector(
                db,
                runtime.secrets,
                connector,
                changes,
                Secrets(token or None, secret or None),
                now=runtime.clock.now(),
            )
            if identity is not None:
                connectors.record_identity(connector, identity)
    except InvalidInputError as exc:
        errors = {exc.field.split(".")[0]: exc.message}
        return _page(request, user, connector_id, errors=errors, status_code=422)
    return redirect(request, f"{BASE}/{connector_id}", notice="Channel permissions saved.")


@router.post(BASE + "/{connector_id}/test")
def test_connector(request: Request, connector_id: Id, user: Viewer) -> Response:
    _managed(request, user, connector_id)
    runtime = runtime_of(request)
    result = runtime.slack.connectors.test(connector_id, runtime.clock.now())
    return render(request, "fragments/slack_test_result.html", {"result": result})


@router.post(BASE + "/{connector_id}/delete")
def delete_connector(request: Request, connector_id: Id, user: Viewer) -> Response:
    _managed(request, user, connector_id)
    try:
        with runtime_of(request).db.write() as db:
            connector = connectors.get_connector(db, connector_id)
            name = connector.name
            connectors.delete_connector(db, connector)
    except ConflictError as exc:
        return _page(request, user, connector_id, error=f"Not deleted: {exc}.", status_code=409)
    return redirect(request, BASE, notice=f"Connector {name} deleted.")
