"""Add Workspace: Slack's OAuth v2 install, started and finished by an admin.

`POST /settings/integrations/slack/install` issues a server-side state (bound
to the admin, ten minutes, one use) and sends the browser to Slack's authorize
page (`WATCHKEEP_SLACK_OAUTH_URL`), built by `slack_sdk.oauth`'s
`AuthorizeUrlGenerator`. Slack sends the admin back to
`GET /api/settings/slack-oauth/callback`, which consumes the state, exchanges
the code with `oauth.v2.access` (the SDK's WebClient, Basic auth with the app's
client id and secret), learns the bot id with `auth.test`, and stores the bot
token encrypted through `slack.settings.connect_workspace`. A workspace seen
before keeps its preferences and gets the new token. A wrong, reused or
expired state is refused with a page that says so; nothing is connected.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth import AuthorizeUrlGenerator
from starlette.responses import RedirectResponse, Response

from watchkeep import outbox
from watchkeep.runtime import Runtime
from watchkeep.slack import settings
from watchkeep.slack.delivery import record_identity
from watchkeep.slack.models import SlackApp
from watchkeep.slack.oauth_states import DatabaseOAuthStateStore
from watchkeep.web.auth import Admin, runtime_of, verify_csrf
from watchkeep.web.errors import error_page
from watchkeep.web.rendering import finish, redirect
from watchkeep.web.slack_manifest import BOT_SCOPES, OAUTH_CALLBACK_PATH

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
SETTINGS = "/settings/integrations/slack"


def state_store(runtime: Runtime) -> DatabaseOAuthStateStore:
    return DatabaseOAuthStateStore(runtime.db, runtime.clock)


def _app_credentials(runtime: Runtime) -> tuple[str | None, str | None]:
    with runtime.db.read() as db:
        app = db.get(SlackApp, 1)
        if app is None or not app.client_id or not app.client_secret_encrypted:
            return None, None
        return app.client_id, runtime.secrets.decrypt(app.client_secret_encrypted)


@router.post(f"{SETTINGS}/install")
def start_install(request: Request, user: Admin) -> Response:
    runtime = runtime_of(request)
    client_id, _ = _app_credentials(runtime)
    if client_id is None:
        return redirect(
            request,
            SETTINGS,
            notice="Save the Client ID and Client Secret before adding a workspace.",
        )
    state = state_store(runtime).issue(user_id=user.id)
    url = AuthorizeUrlGenerator(
        client_id=client_id,
        scopes=list(BOT_SCOPES),
        redirect_uri=runtime.settings.public_url(OAUTH_CALLBACK_PATH),
        authorization_url=runtime.settings.slack_oauth_url,
    ).generate(state)
    return finish(request, RedirectResponse(url, status_code=303))


def _refused(request: Request, message: str, status: int = 400) -> Response:
    return error_page(request, status, "Slack install not completed", message)


@router.get(OAUTH_CALLBACK_PATH)
def finish_install(
    request: Request, user: Admin, code: str = "", state: str = "", error: str = ""
) -> Response:
    runtime = runtime_of(request)
    issued = state_store(runtime).take(state)
    if issued is None or issued.user_id != user.id:
        return _refused(
            request,
            "This install link is not valid: it was already used, it expired (they last ten "
            "minutes), or it was not started by you. Start again with Add Workspace.",
        )
    if error:
        return _refused(request, f"Slack did not install the app: {error}.")
    if not code:
        return _refused(request, "Slack sent no authorization code.")
    client_id, client_secret = _app_credentials(runtime)
    if client_id is None or client_secret is None:
        return _refused(request, "The Client ID and Client Secret are no longer set.", 409)
    client = WebClient(
        base_url=runtime.slack.gateway.base_url,
        timeout=int(max(1, runtime.settings.slack_timeout_seconds)),
    )
    try:
        answer: dict[str, Any] = client.oauth_v2_access(
            client_id=client_id,
            client_secret=client_secret,
            code=code,
            redirect_uri=runtime.settings.public_url(OAUTH_CALLBACK_PATH),
        ).data  # type: ignore[assignment]
    except SlackApiError as exc:
        return _refused(request, f"Slack refused the install: {exc.response.get('error')}.", 502)
    except SlackClientError as exc:
        log.warning("oauth.v2.access failed: %s", exc)
        return _refused(request, "Slack could not be reached; try again in a moment.", 502)
    return _connect(request, runtime, client, answer)


def _connect(request: Request, runtime: Runtime, client: WebClient, answer: dict) -> Response:
    token = answer.get("access_token") or ""
    team = answer.get("team") or {}
    identity: dict[str, Any] | None = None
    try:
        # oauth.v2.access carries no bot_id; auth.test with the new token does.
        identity = dict(client.auth_test(token=token).data)  # type: ignore[arg-type]
    except (SlackApiError, SlackClientError) as exc:
        log.warning("auth.test after install failed; the identify job will retry: %s", exc)
    now = runtime.clock.now()
    with runtime.db.write() as db:
        workspace = settings.connect_workspace(
            db,
            runtime.secrets,
            bot_token=token,
            now=now,
            team_id=team.get("id"),
            team_name=team.get("name"),
            bot_user_id=answer.get("bot_user_id"),
        )
        if identity is not None:
            record_identity(db, workspace, identity)
        else:
            outbox.enqueue(
                db, outbox.JobKind.SLACK_IDENTIFY, {"workspace_id": workspace.id}, now=now
            )
        name = team.get("name") or "The workspace"
    runtime.slack.settings_changed()
    return redirect(request, SETTINGS, notice=f"{name} is connected. Choose its default channel.")
