"""What Slack sends the app when a person acts: ``block_actions`` for a click on a
message, ``view_submission`` for a modal, ``shortcut`` and ``message_action`` for
shortcuts, and a slash command's form, each built from what the fake holds (the
message as posted, the modal as opened) and signed with the app's secret at the
fake's clock.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from .elements import ImpossibleInteraction, action, find_element, submitted_values, with_slack_ids
from .models import Channel, Ephemeral, Message, User, View, Workspace
from .signing import SignedRequest, sign
from .state import SlackState

# The deprecated verification token Slack still puts in every payload; apps ignore it.
VERIFICATION_TOKEN = "fake-verification-token"  # noqa: S105 - a fake's placeholder

Clickable = Message | Ephemeral


class SlackRequests:
    """Builds the signed requests; ``slack_url`` is where the fake serves response_urls."""

    def __init__(
        self,
        state: SlackState,
        *,
        slack_url: str,
        interactivity_path: str = "/api/slack/actions",
        commands_path: str = "/api/slack/commands",
    ) -> None:
        self.state, self.slack_url = state, slack_url
        self.interactivity_path, self.commands_path = interactivity_path, commands_path

    # ---- the four interactions --------------------------------------------
    def click(
        self, message: Clickable, target: str, user: User, *, option: str | None = None
    ) -> SignedRequest:
        """``user`` presses the element ``target`` (action_id or label) on ``message``."""
        with self.state.lock:
            channel = self.state.channels[message.channel]
            self._check_sees(user, channel, message)
            ts = message.message_ts if isinstance(message, Ephemeral) else message.ts
            sources = _block_sources(message, f"{channel.id}/{ts}")
            located = find_element(sources, target)
            payload = {
                **self._about(user, "block_actions"),
                "container": _container(channel, ts, located.attachment_id, message),
                "trigger_id": self._trigger(user),
                "channel": _channel(channel),
                "state": {"values": {}},
                "response_url": self._response_url(channel, user),
                "actions": [action(located, option, self._now())],
            }
            if isinstance(message, Message):
                # Slack leaves the message out for an ephemeral one: it keeps no copy.
                payload["message"] = _message(message, sources)
            return self._interactive(payload)

    def click_in_view(
        self, view: View, target: str, user: User, *, option: str | None = None
    ) -> SignedRequest:
        """``user`` presses ``target`` in a view on their screen (a modal, their Home
        tab): Slack sends the view, and no channel, message or response_url."""
        with self.state.lock:
            if view.closed or view.user_id != user.id:
                raise ImpossibleInteraction(f"{user.name} has no view {view.id} open")
            ws = self.state.workspaces[view.team_id]
            blocks = with_slack_ids(view.view.get("blocks", []), view.id)
            located = find_element([(None, blocks)], target)
            shown = view.to_api(ws.app_id, ws.bot_id)
            payload = {
                **self._about(user, "block_actions"),
                "container": {"type": "view", "view_id": view.id},
                "trigger_id": self.state.issue_trigger_id(ws, user, view_id=view.id),
                "view": {**shown, "blocks": blocks},
                "actions": [action(located, option, self._now())],
            }
            return self._interactive(payload)

    def submit(self, view: View, user: User, values: dict[str, Any] | None = None) -> SignedRequest:
        """``user`` fills in ``values`` (by block_id or action_id) and presses Submit."""
        with self.state.lock:
            if view.closed or view.user_id != user.id:
                raise ImpossibleInteraction(f"{user.name} has no modal {view.id} open")
            if not view.view.get("submit"):
                raise ImpossibleInteraction(f"modal {view.id} has no submit button")
            ws = self.state.workspaces[view.team_id]
            filled = submitted_values(view.view.get("blocks", []), values or {})
            payload = {
                **self._about(user, "view_submission"),
                "trigger_id": self.state.issue_trigger_id(ws, user, view_id=view.id),
                "view": view.to_api(ws.app_id, ws.bot_id, filled),
                "response_urls": [],
            }
            return self._interactive(payload)

    def shortcut(self, callback_id: str, user: User) -> SignedRequest:
        """``user`` runs the global shortcut ``callback_id`` (from the ⚡ menu)."""
        with self.state.lock:
            payload = {
                **self._about(user, "shortcut"),
                "action_ts": self._now(),
                "callback_id": callback_id,
                "trigger_id": self._trigger(user),
            }
            return self._interactive(payload)

    def message_shortcut(self, message: Message, callback_id: str, user: User) -> SignedRequest:
        """``user`` runs the message shortcut ``callback_id`` on ``message``."""
        with self.state.lock:
            channel = self.state.channels[message.channel]
            self._check_sees(user, channel, message)
            sources = _block_sources(message, f"{channel.id}/{message.ts}")
            payload = {
                **self._about(user, "message_action"),
                "action_ts": self._now(),
                "callback_id": callback_id,
                "trigger_id": self._trigger(user),
                "channel": _channel(channel),
                "message_ts": message.ts,
                "message": _message(message, sources),
                "response_url": self._response_url(channel, user),
            }
            return self._interactive(payload)

    def command(
        self, user: User, typed: str, *, channel: Channel | str, path: str | None = None
    ) -> SignedRequest:
        """``user`` types ``typed`` (``/watchkeep ack #3``) in ``channel`` and sends it."""
        with self.state.lock:
            where = self.state.channel(channel, user.team_id)
            self._check_sees(user, where, None)
            command, _, text = typed.strip().partition(" ")
            ws = self._workspace(user)
            form = {
                "token": VERIFICATION_TOKEN,
                "team_id": ws.team_id,
                "team_domain": ws.domain,
                "channel_id": where.id,
                "channel_name": _channel(where)["name"],
                "user_id": user.id,
                "user_name": user.name,
                "command": command,
                "text": text.strip(),
                "api_app_id": ws.app_id,
                "is_enterprise_install": "false",
                "response_url": self._response_url(where, user),
                "trigger_id": self._trigger(user),
            }
            return self._signed(path or self.commands_path, urlencode(form))

    # ---- pieces ------------------------------------------------------------
    def _about(self, user: User, kind: str) -> dict[str, Any]:
        ws = self._workspace(user)
        return {
            "type": kind,
            "token": VERIFICATION_TOKEN,
            "team": {"id": ws.team_id, "domain": ws.domain},
            "user": {
                "id": user.id,
                "username": user.name,
                "name": user.name,
                "team_id": ws.team_id,
            },
            "api_app_id": ws.app_id,
            "is_enterprise_install": False,
            "enterprise": None,
        }

    def _workspace(self, user: User) -> Workspace:
        return self.state.workspaces[user.team_id]

    def _check_sees(self, user: User, channel: Channel, message: Clickable | None) -> None:
        hidden = channel.team_id != user.team_id or (
            (channel.is_private or channel.is_im) and user.id not in channel.members
        )
        if isinstance(message, Ephemeral) and message.user != user.id:
            hidden = True
        if hidden:
            raise ImpossibleInteraction(f"{user.name} cannot see that in {channel.name}")

    def _trigger(self, user: User) -> str:
        return self.state.issue_trigger_id(user.team_id, user)

    def _response_url(self, channel: Channel, user: User) -> str:
        return self.state.response_urls.url(
            self.slack_url,
            channel.team_id,
            self.state.clock.now(),
            channel_id=channel.id,
            user_id=user.id,
        )

    def _now(self) -> str:
        return f"{self.state.clock.now():.6f}"

    def _interactive(self, payload: dict[str, Any]) -> SignedRequest:
        return self._signed(self.interactivity_path, urlencode({"payload": json.dumps(payload)}))

    def _signed(self, path: str, body: str) -> SignedRequest:
        return sign(path, body, secret=self.state.signing_secret, timestamp=self.state.clock.now())


def _block_sources(message: Clickable, seed: str) -> list[tuple[int | None, list[Any]]]:
    """The message's blocks, top level first, then each attachment's, ids filled in."""
    sources: list[tuple[int | None, list[Any]]] = []
    if message.blocks:
        sources.append((None, with_slack_ids(message.blocks, seed)))
    for attachment in message.attachments or []:
        if attachment.get("blocks"):
            number = attachment.get("id")
            sources.append((number, with_slack_ids(attachment["blocks"], f"{seed}/{number}")))
    return sources


def _message(message: Message, sources: list[tuple[int | None, list[Any]]]) -> dict[str, Any]:
    data = message.to_api()
    filled = dict(sources)
    if None in filled:
        data["blocks"] = filled[None]
    if message.attachments:
        data["attachments"] = [
            {**a, "blocks": filled[a["id"]]} if a.get("id") in filled else a
            for a in message.attachments
        ]
    return data


def _container(
    channel: Channel, ts: str, attachment_id: int | None, message: Clickable
) -> dict[str, Any]:
    ephemeral = isinstance(message, Ephemeral)
    if attachment_id is None:
        return {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel.id,
            "is_ephemeral": ephemeral,
        }
    return {
        "type": "message_attachment",
        "message_ts": ts,
        "attachment_id": attachment_id,
        "channel_id": channel.id,
        "is_ephemeral": ephemeral,
        "is_app_unfurl": False,
    }


def _channel(channel: Channel) -> dict[str, str]:
    return {"id": channel.id, "name": "directmessage" if channel.is_im else channel.name}
