"""Slack's install consent page, faked: ``GET /oauth/v2/authorize``.

Where the real Slack asks "Watchkeep is requesting permission to access the
Acme workspace", the fake lists its workspaces with an *Allow* button each and
a *Cancel*. Allowing issues a one-time code (as ``create_oauth_code`` does)
for the requested scopes and redirect URI, and sends the browser back to
``redirect_uri?code=…&state=…``; cancelling sends ``error=access_denied``.
Point ``WATCHKEEP_SLACK_OAUTH_URL`` at ``{server.base_url}/oauth/v2/authorize``.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .state import SlackState


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Install app · Fake Slack</title></head><body>{body}</body></html>",
        status_code=status,
    )


def _back(redirect_uri: str, **params: str) -> Response:
    joiner = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + joiner + urlencode(params), status_code=303)


async def authorize(request: Request) -> Response:
    state: SlackState = request.app.state.slack
    q = request.query_params if request.method == "GET" else await request.form()
    client_id, redirect_uri = str(q.get("client_id", "")), str(q.get("redirect_uri", ""))
    oauth_state, scope = str(q.get("state", "")), str(q.get("scope", ""))
    if client_id != state.client_id:
        return _page("<h1>Something went wrong</h1><p>invalid_client_id</p>", 400)
    if not redirect_uri.startswith(("http://", "https://")):
        return _page("<h1>Something went wrong</h1><p>bad_redirect_uri</p>", 400)
    if request.method == "POST":
        if q.get("decision") != "allow":
            return _back(redirect_uri, error="access_denied", state=oauth_state)
        scopes = [s for s in scope.split(",") if s]
        code = state.create_oauth_code(
            str(q.get("team", "")), scopes=scopes or None, redirect_uri=redirect_uri
        )
        return _back(redirect_uri, code=code, state=oauth_state)
    hidden = "".join(
        f"<input type='hidden' name='{name}' value='{escape(value, quote=True)}'>"
        for name, value in (
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("state", oauth_state),
            ("scope", scope),
        )
    )
    with state.lock:
        teams = [(ws.team_id, ws.name) for ws in state.workspaces.values() if ws.active]
    choices = "".join(
        f"<form method='post'>{hidden}<input type='hidden' name='team' value='{team_id}'>"
        f"<button name='decision' value='allow'>Allow in {escape(name)}</button></form>"
        for team_id, name in teams
    )
    cancel = (
        f"<form method='post'>{hidden}<button name='decision' value='deny'>Cancel</button></form>"
    )
    return _page(
        "<h1>Install the app</h1>"
        f"<p>It asks for: {escape(scope.replace(',', ', ')) or 'no scopes'}.</p>{choices}{cancel}"
    )
