"""Settings → Integrations → Slack: app credentials (the app-level token among them,
which turns Socket Mode on), workspaces and their preferences, connection tests,
health, and the app manifests (HTTP, and Socket Mode).

Secrets are write-only: the page shows that one is set (masked), never its
value; leaving a secret field empty keeps it. Testing the connection and
listing channels call Slack while the admin waits (the only Slack calls a page
makes, besides the OAuth exchange).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from watchkeep.core.errors import InvalidInputError
from watchkeep.core.ids import Id
from watchkeep.core.models import Urgency
from watchkeep.slack import credentials, socket_mode, workspaces
from watchkeep.slack.errors import SlackError
from watchkeep.slack.models import DEFAULT_EVENTS, SlackApp
from watchkeep.web import slack_views
from watchkeep.web.auth import Admin, runtime_of, verify_csrf
from watchkeep.web.channel_cache import ChannelCache
from watchkeep.web.rendering import fields, is_htmx, redirect, render
from watchkeep.web.slack_manifest import OAUTH_CALLBACK_PATH, manifest_json

PREFIX = "/settings/integrations/slack"
router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)], prefix=PREFIX)
_CLIENT_ID = re.compile(r"^[0-9]+\.[0-9]+$")
_SECRET = re.compile(r"^\S{8,200}$")
APP_TOKEN_FORMAT = "starts with xapp- (Basic Information → App-Level Tokens)"  # noqa: S105
_APP_TOKEN = re.compile(r"^xapp-\S{8,490}$")


def channel_cache(request: Request) -> ChannelCache:
    return request.app.state.slack_channels


def _overview(
    request: Request,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    with runtime.db.read() as db:
        shown = credentials.masked(db, runtime.secrets)
        connected_at, socket_error = socket_mode.status(db.get(SlackApp, 1))
        connected = [
            (w, workspaces.label(w), workspaces.health(db, w, now))
            for w in workspaces.list_workspaces(db)
        ]
    context = {
        "nav": "settings",
        "credentials": shown,
        "workspaces": connected,
        "manifest": manifest_json(runtime.settings),
        "socket_manifest": manifest_json(runtime.settings, socket_mode=True),
        "socket_mode": {"connected_at": connected_at, "error": socket_error},
        "redirect_url": runtime.settings.public_url(OAUTH_CALLBACK_PATH),
        "errors": fields(errors),
        "values": fields(values or {"client_id": shown.client_id}),
    }
    return render(request, "settings/slack.html", context, status_code=status_code)


@router.get("")
def overview(request: Request, user: Admin) -> Response:
    return _overview(request)


@router.post("/app")
def save_app(
    request: Request,
    user: Admin,
    client_id: Annotated[str, Form(max_length=100)] = "",
    client_secret: Annotated[str, Form(max_length=200)] = "",
    signing_secret: Annotated[str, Form(max_length=200)] = "",
    bot_token: Annotated[str, Form(max_length=500)] = "",
    app_token: Annotated[str, Form(max_length=500)] = "",
    socket_mode_off: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    client_id, bot_token, app_token = client_id.strip(), bot_token.strip(), app_token.strip()
    errors = {}
    if app_token and not _APP_TOKEN.match(app_token):
        errors["app_token"] = APP_TOKEN_FORMAT
    if client_id and not _CLIENT_ID.match(client_id):
        errors["client_id"] = (
            "looks like 1234567890.1234567890 (Basic Information → App Credentials)"
        )
    for name, value in (("client_secret", client_secret), ("signing_secret", signing_secret)):
        if value and not _SECRET.match(value.strip()):
            errors[name] = "must be 8 to 200 characters without spaces, as Slack shows it"
    runtime = runtime_of(request)
    checked = None
    if bot_token and not errors:
        try:
            checked = runtime.slack.admin.check_token(bot_token)
        except InvalidInputError as exc:
            errors[exc.field] = exc.message
    if not errors:
        now = runtime.clock.now()
        secrets = {"client_secret": client_secret.strip(), "signing_secret": signing_secret.strip()}
        changes = {"client_id": client_id, **{k: v for k, v in secrets.items() if v}}
        if app_token or socket_mode_off == "on":
            changes["app_token"] = "" if socket_mode_off == "on" else app_token
        with runtime.db.write() as db:
            credentials.set_app_credentials(db, runtime.secrets, changes, now=now)
            if checked is not None:
                primary = workspaces.primary_workspace(db)
                workspaces.store_token(db, runtime.secrets, checked, now=now, workspace=primary)
        runtime.slack.settings_changed()
        return redirect(request, PREFIX, notice="Slack settings saved.")
    return _overview(request, errors=errors, values={"client_id": client_id}, status_code=422)


def _preferences(
    request: Request,
    workspace_id: int,
    *,
    refresh: bool = False,
    errors: dict[str, str] | None = None,
    saved: bool = False,
    status_code: int = 200,
    template: str = "fragments/slack_preferences.html",
) -> Response:
    runtime = runtime_of(request)
    with runtime.db.read() as db:
        workspace = workspaces.get_workspace(db, workspace_id)
    channels, channel_error = None, None
    try:
        channels = channel_cache(request).channels(runtime, workspace, refresh=refresh)
    except SlackError as exc:
        channel_error = f"Slack did not list the channels: {exc.error} ({exc.method})"
    context = {
        **slack_views.preferences_context(workspace, channels, channel_error),
        "errors": fields(errors),
        "saved": saved,
        "nav": "settings",
    }
    return render(request, template, context, status_code=status_code)


@router.get("/workspaces/{workspace_id}")
def workspace_page(request: Request, workspace_id: Id, user: Admin) -> Response:
    return _preferences(request, workspace_id, template="settings/slack_workspace.html")


@router.get("/workspaces/{workspace_id}/preferences")
def preferences(request: Request, workspace_id: Id, user: Admin, refresh: bool = False) -> Response:
    return _preferences(request, workspace_id, refresh=refresh)


def _changes(form: Any) -> dict[str, Any]:
    def text(name: str) -> str:
        value = form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    return {
        "default_channel": text("default_channel") or None,
        "urgency_filter": text("urgency_filter") or "all",
        "urgency_channels": {u.value: text(f"urgency_channel_{u.value}") or None for u in Urgency},
        "events": {name: form.get(f"event_{name}") == "on" for name in DEFAULT_EVENTS},
        "require_mapped_user": form.get("require_mapped_user") == "on",
        "thread_updates": form.get("thread_updates") == "on",
        "resolution_broadcast": form.get("resolution_broadcast") == "on",
        "note_emoji": text("note_emoji") or None,
    }


@router.post("/workspaces/{workspace_id}/preferences")
async def save_preferences(request: Request, workspace_id: Id, user: Admin) -> Response:
    changes = _changes(await request.form())
    runtime = runtime_of(request)

    def save() -> dict[str, str]:
        try:
            with runtime.db.write() as db:
                workspace = workspaces.get_workspace(db, workspace_id)
                workspaces.update_preferences(workspace, changes, now=runtime.clock.now())
        except InvalidInputError as exc:
            return {exc.field: exc.message}
        runtime.slack.settings_changed()
        return {}

    errors = await run_in_threadpool(save)
    if not errors and not is_htmx(request):
        return redirect(request, PREFIX, notice="Notification preferences saved.")
    template = (
        "fragments/slack_preferences.html" if is_htmx(request) else "settings/slack_workspace.html"
    )
    return await run_in_threadpool(
        _preferences,
        request,
        workspace_id,
        errors=errors,
        saved=not errors,
        status_code=422 if errors else 200,
        template=template,
    )


@router.post("/workspaces/{workspace_id}/test")
def run_connection_test(
    request: Request,
    workspace_id: Id,
    user: Admin,
    channel: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """auth.test, and a test message when a channel is chosen: the result, or Slack's error."""
    runtime = runtime_of(request)
    with runtime.db.read() as db:
        workspace = workspaces.get_workspace(db, workspace_id)
    result: dict[str, Any] = {"ok": False, "channel": channel.strip() or None}
    try:
        result.update(ok=True, **runtime.slack.admin.test(workspace, result["channel"]))
    except SlackError as exc:
        result.update(error=exc.error, method=exc.method, detail=str(exc))
    if result["channel"]:
        names = channel_cache(request).names(workspace_id)
        result["channel"] = names.get(result["channel"], result["channel"])
    if not is_htmx(request):
        if result["ok"]:
            notice = f"Connection successful: {result['team']}."
        else:
            notice = f"Slack said: {result['error']} ({result['method']})."
        return redirect(request, PREFIX, notice=notice)
    return render(request, "fragments/slack_test_result.html", {"result": result})


@router.post("/workspaces/{workspace_id}/delete")
def remove_workspace(request: Request, workspace_id: Id, user: Admin) -> Response:
    runtime = runtime_of(request)
    with runtime.db.write() as db:
        workspace = workspaces.get_workspace(db, workspace_id)
        label = workspaces.label(workspace)
        db.delete(workspace)
    runtime.slack.settings_changed()
    return redirect(request, PREFIX, notice=f"{label} was disconnected.")
