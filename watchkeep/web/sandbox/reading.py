"""What one Slack user sees in the fake Slack, read for the sandbox page.

The people one can act as, the channels of their workspace (public ones, private
ones they or the bot are in, archived ones greyed, their DMs with the app), a
channel's messages with the ephemeral ones meant for them only, a thread, and
the modal on their screen. Reads hold the fake's lock and copy what they need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from watchkeep.fakeslack import Channel, Ephemeral, Message, SlackState, User, View
from watchkeep.web.sandbox.blockkit import Where, blocks, colour
from watchkeep.web.sandbox.mrkdwn import Reader, mrkdwn

# The few emoji a sandbox shows as pictures; others as Slack's :name: code.
EMOJI = {"pushpin": "📌", "eyes": "👀", "white_check_mark": "✅", "+1": "👍", "fire": "🔥"}


@dataclass(frozen=True)
class ChannelItem:
    id: str
    label: str
    private: bool
    archived: bool
    direct: bool
    incident: bool


@dataclass(frozen=True)
class Attachment:
    colour: str | None
    body: Markup


@dataclass(frozen=True)
class Item:
    """One message as drawn: who, when, its body and attachments, its thread."""

    key: str  # the DOM id, also how tests find it
    ts: str
    author: str
    is_app: bool
    ephemeral: bool
    time: str
    body: Markup
    attachments: list[Attachment]
    reply_count: int
    edited: bool
    pinned: bool = False
    reactions: tuple[tuple[str, int], ...] = ()


def people(state: SlackState) -> list[User]:
    """Everyone one can act as: the humans of every workspace."""
    with state.lock:
        found = [u for u in state.users.values() if not u.is_bot and not u.deleted]
        return sorted(found, key=lambda u: (u.team_id, u.name))


def workspace_name(state: SlackState, user: User) -> str:
    with state.lock:
        return state.workspaces[user.team_id].name


def channels_for(state: SlackState, user: User) -> list[ChannelItem]:
    with state.lock:
        ws = state.workspaces[user.team_id]
        items = []
        for ch in state.channels.values():
            if ch.team_id != user.team_id:
                continue
            if ch.is_im:
                if user.id in ch.members:
                    items.append(ChannelItem(ch.id, ws.bot_name, False, False, True, False))
                continue
            if ch.is_private and user.id not in ch.members and ws.bot_user_id not in ch.members:
                continue
            items.append(
                ChannelItem(
                    ch.id,
                    ch.name,
                    ch.is_private,
                    ch.is_archived,
                    False,
                    ch.name.startswith(("inc-", "incident-")),
                )
            )
        return sorted(items, key=lambda c: (c.direct, c.archived, c.label))


def visible(state: SlackState, user: User, channel_id: str) -> Channel | None:
    """The channel if `user` could open it in Slack."""
    with state.lock:
        ch = state.channels.get(channel_id)
        if ch is None or ch.team_id != user.team_id:
            return None
        ws = state.workspaces[ch.team_id]
        if ch.is_im and user.id not in ch.members:
            return None
        if ch.is_private and user.id not in ch.members and ws.bot_user_id not in ch.members:
            return None
        return ch


def reader_for(state: SlackState, user: User) -> Reader:
    def user_name(uid: str) -> str | None:
        found = state.users.get(uid)
        return (found.display_name or found.name) if found else None

    def channel_name(cid: str) -> str | None:
        found = state.channels.get(cid)
        return found.name if found else None

    return Reader(state.clock.now(), user.tz, user_name, channel_name)


def timeline(state: SlackState, user: User, channel_id: str, csrf: str) -> list[Item]:
    """The channel's messages, oldest first, with the ephemeral ones for `user`."""
    with state.lock:
        reader = reader_for(state, user)
        shown: list[Item] = [
            _message(state, m, reader, csrf)
            for m in state.messages.get(channel_id, [])
            if not m.is_reply or m.subtype == "thread_broadcast"
        ]
        for e in state.ephemerals:
            if e.channel == channel_id and e.user == user.id:
                shown.append(_ephemeral(state, e, reader, csrf))
        for hook in state.response_urls.by_id.values():
            if hook.channel_id == channel_id and hook.user_id == user.id:
                shown.extend(_hook_posts(state, hook.posts, hook.issued_at, reader))
        return sorted(shown, key=lambda item: float(item.ts))


def thread(state: SlackState, user: User, channel_id: str, ts: str, csrf: str) -> list[Item]:
    with state.lock:
        reader = reader_for(state, user)
        return [
            _message(state, m, reader, csrf)
            for m in state.messages.get(channel_id, [])
            if m.ts == ts or m.thread_ts == ts
        ]


def home(state: SlackState, user: User, csrf: str) -> Markup | None:
    """The App Home tab the app published for `user`, its buttons pressable."""
    with state.lock:
        view = state.home_view(user)
        if view is None:
            return None
        where = Where({"kind": "view", "view": view.id}, csrf)
        return blocks(view.view.get("blocks") or [], reader_for(state, user), where)


def open_view(state: SlackState, user: User) -> View | None:
    """The modal on top of `user`'s screen, if any."""
    with state.lock:
        mine = [v for v in state.views.values() if not v.closed and v.user_id == user.id]
        mine = [v for v in mine if v.view.get("type", "modal") == "modal"]
        return mine[-1] if mine else None


