"""pins.add and reactions.add: marking a message, as a person or the bot does.

As Slack answers: `channel` and `timestamp` name the message (`no_item_specified`
without them, `message_not_found` for a ts the channel lacks), a second pin is
`already_pinned`, a second identical reaction `already_reacted`, an emoji name
Slack does not know (colons are stripped; the name must be a plain word)
`invalid_name`. Scopes: pins:write, reactions:write. The same rules serve the
user agent when a person pins or reacts (`mark_pinned`, `mark_reacted`).
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import SlackError
from ..models import Message
from ..state import SlackState
from .base import Context, method

EMOJI_NAME = re.compile(r"^[a-z0-9_+\-']{1,100}$")
MAX_REACTIONS = 23  # distinct emoji on one message, per Slack's too_many_reactions


def mark_pinned(message: Message, user_id: str) -> None:
    if message.channel in message.pinned_to:
        raise SlackError("already_pinned")
    message.pinned_to.append(message.channel)


def mark_reacted(message: Message, name: str, user_id: str) -> str:
    """The emoji's name as stored (without colons)."""
    name = name.strip().strip(":")
    if not EMOJI_NAME.match(name):
        raise SlackError("invalid_name")
    users = message.reactions.get(name)
    if users is None and len(message.reactions) >= MAX_REACTIONS:
        raise SlackError("too_many_reactions")
    if users is not None and user_id in users:
        raise SlackError("already_reacted")
    message.reactions.setdefault(name, []).append(user_id)
    return name


def _message(ctx: Context) -> Message:
    if not ctx.arg("channel") or not ctx.arg("timestamp"):
        raise SlackError("no_item_specified")
    ch = ctx.channel()
    found = ctx.state.find_message(ch.id, ctx.arg("timestamp"))
    if found is None:
        raise SlackError("message_not_found")
    return found


@method("pins.add", scope="pins:write")
def pins_add(ctx: Context) -> dict[str, Any]:
    message = _message(ctx)
    if ctx.bot not in ctx.state.channels[message.channel].members:
        raise SlackError("not_in_channel")
    mark_pinned(message, ctx.bot)
    return {"ok": True}


@method("reactions.add", scope="reactions:write")
def reactions_add(ctx: Context) -> dict[str, Any]:
    message = _message(ctx)
    mark_reacted(message, ctx.required("name"), ctx.bot)
    return {"ok": True}


def pinned(state: SlackState, channel_id: str) -> list[Message]:
    """The messages pinned in a channel, oldest first (for tests and the sandbox)."""
    with state.lock:
        return [m for m in state.messages.get(channel_id, []) if channel_id in m.pinned_to]
