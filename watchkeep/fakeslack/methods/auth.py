"""auth.test, api.test and oauth.v2.access."""

from __future__ import annotations

from typing import Any

from ..errors import SlackError
from .base import Context, method


@method("api.test", needs_token=False)
def api_test(ctx: Context) -> dict[str, Any]:
    return {"ok": True, "args": {k: v for k, v in ctx.params.items() if isinstance(v, str)}}


@method("auth.test")
def auth_test(ctx: Context) -> dict[str, Any]:
    ws = ctx.ws
    return {
        "ok": True,
        "url": ws.url,
        "team": ws.name,
        "user": ws.bot_name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


@method("oauth.v2.access", needs_token=False)
def oauth_v2_access(ctx: Context) -> dict[str, Any]:
    """Exchange a one-time code for a bot token; client credentials by Basic
    auth (what slack_sdk sends) or as ``client_id``/``client_secret`` fields."""
    st = ctx.state
    client_id, client_secret = ctx.basic_auth or (ctx.arg("client_id"), ctx.arg("client_secret"))
    if client_id != st.client_id:
        raise SlackError("invalid_client_id")
    if client_secret != st.client_secret:
        raise SlackError("bad_client_secret")
    code = st.oauth_codes.get(ctx.arg("code"))
    if code is None or code.used:
        raise SlackError("invalid_code")
    if code.redirect_uri is not None and ctx.arg("redirect_uri") != code.redirect_uri:
        raise SlackError("bad_redirect_uri")
    code.used = True
    ws = st.workspaces[code.team_id]
    token = st.issue_token(ws, code.scopes)
    return {
        "ok": True,
        "app_id": ws.app_id,
        "authed_user": {"id": code.authed_user_id},
        "scope": ",".join(sorted(code.scopes)),
        "token_type": "bot",
        "access_token": token,
        "bot_user_id": ws.bot_user_id,
        "team": {"id": ws.team_id, "name": ws.name},
        "enterprise": None,
        "is_enterprise_install": False,
    }
