"""conversations.* methods: list, info, create, invite, archive, setTopic,
setPurpose, join, with the errors Slack documents for each."""

from __future__ import annotations

import base64
import re
from typing import Any

from ..errors import SlackError
from ..models import Channel
from ..request import as_bool, as_list
from .base import Context, method
from .chat import dm_with

MAX_NAME = 80
MAX_TOPIC = 250
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
_NAME_OK = re.compile(r"^[a-z0-9_-]+$")


def _info(ctx: Context, ch: Channel) -> dict[str, Any]:
    return {"ok": True, "channel": ch.to_api(ctx.bot)}


def _writable(ctx: Context) -> Channel:
    """A channel the bot manages: visible, a member, not archived."""
    ch = ctx.member_channel()
    if ch.is_archived:
        raise SlackError("is_archived")
    return ch


def _cursor(channel_id: str) -> str:
    return base64.b64encode(f"channel:{channel_id}".encode()).decode()


def _after_cursor(cursor: str) -> str:
    try:
        kind, _, channel_id = base64.b64decode(cursor, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise SlackError("invalid_cursor") from None
    if kind != "channel" or not channel_id:
        raise SlackError("invalid_cursor")
    return channel_id


@method("conversations.list", scope="channels:read")
def list_(ctx: Context) -> dict[str, Any]:
    types = set(as_list(ctx.params.get("types")) or ["public_channel"])
    limit_arg = ctx.arg("limit")
    try:
        limit = int(limit_arg) if limit_arg else DEFAULT_LIMIT
    except ValueError:
        raise SlackError("invalid_limit") from None
    if limit < 0 or limit > MAX_LIMIT:
        raise SlackError("invalid_limit")
    limit = limit or DEFAULT_LIMIT
    skip_archived = as_bool(ctx.params.get("exclude_archived", False))
    visible = [
        c
        for c in ctx.state.channels.values()
        if c.team_id == ctx.ws.team_id
        and not c.is_im
        and ("private_channel" if c.is_private else "public_channel") in types
        and (not c.is_private or ctx.bot in c.members)
        and not (skip_archived and c.is_archived)
    ]
    start = 0
    if ctx.arg("cursor"):
        # The cursor names the first channel of the next page; ids sort in
        # creation order, so a channel archived or left meanwhile cannot derail paging.
        after = _after_cursor(ctx.arg("cursor"))
        start = next((i for i, c in enumerate(visible) if c.id >= after), len(visible))
    page = visible[start : start + limit]
    rest = visible[start + limit :]
    return {
        "ok": True,
        "channels": [c.to_api(ctx.bot) for c in page],
        "response_metadata": {"next_cursor": _cursor(rest[0].id) if rest else ""},
    }


@method("conversations.info", scope="channels:read")
def info(ctx: Context) -> dict[str, Any]:
    ch = ctx.channel()
    return {
        "ok": True,
        "channel": ch.to_api(
            ctx.bot, num_members=as_bool(ctx.params.get("include_num_members", False))
        ),
    }


@method("conversations.create", scope="channels:manage")
def create(ctx: Context) -> dict[str, Any]:
    private = as_bool(ctx.params.get("is_private", False))
    if private:
        ctx.need_scope("groups:write")
    name = ctx.arg("name")
    if not name:
        raise SlackError("invalid_name_required")
    if len(name) > MAX_NAME:
        raise SlackError("invalid_name_maxlength")
    if not _NAME_OK.match(name):
        raise SlackError("invalid_name_specials")
    if not re.search(r"[a-z0-9]", name):
        raise SlackError("invalid_name_punctuation")
    st = ctx.state
    if any(c.team_id == ctx.ws.team_id and c.name == name for c in st.channels.values()):
        raise SlackError("name_taken")
    ch = Channel(
        st.new_id("C"),
        ctx.ws.team_id,
        name,
        int(st.clock.now()),
        ctx.bot,
        is_private=private,
        members=[ctx.bot],
    )
    st.channels[ch.id] = ch
    st.messages[ch.id] = []
    return _info(ctx, ch)


@method("conversations.invite", scope="channels:manage")
def invite(ctx: Context) -> dict[str, Any]:
    ch = _writable(ctx)
    users = as_list(ctx.params.get("users"))
    if not users:
        raise SlackError("no_user")
    failures = []
    for uid in users:
        user = ctx.user(uid)
        if uid == ctx.bot:
            failures.append((uid, "cant_invite_self"))
        elif user is None or user.deleted:
            failures.append((uid, "user_not_found"))
        elif uid in ch.members:
            failures.append((uid, "already_in_channel"))
    # Slack refuses the whole call on any bad user unless force=true.
    if failures and not (as_bool(ctx.params.get("force", False)) and len(failures) < len(users)):
        raise SlackError(
            failures[0][1],
            errors=[{"user": uid, "ok": False, "error": err} for uid, err in failures],
        )
    bad = {uid for uid, _ in failures}
    ch.members.extend(uid for uid in dict.fromkeys(users) if uid not in bad)
    answer = _info(ctx, ch)
    if failures:
        # With force=true Slack invites the valid ones and lists the rest.
        answer["errors"] = [{"user": uid, "ok": False, "error": err} for uid, err in failures]
    return answer


@method("conversations.archive", scope="channels:manage")
def archive(ctx: Context) -> dict[str, Any]:
    ch = ctx.member_channel()
    if ch.is_archived:
        raise SlackError("already_archived")
    if ch.is_general:
        raise SlackError("cant_archive_general")
    ch.is_archived = True
    return {"ok": True}


@method("conversations.setTopic", scope="channels:manage")
def set_topic(ctx: Context) -> dict[str, Any]:
    ch = _writable(ctx)
    topic = str(ctx.params.get("topic", ""))
    if len(topic) > MAX_TOPIC:
        raise SlackError("too_long")
    ch.topic = topic
    return _info(ctx, ch)


@method("conversations.setPurpose", scope="channels:manage")
def set_purpose(ctx: Context) -> dict[str, Any]:
    ch = _writable(ctx)
    purpose = str(ctx.params.get("purpose", ""))
    if len(purpose) > MAX_TOPIC:
        raise SlackError("too_long")
    ch.purpose = purpose
    return {"ok": True, "purpose": purpose}


@method("conversations.join", scope="channels:join")
def join(ctx: Context) -> dict[str, Any]:
    ch = ctx.channel()
    if ch.is_private or ch.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    if ch.is_archived:
        raise SlackError("is_archived")
    if ctx.bot in ch.members:
        return {
            **_info(ctx, ch),
            "warning": "already_in_channel",
            "response_metadata": {"warnings": ["already_in_channel"]},
        }
    ch.members.append(ctx.bot)
    return _info(ctx, ch)


@method("conversations.open", scope="im:write")
def open_(ctx: Context) -> dict[str, Any]:
    """The bot's DM with one user (a group DM of several is not modelled)."""
    users = as_list(ctx.params.get("users"))
    if not users:
        raise SlackError("users_list_not_supplied")
    if len(users) > 1:
        raise SlackError("invalid_arguments", detail="the fake opens one-to-one DMs only")
    user = ctx.user(users[0])
    if user is None or user.deleted:
        raise SlackError("user_not_found")
    ch = dm_with(ctx, user)
    return {"ok": True, "channel": {"id": ch.id}}
