"""Add Workspace: Slack's OAuth v2 install, started and finished by an admin.

`POST /settings/integrations/slack/install` issues a server-side state (bound
to the admin, ten minutes, one use) and sends the browser to Slack's authorize
page (`WATCHKEEP_SLACK_OAUTH_URL`), built by `slack_sdk.oauth`'s
`AuthorizeUrlGenerator`. Slack sends the admin back to
`GET /api/settings/slack-oauth/callback`, which consumes the state, exchanges
the code with `oauth.v2.access` (through the Slack gateway: the SDK's WebClient,
Basic auth with the app's client id and secret), checks the new token with
`auth.test` (which tells the bot id) and stores it encrypted with
`slack.workspaces.store_token`, exactly as a pasted token is stored. A workspace seen
before keeps its preferences and gets the new token. A wrong, reused or
expired state is refused with a page that says so; nothing is connected.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, Request
from slack_sdk.oauth import AuthorizeUrlGenerator
from starlette.responses import RedirectResponse, Response

from watchkeep.core.errors import InvalidInputError
from watchkeep.runtime import Runtime
from watchkeep.slack import workspaces
from watchkeep.slack.errors import SlackError, SlackTransientError
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
    try:
        answer = runtime.slack.gateway.exchange_code(
            client_id=client_id,
            client_secret=client_secret,
            code=code,
            redirect_uri=runtime.settings.public_url(OAUTH_CALLBACK_PATH),
        )
    except SlackTransientError as exc:
        log.warning("oauth.v2.access failed: %s", exc)
        return _refused(request, "Slack could not be reached; try again in a moment.", 502)
    except SlackError as exc:
        return _refused(request, f"Slack refused the install: {exc.error}.", 502)
    try:
        # oauth.v2.access carries no bot_id; auth.test with the new token tells it.
        checked = runtime.slack.admin.check_token(answer.get("access_token") or "")
    except InvalidInputError as exc:
        return _refused(request, f"Slack gave a token it then refused: {exc.message}.", 502)
    team = answer.get("team") or {}
    with runtime.db.write() as db:
        workspaces.store_token(
            db,
            runtime.secrets,
            checked,
            now=runtime.clock.now(),
            team={**team, "bot_user_id": answer.get("bot_user_id")},
        )
    runtime.slack.settings_changed()
    name = team.get("name") or "The workspace"
    return redirect(request, SETTINGS, notice=f"{name} is connected. Choose its default channel.")
