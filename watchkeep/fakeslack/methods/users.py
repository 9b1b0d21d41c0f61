"""users.* methods: info and lookupByEmail."""

from __future__ import annotations

from typing import Any

from ..errors import SlackError
from .base import Context, method


@method("users.info", scope="users:read")
def info(ctx: Context) -> dict[str, Any]:
    user = ctx.user(ctx.arg("user"))
    if user is None:
        raise SlackError("user_not_found")
    return {"ok": True, "user": user.to_api(with_email=ctx.has_scope("users:read.email"))}


@method("users.lookupByEmail", scope="users:read.email")
def lookup_by_email(ctx: Context) -> dict[str, Any]:
    email = ctx.required("email").lower()
    # Deactivated users are not found by email (Slack points to users.list).
    user = next(
        (
            u
            for u in ctx.state.users.values()
            if u.team_id == ctx.ws.team_id and not u.deleted and (u.email or "").lower() == email
        ),
        None,
    )
    if user is None:
        raise SlackError("users_not_found")
    return {"ok": True, "user": user.to_api()}