def modal(state: SlackState, user: User, view: View) -> dict[str, Any]:
    """The modal's title, buttons and blocks, as the overlay draws them."""
    with state.lock:
        reader = reader_for(state, user)
        v = view.view

        def label(key: str, default: str) -> str:
            found = v.get(key)
            return str(found.get("text", default)) if isinstance(found, dict) else default

        return {
            "id": view.id,
            "title": label("title", "App"),
            "submit": label("submit", "") if v.get("submit") else "",
            "close": label("close", "Cancel"),
            "body": blocks(v.get("blocks") or [], reader, None),
            "errors": dict(view.errors),
        }


# ---- drawing one message -------------------------------------------------
def _author(state: SlackState, uid: str | None, bot_id: str | None) -> tuple[str, bool]:
    user = state.users.get(uid or "")
    if user is not None:
        return (user.display_name or user.real_name or user.name), user.is_bot
    return ("app" if bot_id else "someone"), bool(bot_id)


def _clock(ts: str, reader: Reader) -> str:
    when = datetime.fromtimestamp(float(ts), UTC).astimezone(reader.zone)
    return f"{when:%-I:%M %p}"


def _body(item: Message | Ephemeral, reader: Reader, where: Where | None) -> Markup:
    if item.blocks:
        return blocks(item.blocks, reader, where)
    return mrkdwn(item.text, reader) if item.text else Markup("")


def _attachments(items: list[Any] | None, reader: Reader, where: Where | None) -> list[Attachment]:
    drawn = []
    for a in items or []:
        if not isinstance(a, dict):
            continue
        body = blocks(a["blocks"], reader, where) if a.get("blocks") else _legacy(a, reader)
        drawn.append(Attachment(colour(a.get("color")), body))
    return drawn


def _legacy(a: dict[str, Any], reader: Reader) -> Markup:
    """An attachment without blocks: pretext, title, text, fields, footer."""
    parts = []
    for key, css in (("pretext", "bk-text"), ("title", "bk-header"), ("text", "bk-text")):
        if a.get(key):
            parts.append(
                Markup('<div class="{}">{}</div>').format(css, mrkdwn(str(a[key]), reader))
            )
    fields = [f for f in a.get("fields") or [] if isinstance(f, dict)]
    if fields:
        parts.append(
            Markup('<div class="bk-fields">{}</div>').format(
                Markup("").join(
                    Markup("<div><strong>{}</strong><br>{}</div>").format(
                        f.get("title", ""), mrkdwn(str(f.get("value", "")), reader)
                    )
                    for f in fields
                )
            )
        )
    if a.get("footer"):
        parts.append(
            Markup('<div class="bk-context">{}</div>').format(mrkdwn(str(a["footer"]), reader))
        )
    return Markup("").join(parts)


def _message(state: SlackState, m: Message, reader: Reader, csrf: str) -> Item:
    where = Where({"kind": "message", "channel": m.channel, "ts": m.ts}, csrf)
    author, is_app = _author(state, m.user, m.bot_id)
    return Item(
        key=f"m{m.ts.replace('.', '')}",
        ts=m.ts,
        author=author,
        is_app=is_app or bool(m.bot_id),
        ephemeral=False,
        time=_clock(m.ts, reader),
        body=_body(m, reader, where),
        attachments=_attachments(m.attachments, reader, where),
        reply_count=m.reply_count if not m.is_reply else 0,
        edited=m.edited is not None,
        pinned=bool(m.pinned_to),
        reactions=tuple(
            (EMOJI.get(name, f":{name}:"), len(users))
            for name, users in m.reactions.items()
            if users
        ),
    )


def _ephemeral(state: SlackState, e: Ephemeral, reader: Reader, csrf: str) -> Item:
    where = Where({"kind": "ephemeral", "channel": e.channel, "ts": e.message_ts}, csrf)
    ws = state.workspaces[state.channels[e.channel].team_id]
    return Item(
        key=f"e{e.message_ts.replace('.', '')}",
        ts=e.message_ts,
        author=ws.bot_name,
        is_app=True,
        ephemeral=True,
        time=_clock(e.message_ts, reader),
        body=_body(e, reader, where),
        attachments=_attachments(e.attachments, reader, where),
        reply_count=0,
        edited=False,
    )


def _hook_posts(
    state: SlackState, posts: list[dict[str, Any]], issued_at: float, reader: Reader
) -> list[Item]:
    """Answers the app posted to a response_url: ephemeral unless `in_channel`."""
    drawn = []
    for i, post in enumerate(posts):
        if post.get("delete_original") or post.get("replace_original"):
            continue
        ts = f"{issued_at + (i + 1) / 1000:.6f}"
        body = (
            blocks(post["blocks"], reader, None)
            if post.get("blocks")
            else mrkdwn(str(post.get("text", "")), reader)
        )
        drawn.append(
            Item(
                key=f"r{ts.replace('.', '')}",
                ts=ts,
                author="watchkeep",
                is_app=True,
                ephemeral=post.get("response_type") != "in_channel",
                time=_clock(ts, reader),
                body=body,
                attachments=_attachments(post.get("attachments"), reader, None),
                reply_count=0,
                edited=False,
            )
        )
    return drawn
