"""`/api/v1/integrations/slack`: credentials, workspaces and their notification settings.

A PUT changes only the fields it names. Secrets are stored encrypted and only
ever shown masked. `test` and `channels` call Slack while the admin waits; no
incident request ever does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import Field
from sqlalchemy.orm import Session

from watchkeep.api.deps import Admin, RuntimeDep
from watchkeep.api.schemas import StrictModel
from watchkeep.core.errors import ConflictError
from watchkeep.core.ids import Id
from watchkeep.core.models import Urgency
from watchkeep.crypto import mask
from watchkeep.runtime import Runtime
from watchkeep.slack import credentials, socket_mode, workspaces
from watchkeep.slack.errors import SlackError
from watchkeep.slack.models import DEFAULT_EVENTS, SlackApp, SlackWorkspace

router = APIRouter(prefix="/integrations/slack", tags=["slack"])

Channel = Field(default=None, max_length=100)


class Preferences(StrictModel):
    default_channel: str | None = Channel
    urgency_filter: str | None = None
    urgency_channels: dict[Urgency, str | None] | None = None
    events: dict[str, bool] | None = None
    require_mapped_user: bool | None = None
    note_emoji: str | None = Field(default=None, max_length=102)
    thread_updates: bool | None = None
    resolution_broadcast: bool | None = None


class SlackSettingsIn(Preferences):
    bot_token: str | None = Field(default=None, max_length=500)
    client_id: str | None = Field(default=None, max_length=100)
    client_secret: str | None = Field(default=None, max_length=200)
    signing_secret: str | None = Field(default=None, max_length=200)
    # An app-level token turns Socket Mode on; "" or null turns it off.
    app_token: str | None = Field(default=None, max_length=500, pattern=r"^(xapp-\S+)?$")


class TestIn(StrictModel):
    channel: str | None = Channel
    workspace_id: Id | None = None


def _workspace_view(runtime: Runtime, session: Session, workspace: SlackWorkspace) -> dict:
    health = workspaces.health(session, workspace, runtime.clock.now())
    return {
        "id": workspace.id,
        "team_id": workspace.team_id,
        "team_name": workspace.team_name,
        "bot_user_id": workspace.bot_user_id,
        "bot_token": mask(runtime.slack.token(workspace)),
        "default_channel": workspace.default_channel,
        "urgency_filter": workspace.urgency_filter,
        "urgency_channels": workspace.urgency_channels,
        "events": {**DEFAULT_EVENTS, **workspace.events},
        "require_mapped_user": workspace.require_mapped_user,
        "note_emoji": workspace.note_emoji,
        "thread_updates": workspace.thread_updates,
        "resolution_broadcast": workspace.resolution_broadcast,
        "health": {
            "last_error": health.last_error,
            "last_error_at": health.last_error_at,
            "last_delivery_at": health.last_delivery_at,
            "rate_limited_until": health.rate_limited_until,
            "messages_waiting": health.waiting,
            "messages_failed": health.failed,
        },
    }


def _view(runtime: Runtime, session: Session) -> dict[str, Any]:
    shown = credentials.masked(session, runtime.secrets)
    views = [_workspace_view(runtime, session, w) for w in workspaces.list_workspaces(session)]
    primary = views[0] if views else None
    return {
        "configured": primary is not None,
        "client_id": shown.client_id or None,
        "client_secret": shown.client_secret,
        "signing_secret": shown.signing_secret,
        "app_token": shown.app_token,
        "socket_mode": _socket_mode(session, shown.app_token is not None),
        **({k: v for k, v in primary.items() if k != "id"} if primary else {}),
        "workspace_id": primary["id"] if primary else None,
        "workspaces": views,
    }


def _socket_mode(session: Session, enabled: bool) -> dict[str, Any]:
    connected_at, error = socket_mode.status(session.get(SlackApp, 1))
    return {
        "enabled": enabled,
        "connected_at": connected_at if enabled else None,
        "error": error if enabled else None,
    }


@router.get("")
def get_slack_settings(runtime: RuntimeDep, _: Admin) -> dict[str, Any]:
    with runtime.db.write() as session:
        return _view(runtime, session)


@router.put("")
def put_slack_settings(body: SlackSettingsIn, runtime: RuntimeDep, _: Admin) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    token = changes.pop("bot_token", None)
    # Asked before the transaction: Slack's answer may take a while.
    checked = runtime.slack.admin.check_token(token) if token else None
    now = runtime.clock.now()
    with runtime.db.write() as session:
        given = {
            k: changes.pop(k)
            for k in ("client_id", "client_secret", "signing_secret", "app_token")
            if k in changes
        }
        if given:
            credentials.set_app_credentials(session, runtime.secrets, given, now=now)
        workspace = workspaces.primary_workspace(session)
        if checked is not None:
            workspace = workspaces.store_token(
                session, runtime.secrets, checked, now=now, workspace=workspace
            )
        if changes:
            if workspace is None:
                raise ConflictError("connect a workspace first: give its bot_token")
            workspaces.update_preferences(workspace, _plain(changes), now=now)
        session.flush()
        view = _view(runtime, session)
    runtime.slack.settings_changed()
    return view


@router.get("/workspaces/{workspace_id}")
def get_workspace(workspace_id: Id, runtime: RuntimeDep, _: Admin) -> dict[str, Any]:
    with runtime.db.read() as session:
        return _workspace_view(runtime, session, workspaces.get_workspace(session, workspace_id))


@router.put("/workspaces/{workspace_id}")
def put_workspace(
    workspace_id: Id, body: Preferences, runtime: RuntimeDep, _: Admin
) -> dict[str, Any]:
    with runtime.db.write() as session:
        workspace = workspaces.get_workspace(session, workspace_id)
        changes = _plain(body.model_dump(exclude_unset=True))
        workspaces.update_preferences(workspace, changes, now=runtime.clock.now())
        session.flush()
        view = _workspace_view(runtime, session, workspace)
    runtime.slack.settings_changed()
    return view


@router.delete("/workspaces/{workspace_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_workspace(workspace_id: Id, runtime: RuntimeDep, _: Admin) -> Response:
    with runtime.db.write() as session:
        session.delete(workspaces.get_workspace(session, workspace_id))
    runtime.slack.settings_changed()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/test")
def run_connection_test(body: TestIn, runtime: RuntimeDep, _: Admin) -> dict[str, Any]:
    """Run auth.test (and post a test message to `channel`): `ok`, or Slack's exact error."""
    workspace = _chosen_workspace(runtime, body.workspace_id)
    try:
        return {"ok": True, **runtime.slack.admin.test(workspace, body.channel)}
    except SlackError as exc:
        return {"ok": False, "error": exc.error, "method": exc.method, "detail": str(exc)}


@router.get("/channels")
def list_channels(runtime: RuntimeDep, _: Admin, workspace_id: Id | None = None) -> dict[str, Any]:
    workspace = _chosen_workspace(runtime, workspace_id)
    try:
        return {"items": runtime.slack.admin.channels(workspace)}
    except SlackError as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail=f"Slack said {exc}") from exc


def _chosen_workspace(runtime: Runtime, workspace_id: int | None) -> SlackWorkspace:
    with runtime.db.read() as session:
        if workspace_id is not None:
            return workspaces.get_workspace(session, workspace_id)
        workspace = workspaces.primary_workspace(session)
    if workspace is None:
        raise ConflictError("no Slack workspace is connected")
    return workspace


def _plain(changes: dict[str, Any]) -> dict[str, Any]:
    if changes.get("urgency_channels") is not None:
        changes["urgency_channels"] = {
            getattr(k, "value", k): v for k, v in changes["urgency_channels"].items()
        }
    return changes
