"""Interaction payloads shaped as Slack sends them, and signed as Slack signs them."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from httpx import Response
from slack_sdk.signature import SignatureVerifier

from watchkeep.fakeslack import FakeSlackServer, User, Workspace

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def signed_headers(body: str, secret: str = SIGNING_SECRET, at: float | None = None) -> dict:
    timestamp = str(int(at if at is not None else time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


class SlackSender:
    """Plays Slack: builds interaction payloads and POSTs them, signed, to Watchkeep."""

    def __init__(self, client: TestClient, server: FakeSlackServer, team: Workspace) -> None:
        self.client, self.server, self.team = client, server, team

    def post(self, payload: dict[str, Any], **signing: Any) -> Response:
        body = urlencode({"payload": json.dumps(payload)})
        return self.client.post(
            "/api/slack/actions", content=body, headers=signed_headers(body, **signing)
        )

    def _base(self, kind: str, user: User) -> dict[str, Any]:
        return {
            "type": kind,
            "token": "deprecated-verification-token",
            "api_app_id": "A0WATCHKEEP",
            "team": {"id": self.team.team_id, "domain": self.team.domain},
            "user": {
                "id": user.id,
                "username": user.name,
                "name": user.name,
                "team_id": self.team.team_id,
            },
            "trigger_id": self.server.state.issue_trigger_id(self.team, user),
        }

    def click(
        self,
        user: User,
        action_id: str,
        value: str,
        *,
        kind: str = "button",
        channel: str = "C0000000",
        message_ts: str = "1.000001",
        **signing: Any,
    ) -> Response:
        action: dict[str, Any] = {
            "type": kind,
            "action_id": action_id,
            "block_id": "incident",
            "action_ts": str(time.time()),
        }
        if kind == "button":
            action.update(value=value, text={"type": "plain_text", "text": "x"})
        else:
            action["selected_option"] = {
                "text": {"type": "plain_text", "text": "x"},
                "value": value,
            }
        payload = {
            **self._base("block_actions", user),
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "channel": {"id": channel, "name": "incidents"},
            "message": {"ts": message_ts, "text": "incident"},
            "response_url": self.server.response_url(self.team.team_id),
            "actions": [action],
        }
        return self.post(payload, **signing)

    def submit(self, user: User, view: dict[str, Any], values: dict[str, Any]) -> Response:
        state = {}
        for block_id, value in values.items():
            element = {"type": "plain_text_input", "value": value}
            if isinstance(value, dict):
                element = {"type": "static_select", "selected_option": value}
            state[block_id] = {"value": element}
        payload = {
            **self._base("view_submission", user),
            "view": {**view, "id": "V123", "state": {"values": state}},
        }
        return self.post(payload)

    def shortcut(self, user: User, callback_id: str) -> Response:
        return self.post(
            {
                **self._base("shortcut", user),
                "callback_id": callback_id,
                "action_ts": str(time.time()),
            }
        )

    def command(
        self,
        user: User,
        text: str,
        *,
        channel: str = "C0000000",
        path: str = "/api/slack/commands",
        trigger: bool = True,
    ) -> Response:
        form = {
            "token": "deprecated-verification-token",
            "team_id": self.team.team_id,
            "team_domain": self.team.domain,
            "channel_id": channel,
            "channel_name": "incidents",
            "user_id": user.id,
            "user_name": user.name,
            "command": "/watchkeep",
            "text": text,
            "api_app_id": "A0WATCHKEEP",
            "response_url": self.server.response_url(self.team.team_id),
            "trigger_id": self.server.state.issue_trigger_id(self.team, user) if trigger else "",
        }
        body = urlencode(form)
        return self.client.post(path, content=body, headers=signed_headers(body))
