"""The Events API side of the fake: the envelopes Slack POSTs to the app's Request URL.

Each person's act that Slack reports as an event (pinning a message, reacting,
joining a channel, opening the app's Home tab) is applied to the fake's state
and wrapped as Slack wraps it: an ``event_callback`` with the team, the app,
a fresh ``event_id`` and ``event_time`` and the ``authorizations`` of the bot,
JSON, signed like every request. A delivery the app did not answer with a 2xx
is retried, as Slack does, up to three times with ``X-Slack-Retry-Num`` and
``X-Slack-Retry-Reason``, the same envelope signed afresh.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from .elements import ImpossibleInteraction
from .methods.chat import open_dm
from .methods.pins import mark_pinned, mark_reacted
from .models import Channel, Message, User
from .signing import Reply, SignedRequest, sign
from .state import SlackState

JSON_TYPE = "application/json"
MAX_RETRIES = 3
VERIFICATION_TOKEN = "fake-verification-token"  # noqa: S105 - a fake's placeholder


@dataclass
class EventDelivery:
    """One event as Slack sent it: its envelope and the app's answer to each attempt."""

    envelope: dict[str, Any]
    replies: list[Reply] = field(default_factory=list)

    @property
    def event_id(self) -> str:
        return self.envelope["event_id"]

    @property
    def reply(self) -> Reply:
        return self.replies[-1]


class EventRequests:
    """Applies people's acts to the fake and builds the signed event deliveries."""

    def __init__(self, state: SlackState, *, events_path: str = "/api/slack/events") -> None:
        self.state, self.events_path = state, events_path

    # ---- the acts ------------------------------------------------------
    def pin(self, message: Message, user: User) -> dict[str, Any]:
        with self.state.lock:
            self._check_in(user, message.channel)
            mark_pinned(message, user.id)
            channel = message.channel
            item = {
                "type": "message",
                "channel": channel,
                "created": int(self.state.clock.now()),
                "created_by": user.id,
                "message": {**message.to_api(), "permalink": self.permalink(message)},
            }
            event = {
                "type": "pin_added",
                "user": user.id,
                "channel_id": channel,
                "item": item,
                "item_user": message.user or message.bot_id,
                "pin_count": len(self._pinned(channel)),
                "pinned_info": {"channel": channel, "pinned_by": user.id, "pinned_ts": self._ts()},
                "event_ts": self._ts(),
            }
            return self.envelope(user.team_id, event)

    def react(self, message: Message, name: str, user: User) -> dict[str, Any]:
        with self.state.lock:
            self._check_in(user, message.channel)
            stored = mark_reacted(message, name, user.id)
            event = {
                "type": "reaction_added",
                "user": user.id,
                "reaction": stored,
                "item_user": message.user,
                "item": {"type": "message", "channel": message.channel, "ts": message.ts},
                "event_ts": self._ts(),
            }
            return self.envelope(user.team_id, event)

    def join(self, channel: Channel, user: User, inviter: User | None = None) -> dict[str, Any]:
        with self.state.lock:
            self.state.add_members(channel.id, user)
            event = {
                "type": "member_joined_channel",
                "user": user.id,
                "channel": channel.id,
                "channel_type": "G" if channel.is_private else "C",
                "team": channel.team_id,
                "event_ts": self._ts(),
            }
            if inviter is not None:
                event["inviter"] = inviter.id
            return self.envelope(user.team_id, event)

    def open_app_home(self, user: User) -> dict[str, Any]:
        with self.state.lock:
            ws = self.state.workspaces[user.team_id]
            dm = open_dm(self.state, ws.team_id, ws.bot_user_id, user.id)
            event: dict[str, Any] = {
                "type": "app_home_opened",
                "user": user.id,
                "channel": dm.id,
                "tab": "home",
                "event_ts": self._ts(),
            }
            shown = self.state.home_view(user)
            if shown is not None:
                event["view"] = shown.to_api(ws.app_id, ws.bot_id)
            return self.envelope(user.team_id, event)

    # ---- envelopes -----------------------------------------------------
    def envelope(self, team_id: str, event: dict[str, Any]) -> dict[str, Any]:
        ws = self.state.workspaces[team_id]
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "context_team_id": team_id,
            "api_app_id": ws.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(self.state.clock.now()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": ws.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_hex(12)}",
        }

    def signed(
        self, envelope: dict[str, Any], *, retry_num: int = 0, reason: str | None = None
    ) -> SignedRequest:
        """The POST of ``envelope``; a retry says which and why in Slack's headers."""
        request = self._json(json.dumps(envelope))
        if retry_num:
            request.headers["X-Slack-Retry-Num"] = str(retry_num)
            request.headers["X-Slack-Retry-Reason"] = reason or "http_error"
        return request

    def url_verification(self) -> tuple[str, SignedRequest]:
        """The handshake Slack sends when the Request URL is set: (challenge, request)."""
        challenge = secrets.token_urlsafe(24)
        body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return challenge, self._json(json.dumps(body))

    def permalink(self, message: Message) -> str:
        ws = self.state.workspaces[message.team]
        link = f"{ws.url}archives/{message.channel}/p{message.ts.replace('.', '')}"
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={message.channel}"
        return link

    # ---- pieces ----------------------------------------------------------
    def _json(self, body: str) -> SignedRequest:
        signed = sign(
            self.events_path,
            body,
            secret=self.state.signing_secret,
            timestamp=self.state.clock.now(),
        )
        return SignedRequest(signed.path, body, {**signed.headers, "Content-Type": JSON_TYPE})

    def _check_in(self, user: User, channel_id: str) -> None:
        channel = self.state.channels[channel_id]
        hidden = channel.team_id != user.team_id or (
            (channel.is_private or channel.is_im) and user.id not in channel.members
        )
        if hidden:
            raise ImpossibleInteraction(f"{user.name} cannot see {channel.name}")

    def _pinned(self, channel_id: str) -> list[Message]:
        return [m for m in self.state.messages.get(channel_id, []) if channel_id in m.pinned_to]

    def _ts(self) -> str:
        return f"{self.state.clock.now():.6f}"
