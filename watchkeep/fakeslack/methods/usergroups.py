"""usergroups.*: create, list, update members, enable and disable, as Slack answers them.

User groups are a paid-plan feature (a ``free`` workspace answers
``paid_teams_only``); names and handles are unique in a workspace, handles
among channels and users too.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import SlackError
from ..models import UserGroup
from ..request import as_bool, as_list
from .base import Context, method

MAX_HANDLE = 80
_HANDLE_OK = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def _paid(ctx: Context) -> None:
    if ctx.ws.plan == "free":
        raise SlackError("paid_teams_only")


def _groups(ctx: Context) -> list[UserGroup]:
    return [g for g in ctx.state.usergroups.values() if g.team_id == ctx.ws.team_id]


def _group(ctx: Context) -> UserGroup:
    group = ctx.state.usergroups.get(ctx.required("usergroup"))
    if group is None or group.team_id != ctx.ws.team_id:
        raise SlackError("no_such_subteam")
    return group


@method("usergroups.create", scope="usergroups:write")
def create(ctx: Context) -> dict[str, Any]:
    _paid(ctx)
    name = ctx.required("name")
    handle = ctx.arg("handle") or name.lower().replace(" ", "-")
    if len(handle) > MAX_HANDLE or not _HANDLE_OK.match(handle):
        raise SlackError("invalid_handle")
    groups = _groups(ctx)
    if any(g.name == name for g in groups):
        raise SlackError("name_already_exists")
    taken = {g.handle for g in groups} | {
        u.name for u in ctx.state.users.values() if u.team_id == ctx.ws.team_id
    }
    if handle in taken:
        raise SlackError("handle_already_exists")
    group = UserGroup(
        ctx.state.new_id("S"),
        ctx.ws.team_id,
        name,
        handle,
        description=ctx.arg("description"),
        created_by=ctx.bot,
    )
    ctx.state.usergroups[group.id] = group
    return {"ok": True, "usergroup": group.to_api(with_users=True)}


@method("usergroups.list", scope="usergroups:read")
def list_(ctx: Context) -> dict[str, Any]:
    _paid(ctx)
    with_disabled = as_bool(ctx.params.get("include_disabled", False))
    with_users = as_bool(ctx.params.get("include_users", False))
    return {
        "ok": True,
        "usergroups": [
            g.to_api(with_users=with_users) for g in _groups(ctx) if with_disabled or not g.disabled
        ],
    }


@method("usergroups.users.update", scope="usergroups:write")
def users_update(ctx: Context) -> dict[str, Any]:
    _paid(ctx)
    group = _group(ctx)
    users = list(dict.fromkeys(as_list(ctx.params.get("users"))))
    if not users:
        raise SlackError("no_users_provided")
    if any(ctx.user(u) is None or ctx.state.users[u].deleted for u in users):
        raise SlackError("invalid_users")
    group.users = users
    group.history.append(list(users))
    return {"ok": True, "usergroup": group.to_api(with_users=True)}


@method("usergroups.enable", scope="usergroups:write")
def enable(ctx: Context) -> dict[str, Any]:
    _paid(ctx)
    group = _group(ctx)
    if not group.disabled:
        raise SlackError("already_enabled")
    group.disabled = False
    return {"ok": True, "usergroup": group.to_api()}


@method("usergroups.disable", scope="usergroups:write")
def disable(ctx: Context) -> dict[str, Any]:
    _paid(ctx)
    group = _group(ctx)
    if group.disabled:
        raise SlackError("already_disabled")
    group.disabled = True
    return {"ok": True, "usergroup": group.to_api()}
