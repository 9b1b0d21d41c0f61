"""apps.connections.open: a Socket Mode WebSocket URL for an app-level token."""

from __future__ import annotations

from typing import Any

from ..errors import SlackError
from .base import Context, method


@method("apps.connections.open", needs_token=False)
def connections_open(ctx: Context) -> dict[str, Any]:
    value = ctx.raw_token or ""
    if not value:
        raise SlackError("not_authed")
    if value.startswith("xoxb-"):
        raise SlackError("not_allowed_token_type")
    token = ctx.state.app_tokens.get(value)
    if token is None:
        raise SlackError("invalid_auth")
    if token.revoked:
        raise SlackError("token_revoked")
    if "connections:write" not in token.scopes:
        raise SlackError(
            "missing_scope", needed="connections:write", provided=",".join(sorted(token.scopes))
        )
    return {"ok": True, "url": ctx.state.sockets.issue_url(ctx.origin, value)}
