"""Who a Slack call goes out as: an organisation workspace, or a team's connector.

Both hold a bot token encrypted at rest and their own health. Each has its own
pacing lanes (a connector is a different token, so Slack gives it its own
budget): a workspace's lanes are keyed by its id, a connector's by
`connector-<id>`, so the two never share a queue.
"""

from __future__ import annotations

from typing import Any

from watchkeep.core.connector_models import Connector
from watchkeep.crypto import SecretBox
from watchkeep.slack.models import SlackWorkspace

Sender = SlackWorkspace | Connector


def lane_owner(sender: Sender) -> int | str:
    """The key of the sender's pacing lanes."""
    if isinstance(sender, Connector):
        return f"connector-{sender.id}"
    return sender.id


def token(box: SecretBox, sender: Sender) -> str:
    return box.decrypt(sender.bot_token_encrypted)


def made_by(sender: Sender) -> dict[str, Any]:
    """How a step's result names what made it (the incident channel keeps the same)."""
    if isinstance(sender, Connector):
        return {"workspace_id": None, "connector_id": sender.id}
    return {"workspace_id": sender.id, "connector_id": None}
