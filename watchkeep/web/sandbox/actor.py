"""The sandbox's one way into the fake Slack's user agent: what a person does on
the sandbox page becomes the exact signed request Slack would send.

Every click, menu choice, modal submission, shortcut and slash command goes
through `SlackUserAgent` (over HTTP to this Watchkeep's own Slack endpoints, or
over the fake's Socket Mode WebSocket when the app holds one), so the sandbox
exercises the real signature check and handlers. Slack's side of the answer is
kept where Slack keeps it: a command's private reply is an ephemeral message
for that person, an `in_channel` one a message from the app, an error is what
Slack's client says ("/watchkeep failed with the error …").

Events (a pin, a 📌 reaction, opening the App Home tab) go through the same
agent, which delivers them to `/api/slack/events` and retries as Slack does.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

from watchkeep.fakeslack import (
    Ephemeral,
    FakeSlackServer,
    ImpossibleInteraction,
    Message,
    SlackState,
    SlackUserAgent,
    User,
    View,
    http_sender,
    socket_sender,
)
from watchkeep.fakeslack.agent import Send
from watchkeep.fakeslack.signing import Reply


class Refused(Exception):
    """Slack's client would not let the person do this; the message says why."""


@dataclass
class Sandbox:
    """The fake Slack this Watchkeep talks to, and where Slack's requests go.

    `app_url` is Watchkeep's own address on loopback (not the public base URL,
    which may sit behind a proxy the process cannot reach).
    """

    server: FakeSlackServer
    app_url: str
    socket_mode: bool = False
    # How requests travel, when not over HTTP to `app_url` (tests hand in their client).
    send: Send | None = None
    # The demo's Events API v2 routing key, for "Trigger a sample alert".
    sample_alert_key: str | None = None
    _agent: SlackUserAgent | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def state(self) -> SlackState:
        return self.server.state

    def agent(self) -> SlackUserAgent:
        with self._lock:
            if self._agent is None or self._agent.state is not self.state:
                if self.send is not None:
                    send = self.send
                elif self.socket_mode:
                    send = socket_sender(self.state.sockets)
                else:
                    send = http_sender(self.app_url, httpx.Client(timeout=10, trust_env=False))
                self._agent = self.server.user_agent(send)
            return self._agent

    def can(self, what: str) -> bool:
        """Whether the fake's user agent can do `what` (e.g. "pin", "open_app_home")."""
        return callable(getattr(SlackUserAgent, what, None))

    # ---- what a person does --------------------------------------------
    def click(
        self, user: User, message: Message | Ephemeral, target: str, option: str | None
    ) -> str | None:
        """Press `target` on `message`; a notice for the page when Slack would show one."""
        reply = self._try(lambda: self.agent().click(message, target, user, option=option))
        return None if reply.status == 200 else _click_failed(reply)

    def submit(self, user: User, view: View, values: dict[str, Any]) -> str | None:
        reply = self._try(lambda: self.agent().submit(view, user, values))
        return None if reply.status == 200 else "We had some trouble connecting. Try again?"

    def close(self, user: User, view: View) -> None:
        """The person pressed Cancel: the modal stack is gone from their screen."""
        with self.state.lock:
            if view.user_id != user.id:
                raise Refused(f"{user.name} has no modal {view.id} open")
            for stacked in self.state.views.values():
                if stacked.root_view_id == view.root_view_id:
                    stacked.closed = True

    def shortcut(self, user: User, callback_id: str) -> str | None:
        reply = self._try(lambda: self.agent().shortcut(callback_id, user))
        return None if reply.status == 200 else _click_failed(reply)

    def click_in_view(self, user: User, view: View, target: str, option: str | None) -> str | None:
        """Press `target` in a view on the person's screen (their Home tab)."""
        reply = self._try(lambda: self.agent().click(view, target, user, option=option))
        return None if reply.status == 200 else _click_failed(reply)

    # ---- the Events API: what Slack tells the app happened ---------------
    def pin(self, user: User, message: Message) -> str | None:
        """Pin `message` in its channel: Slack sends `pin_added`."""
        delivery = self._try(lambda: self.agent().pin(message, user))
        return _event_failed(delivery.reply)

    def react(self, user: User, message: Message, emoji: str = "pushpin") -> str | None:
        """React to `message` (📌 by default): Slack sends `reaction_added`."""
        delivery = self._try(lambda: self.agent().react(message, emoji, user))
        return _event_failed(delivery.reply)

    def open_home(self, user: User) -> str | None:
        """Open the app's Home tab: Slack sends `app_home_opened`; the app publishes it."""
        delivery = self._try(lambda: self.agent().open_app_home(user))
        return _event_failed(delivery.reply)

    def message_shortcut(self, user: User, message: Message, callback_id: str) -> str | None:
        reply = self._try(lambda: self.agent().message_shortcut(message, callback_id, user))
        return None if reply.status == 200 else _click_failed(reply)

    def command(self, user: User, channel_id: str, typed: str) -> None:
        """Type a slash command in a channel; Slack shows the answer as it would."""
        reply = self._try(lambda: self.agent().command(user, typed, channel=channel_id))
        name = typed.split(" ", 1)[0]
        if reply.status != 200:
            self._ephemeral(user, channel_id, f'{name} failed with the error "{_error(reply)}"')
            return
        answer = _json(reply)
        if answer is None:
            return
        content = {k: answer.get(k) for k in ("blocks", "attachments")}
        text = str(answer.get("text") or "")
        if answer.get("response_type") == "in_channel":
            self._from_app(channel_id, text, content)
        else:
            self._ephemeral(user, channel_id, text, **content)

    def say(self, user: User, channel_id: str, text: str, thread_ts: str | None) -> None:
        """A plain message typed in the composer (the Events API would tell the app)."""
        self.state.post_as_user(channel_id, user, text, thread_ts=thread_ts)

    # ---- pieces -----------------------------------------------------------
    def _try(self, act: Any) -> Reply:
        try:
            return act()
        except ImpossibleInteraction as exc:
            raise Refused(str(exc)) from exc
        except httpx.HTTPError as exc:
            return Reply(504, f"operation_timeout: {exc}".encode())

    def _ephemeral(
        self,
        user: User,
        channel_id: str,
        text: str,
        blocks: list[Any] | None = None,
        attachments: list[Any] | None = None,
    ) -> None:
        with self.state.lock:
            ts = self.state.next_ts(channel_id)
            self.state.ephemerals.append(
                Ephemeral(channel_id, user.id, ts, text, blocks or None, attachments or None)
            )

    def _from_app(self, channel_id: str, text: str, content: dict[str, Any]) -> None:
        with self.state.lock:
            channel = self.state.channels[channel_id]
            ws = self.state.workspaces[channel.team_id]
            message = Message(
                channel_id,
                self.state.next_ts(channel_id),
                ws.team_id,
                text,
                user=ws.bot_user_id,
                bot_id=ws.bot_id,
                app_id=ws.app_id,
                blocks=content.get("blocks") or None,
                attachments=content.get("attachments") or None,
            )
            self.state.store_message(message)


def _json(reply: Reply) -> dict[str, Any] | None:
    if not reply.body.strip():
        return None
    try:
        answer = json.loads(reply.body)
    except ValueError:
        # A plain-text body is shown as the reply's text, as Slack does.
        return {"text": reply.text}
    return answer if isinstance(answer, dict) else None


def _error(reply: Reply) -> str:
    if reply.status in (408, 504):
        return "operation_timeout"
    return "http_client_error" if reply.status < 500 else "http_service_error"


def _event_failed(reply: Reply) -> str | None:
    if 200 <= reply.status < 300:
        return None
    return f"⚠️ The app did not take the event (HTTP {reply.status}; Slack retried it)."


def _click_failed(reply: Reply) -> str:
    return f"⚠️ The app did not accept that ({_error(reply)}, HTTP {reply.status})."
