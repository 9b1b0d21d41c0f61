"""Slack's side of a person's actions: build the signed request, deliver it to the
app, and show the person the app's answer (a modal's inline errors, a closed or
updated modal).

How the request travels is up to ``send``: tests hand the agent FastAPI's
TestClient, the sandbox posts over HTTP to the running Watchkeep
(``http_sender``).

    agent = SlackUserAgent(state, slack_url=server.base_url, send=http_sender(app_url))
    [message] = state.messages_in("#incidents")
    agent.click(message, "Acknowledge", alice)
    agent.react(message, "pushpin", alice)   # delivered as an Events API event_callback
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from .elements import ImpossibleInteraction
from .events import MAX_RETRIES, EventDelivery, EventRequests
from .interactions import Clickable, SlackRequests
from .models import Channel, Message, User, View
from .signing import Reply, SignedRequest
from .state import SlackState

Send = Callable[[SignedRequest], Reply]


def http_sender(app_url: str, client: httpx.Client | None = None) -> Send:
    """Deliver requests over HTTP to the app at ``app_url``, as Slack does."""
    http = client or httpx.Client(timeout=10)

    def send(request: SignedRequest) -> Reply:
        answer = http.post(
            app_url.rstrip("/") + request.path, content=request.body, headers=request.headers
        )
        return Reply(answer.status_code, answer.content, dict(answer.headers))

    return send


class SlackUserAgent:
    """Acts for people in the fake's workspaces; every method answers the app's Reply."""

    def __init__(
        self,
        state: SlackState,
        *,
        slack_url: str,
        send: Send,
        events_path: str = "/api/slack/events",
        **paths: str,
    ) -> None:
        self.state, self.send = state, send
        self.requests = SlackRequests(state, slack_url=slack_url, **paths)
        self.events = EventRequests(state, events_path=events_path)
        # Every event delivered, oldest first (with the app's answer to each attempt).
        self.deliveries: list[EventDelivery] = []

    def click(
        self, message: Clickable | View, target: str, user: User, *, option: str | None = None
    ) -> Reply:
        """Press a button (by action_id or text) or choose ``option`` in a menu, on a
        message or in a view (a modal, the Home tab)."""
        if isinstance(message, View):
            return self.send(self.requests.click_in_view(message, target, user, option=option))
        return self.send(self.requests.click(message, target, user, option=option))

    def submit(self, view: View, user: User, values: dict[str, Any] | None = None) -> Reply:
        """Fill in a modal and submit it; the view then shows the app's answer."""
        reply = self.send(self.requests.submit(view, user, values))
        if reply.status == 200:
            with self.state.lock:
                self._show(view, reply)
        return reply

    def shortcut(self, callback_id: str, user: User) -> Reply:
        return self.send(self.requests.shortcut(callback_id, user))

    def message_shortcut(self, message: Message, callback_id: str, user: User) -> Reply:
        return self.send(self.requests.message_shortcut(message, callback_id, user))

    def command(
        self, user: User, typed: str, *, channel: Channel | str, path: str | None = None
    ) -> Reply:
        """Type a slash command (``/watchkeep status``) in ``channel``."""
        return self.send(self.requests.command(user, typed, channel=channel, path=path))

    # ---- the Events API ---------------------------------------------------
    def pin(self, message: Message, user: User) -> EventDelivery:
        """``user`` pins ``message`` in its channel (``pin_added``)."""
        return self.deliver(self.events.pin(message, user))

    def react(self, message: Message, emoji: str, user: User) -> EventDelivery:
        """``user`` adds the reaction ``emoji`` (``pushpin`` or ``:pushpin:``) to ``message``."""
        return self.deliver(self.events.react(message, emoji, user))

    def join(
        self, channel: Channel | str, user: User, *, inviter: User | None = None
    ) -> EventDelivery:
        """``user`` joins ``channel`` (``member_joined_channel``)."""
        where = self.state.channel(channel, user.team_id)
        return self.deliver(self.events.join(where, user, inviter))

    def open_app_home(self, user: User) -> EventDelivery:
        """``user`` opens the app's Home tab (``app_home_opened``)."""
        return self.deliver(self.events.open_app_home(user))

    def verify_url(self) -> tuple[str, Reply]:
        """Slack's ``url_verification`` handshake: (the challenge sent, the app's answer)."""
        challenge, request = self.events.url_verification()
        return challenge, self.send(request)

    def deliver(self, envelope: dict[str, Any]) -> EventDelivery:
        """Send an event as Slack does: retried, up to three times, until the app
        answers with a 2xx."""
        delivery = EventDelivery(envelope)
        self.deliveries.append(delivery)
        delivery.replies.append(self.send(self.events.signed(envelope)))
        while not 200 <= delivery.reply.status < 300 and len(delivery.replies) <= MAX_RETRIES:
            self.retry(delivery, "http_error")
        return delivery

    def retry(self, delivery: EventDelivery, reason: str = "http_timeout") -> Reply:
        """Slack delivers ``delivery`` again (after a timeout the app did not see, say)."""
        request = self.events.signed(
            delivery.envelope, retry_num=len(delivery.replies), reason=reason
        )
        delivery.replies.append(self.send(request))
        return delivery.reply

    def _show(self, view: View, reply: Reply) -> None:
        """Slack's handling of a view_submission answer."""
        answer = json.loads(reply.body) if reply.body.strip() else {}
        kind = answer.get("response_action")
        view.errors = (answer.get("errors") or {}) if kind == "errors" else {}
        if kind is None:
            view.closed = True
        elif kind == "clear":
            for stacked in self.state.views.values():
                if stacked.root_view_id == view.root_view_id:
                    stacked.closed = True
        elif kind == "update":
            view.view = answer["view"]
        elif kind != "errors":
            raise ImpossibleInteraction(f"the fake cannot show response_action {kind!r}")
