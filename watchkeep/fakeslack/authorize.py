"""Slack's install consent page, faked: ``GET /oauth/v2/authorize``.

Where the real Slack asks "Watchkeep is requesting permission to access the
Acme workspace", the fake, dressed like Slack's page, lists the scopes asked
for, its workspaces with an *Allow* button each, a field to make another
workspace and install there (so a sandbox can always add one), and *Cancel*.
Allowing issues a one-time code (as ``create_oauth_code`` does) for the
requested scopes and redirect URI, and sends the browser back to
``redirect_uri?code=…&state=…``; cancelling sends ``error=access_denied``.
Point ``WATCHKEEP_SLACK_OAUTH_URL`` at ``{server.base_url}/oauth/v2/authorize``.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from .models import Workspace
from .state import SlackState

NEW_WORKSPACE = "new"


_STYLE = """
body { margin: 0; background: #f8f8f8; font-family: Lato, "Segoe UI", system-ui, sans-serif;
       color: #1d1c1d; }
.bar { background: #4a154b; color: #fff; padding: .9rem 1.5rem; font-weight: 800; }
.card { max-width: 560px; margin: 2.5rem auto; background: #fff; border-radius: 8px;
        box-shadow: 0 1px 3px rgba(0,0,0,.12); padding: 2rem 2.4rem; }
.app { display: flex; gap: 1rem; align-items: center; }
.logo { width: 56px; height: 56px; border-radius: 12px; background: #16202e; color: #fff;
        display: flex; align-items: center; justify-content: center; font-size: 1.8rem; }
h1 { font-size: 1.4rem; margin: 0; }
.muted { color: #616061; }
ul.scopes { padding-left: 1.2rem; columns: 2; font-size: .9rem; }
.team { display: flex; justify-content: space-between; align-items: center; gap: 1rem;
        border: 1px solid #ddd; border-radius: 8px; padding: .8rem 1rem; margin: .6rem 0; }
.team form { margin: 0; }
button { font: inherit; font-weight: 700; border-radius: 4px; padding: .45rem 1rem;
         border: 1px solid #bbb; background: #fff; cursor: pointer; }
button.allow { background: #007a5a; border-color: #007a5a; color: #fff; }
input[type=text] { font: inherit; padding: .4rem .6rem; border: 1px solid #bbb;
                   border-radius: 4px; flex: 1; }
.cancel { text-align: right; margin-top: 1.2rem; }
.note { font-size: .8rem; color: #616061; margin-top: 1.4rem; }
"""


def _page(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Install app · Fake Slack</title><style>{_STYLE}</style></head>"
        f"<body><div class='bar'>slack <span class='muted'>(fake)</span></div>"
        f"<main class='card'>{body}</main></body></html>",
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
        team = str(q.get("team", ""))
        if team == NEW_WORKSPACE:
            name = str(q.get("new_name", "")).strip()[:60]
            if not name:
                return _page("<h1>Something went wrong</h1><p>Name the new workspace.</p>", 400)
            team = new_workspace(state, name).team_id
        code = state.create_oauth_code(team, scopes=scopes or None, redirect_uri=redirect_uri)
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
        teams = [(ws.team_id, ws.name, ws.domain) for ws in state.workspaces.values() if ws.active]
    choices = "".join(
        f"<div class='team'><div><strong>{escape(name)}</strong><br>"
        f"<span class='muted'>{escape(domain)}.slack.com</span></div>"
        f"<form method='post'>{hidden}<input type='hidden' name='team' value='{team_id}'>"
        f"<button class='allow' name='decision' value='allow'>Allow in {escape(name)}</button>"
        "</form></div>"
        for team_id, name, domain in teams
    )
    another = (
        f"<div class='team'><form method='post' class='app'>{hidden}"
        f"<input type='hidden' name='team' value='{NEW_WORKSPACE}'>"
        "<label for='new_name'><strong>Another workspace</strong></label>"
        "<input type='text' id='new_name' name='new_name' placeholder='e.g. Initech' required>"
        "<button class='allow' name='decision' value='allow'>Create and allow</button>"
        "</form></div>"
    )
    cancel = (
        f"<form class='cancel' method='post'>{hidden}"
        "<button name='decision' value='deny'>Cancel</button></form>"
    )
    listed = "".join(f"<li>{escape(s)}</li>" for s in scope.split(",") if s) or "<li>none</li>"
    return _page(
        "<div class='app'><div class='logo'>⚓</div><div><h1>Watchkeep is requesting permission"
        " to access a Slack workspace</h1><span class='muted'>Choose where to install it.</span>"
        f"</div></div><h2>What it will be able to do</h2><ul class='scopes'>{listed}</ul>"
        f"<h2>Where</h2>{choices}{another}{cancel}"
        "<p class='note'>This is Watchkeep's built-in fake Slack: nothing leaves this machine."
        "</p>"
    )


def new_workspace(state: SlackState, name: str) -> Workspace:
    """A workspace made on the consent page: a bot, #general and #incidents, and the
    people of the first workspace (same emails), so their Watchkeep users map."""
    with state.lock:
        first = next(iter(state.workspaces.values()), None)
        ws = state.create_workspace(name)
        people = [
            state.add_user(ws, u.name, email=u.email, real_name=u.real_name)
            for u in list(state.users.values())
            if first is not None and u.team_id == first.team_id and not u.is_bot and not u.deleted
        ]
        state.add_channel(ws, "general", members=people)
        state.add_channel(ws, "incidents", members=people)
        return ws
