"""conversations.history and conversations.replies: reading a channel or a thread back.

As Slack does: newest first for history (top-level messages and thread
broadcasts), parent then replies oldest first for a thread; `oldest`/`latest`
bound by ts (exclusive unless `inclusive`); pages of `limit` (default 100 for
history, 1000 at most) with a `next_cursor`; metadata only with
`include_all_metadata`. The scope depends on the channel: channels:history,
groups:history or im:history.
"""

from __future__ import annotations

import base64
from typing import Any

from ..errors import SlackError
from ..models import Channel, Message
from ..request import as_bool
from .base import Context, method

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def _readable(ctx: Context) -> Channel:
    ch = ctx.channel()
    scope = "im:history" if ch.is_im else "groups:history" if ch.is_private else "channels:history"
    ctx.need_scope(scope)
    if ctx.bot not in ch.members:
        # A bot reads only the channels it is in, public ones included.
        raise SlackError("not_in_channel")
    return ch


def _limit(ctx: Context) -> int:
    raw = ctx.arg("limit")
    try:
        limit = int(raw) if raw else DEFAULT_LIMIT
    except ValueError:
        raise SlackError("invalid_limit") from None
    if limit < 0 or limit > MAX_LIMIT:
        raise SlackError("invalid_limit")
    return limit or DEFAULT_LIMIT


def _in_window(ctx: Context, messages: list[Message]) -> list[Message]:
    inclusive = as_bool(ctx.params.get("inclusive", False))
    oldest, latest = ctx.arg("oldest"), ctx.arg("latest")

    def after_oldest(m: Message) -> bool:
        return not oldest or (
            float(m.ts) >= float(oldest) if inclusive else float(m.ts) > float(oldest)
        )

    def before_latest(m: Message) -> bool:
        return not latest or (
            float(m.ts) <= float(latest) if inclusive else float(m.ts) < float(latest)
        )

    try:
        return [m for m in messages if after_oldest(m) and before_latest(m)]
    except ValueError:
        raise SlackError("invalid_ts_oldest" if oldest else "invalid_ts_latest") from None


def _page(ctx: Context, messages: list[Message]) -> dict[str, Any]:
    start = 0
    if ctx.arg("cursor"):
        try:
            start = int(base64.b64decode(ctx.arg("cursor"), validate=True).decode().split(":")[1])
        except (ValueError, IndexError, UnicodeDecodeError):
            raise SlackError("invalid_cursor") from None
    limit = _limit(ctx)
    page, rest = messages[start : start + limit], messages[start + limit :]
    metadata = as_bool(ctx.params.get("include_all_metadata", False))
    cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if rest else ""
    return {
        "ok": True,
        "messages": [m.to_api(with_metadata=metadata) for m in page],
        "has_more": bool(rest),
        "response_metadata": {"next_cursor": cursor},
    }


@method("conversations.history")
def history(ctx: Context) -> dict[str, Any]:
    ch = _readable(ctx)
    shown = [
        m
        for m in ctx.state.messages.get(ch.id, [])
        if not m.is_reply or m.subtype == "thread_broadcast"
    ]
    newest_first = sorted(_in_window(ctx, shown), key=lambda m: float(m.ts), reverse=True)
    return _page(ctx, newest_first)


@method("conversations.replies")
def replies(ctx: Context) -> dict[str, Any]:
    ch = _readable(ctx)
    parent = ctx.state.find_message(ch.id, ctx.required("ts"))
    if parent is None:
        raise SlackError("thread_not_found")
    root = parent.thread_ts or parent.ts
    thread = [m for m in ctx.state.messages.get(ch.id, []) if m.ts == root or m.thread_ts == root]
    in_window = [m for m in _in_window(ctx, thread) if m.ts != root]
    root_message = next(m for m in thread if m.ts == root)
    return _page(ctx, [root_message, *sorted(in_window, key=lambda m: float(m.ts))])
