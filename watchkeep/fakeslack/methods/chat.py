"""chat.* methods: posting, updating, ephemeral messages, permalinks."""

from __future__ import annotations

import json
from typing import Any

from ..blocks import block_errors, invalid
from ..errors import SlackError
from ..models import Channel, Ephemeral, Message, User
from ..request import as_bool
from ..state import SlackState
from .base import Context, method

MAX_TEXT = 40_000
MAX_ATTACHMENTS = 100


def _content(ctx: Context) -> tuple[str | None, list[Any] | None, list[Any] | None]:
    """Validated (text, blocks, attachments); None where the argument is absent."""
    raw_text = ctx.params.get("text")
    text = None if raw_text is None else str(raw_text)
    blocks, attachments = ctx.params.get("blocks"), ctx.params.get("attachments")
    if blocks is not None:
        if not isinstance(blocks, list):
            raise SlackError("invalid_blocks_format")
        problems = block_errors(blocks)
        if problems:
            raise invalid("invalid_blocks", problems)
    if attachments is not None:
        if not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments):
            raise SlackError("invalid_attachments")
        if len(attachments) > MAX_ATTACHMENTS:
            raise SlackError("too_many_attachments")
        problems = []
        for i, att in enumerate(attachments):
            if "blocks" in att:
                problems += block_errors(att["blocks"], pointer=f"/attachments/{i}/blocks")
        if problems:
            raise invalid("invalid_blocks", problems)
        # Slack numbers attachments in what it stores and echoes back.
        attachments = [{"id": i + 1, **a} for i, a in enumerate(attachments)]
    if text and len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    return text, blocks, attachments


def _metadata(ctx: Context) -> dict[str, Any] | None:
    """`metadata` as Slack takes it: an object (JSON body) or its JSON text (form)."""
    raw = ctx.params.get("metadata")
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise SlackError("invalid_metadata_format") from None
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("event_type"), str)
        or not isinstance(raw.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_schema")
    return {"event_type": raw["event_type"], "event_payload": raw["event_payload"]}


def _has_content(text: str | None, blocks: list[Any] | None, attachments: list[Any] | None) -> bool:
    return bool(text and text.strip()) or bool(blocks) or bool(attachments)


def dm_with(ctx: Context, user: User) -> Channel:
    """The bot's DM with ``user``, opened on first use as Slack does."""
    return open_dm(ctx.state, ctx.ws.team_id, ctx.bot, user.id)


def open_dm(st: SlackState, team: str, bot: str, user_id: str) -> Channel:
    for ch in st.channels.values():
        if ch.is_im and ch.team_id == team and set(ch.members) == {bot, user_id}:
            return ch
    ch = Channel(
        st.new_id("D"),
        team,
        user_id,
        int(st.clock.now()),
        bot,
        is_private=True,
        is_im=True,
        members=[bot, user_id],
    )
    st.channels[ch.id] = ch
    st.messages[ch.id] = []
    return ch


def _target(ctx: Context) -> Channel:
    """Where a post goes: a channel, or a DM when ``channel`` is a user id."""
    ref = ctx.arg("channel")
    user = ctx.user(ref) if ref[:1] in ("U", "W") else None
    ch = ctx.channel() if user is None else dm_with(ctx, user)
    if ch.is_archived:
        raise SlackError("is_archived")
    public_ok = not ch.is_private and ctx.has_scope("chat:write.public")
    if ctx.bot not in ch.members and not public_ok:
        raise SlackError("not_in_channel")
    return ch


@method("chat.postMessage", scope="chat:write")
def post_message(ctx: Context) -> dict[str, Any]:
    ch = _target(ctx)
    ctx.state.rate_limits.check_post(ctx.ws.team_id, ch.id)
    text, blocks, attachments = _content(ctx)
    if not _has_content(text, blocks, attachments):
        raise SlackError("no_text")
    thread_ts = ctx.arg("thread_ts") or None
    if thread_ts is not None:
        parent = ctx.state.find_message(ch.id, thread_ts)
        # A reply to a reply joins the root's thread; an unknown parent makes
        # the message a plain channel message, as Slack does.
        thread_ts = None if parent is None else (parent.thread_ts or parent.ts)
    broadcast = thread_ts is not None and as_bool(ctx.params.get("reply_broadcast"))
    ws = ctx.ws
    msg = Message(
        ch.id,
        ctx.state.next_ts(ch.id),
        ws.team_id,
        text or "",
        user=ws.bot_user_id,
        bot_id=ws.bot_id,
        app_id=ws.app_id,
        blocks=blocks,
        attachments=attachments,
        thread_ts=thread_ts,
        subtype="thread_broadcast" if broadcast else None,
        metadata=_metadata(ctx),
    )
    ctx.state.store_message(msg)
    return {"ok": True, "channel": ch.id, "ts": msg.ts, "message": msg.to_api(with_metadata=True)}


@method("chat.update", scope="chat:write")
def update(ctx: Context) -> dict[str, Any]:
    ch = ctx.channel()
    msg = ctx.state.find_message(ch.id, ctx.arg("ts"))
    if msg is None:
        raise SlackError("message_not_found")
    if msg.bot_id != ctx.ws.bot_id:
        raise SlackError("cant_update_message")
    if ch.is_archived:
        raise SlackError("is_archived")
    text, blocks, attachments = _content(ctx)
    if text is None and blocks is None and attachments is None:
        raise SlackError("no_text")
    msg.history.append(
        {
            "text": msg.text,
            "blocks": msg.blocks,
            "attachments": msg.attachments,
            "edited": msg.edited,
        }
    )
    # Arguments left out keep their previous value; [] clears blocks/attachments.
    msg.text = msg.text if text is None else text
    msg.blocks = msg.blocks if blocks is None else (blocks or None)
    msg.attachments = msg.attachments if attachments is None else (attachments or None)
    now = ctx.state.clock.now()
    msg.edited = {"user": ctx.bot, "ts": f"{now:.6f}"}
    return {"ok": True, "channel": ch.id, "ts": msg.ts, "text": msg.text, "message": msg.to_api()}


@method("chat.postEphemeral", scope="chat:write")
def post_ephemeral(ctx: Context) -> dict[str, Any]:
    ch = _target(ctx)
    user = ctx.user(ctx.arg("user"))
    if user is None:
        raise SlackError("user_not_found")
    if user.id not in ch.members:
        raise SlackError("user_not_in_channel")
    text, blocks, attachments = _content(ctx)
    if not _has_content(text, blocks, attachments):
        raise SlackError("no_text")
    ts = ctx.state.next_ts(ch.id)
    ctx.state.ephemerals.append(Ephemeral(ch.id, user.id, ts, text or "", blocks, attachments))
    return {"ok": True, "message_ts": ts}


@method("chat.getPermalink")
def get_permalink(ctx: Context) -> dict[str, Any]:
    ch = ctx.channel()
    msg = ctx.state.find_message(ch.id, ctx.arg("message_ts"))
    if msg is None:
        raise SlackError("message_not_found")
    link = f"{ctx.ws.url}archives/{ch.id}/p{msg.ts.replace('.', '')}"
    if msg.is_reply:
        link += f"?thread_ts={msg.thread_ts}&cid={ch.id}"
    return {"ok": True, "channel": ch.id, "permalink": link}
