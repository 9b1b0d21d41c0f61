"""The Slack integration as the rest of Watchkeep sees it: wiring, and the few
admin operations that call Slack while a person waits (test, channel list)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from watchkeep import outbox
from watchkeep.config import Settings
from watchkeep.crypto import SecretBox
from watchkeep.db.engine import Database
from watchkeep.outbox import JobKind
from watchkeep.outbox.bus import EventBus
from watchkeep.slack import notifier, settings
from watchkeep.slack.client import SlackGateway
from watchkeep.slack.delivery import SlackDelivery
from watchkeep.slack.interactive import respond
from watchkeep.slack.models import SlackWorkspace
from watchkeep.worker.handlers import Handlers

CHANNEL_PAGE = 200


@dataclass
class SlackIntegration:
    config: Settings
    box: SecretBox
    gateway: SlackGateway = field(init=False)
    delivery: SlackDelivery = field(init=False)

    # Bumped when settings change in this process, so caches of them refresh at once.
    generation: int = field(default=0, init=False)

    def settings_changed(self) -> None:
        self.generation += 1

    def __post_init__(self) -> None:
        self.gateway = SlackGateway(
            self.config.slack_api_url, timeout=self.config.slack_timeout_seconds
        )
        self.delivery = SlackDelivery(self.gateway, self.box, self.config.base_url)

    def register(self, handlers: Handlers, bus: EventBus) -> None:
        handlers.register(JobKind.SLACK_POST, self.delivery.post)
        handlers.register(JobKind.SLACK_REPLY, self.delivery.reply)
        handlers.register(JobKind.SLACK_REFRESH, self.delivery.refresh)
        handlers.register(JobKind.SLACK_IDENTIFY, self.delivery.identify)
        handlers.register(
            JobKind.SLACK_RESPOND,
            respond.make_sender(self.config.slack_api_url, self.config.slack_timeout_seconds),
        )
        bus.subscribe(notifier.fan_out)

    def connect(
        self,
        session: Session,
        bot_token: str,
        now: datetime,
        workspace: SlackWorkspace | None = None,
    ) -> SlackWorkspace:
        """Store a bot token; a job then asks Slack which team it belongs to."""
        workspace = settings.connect_workspace(
            session, self.box, bot_token=bot_token, now=now, workspace=workspace
        )
        self.settings_changed()
        outbox.enqueue(session, JobKind.SLACK_IDENTIFY, {"workspace_id": workspace.id}, now=now)
        return workspace

    def apply_environment(self, db: Database, now: datetime) -> None:
        """WATCHKEEP_SLACK_* settings, applied at every start (they win over the UI)."""
        c = self.config
        with db.write() as session:
            credentials = {
                name: value
                for name, value in (
                    ("client_id", c.slack_client_id),
                    ("client_secret", c.slack_client_secret),
                    ("signing_secret", c.slack_signing_secret),
                )
                if value
            }
            if credentials:
                settings.set_app_credentials(session, self.box, credentials, now=now)
            if c.slack_bot_token:
                primary = settings.primary_workspace(session)
                if primary is None or settings.bot_token(self.box, primary) != c.slack_bot_token:
                    self.connect(session, c.slack_bot_token, now, primary)

    def token(self, workspace: SlackWorkspace) -> str:
        return settings.bot_token(self.box, workspace)

    def test_connection(self, workspace: SlackWorkspace, channel: str | None) -> dict[str, Any]:
        """auth.test, and a test message when a channel is named (raises SlackError)."""
        answer = self.gateway.call(self.token(workspace), "auth.test")
        result = {
            "team": answer.get("team"),
            "team_id": answer.get("team_id"),
            "bot_user_id": answer.get("user_id"),
            "url": answer.get("url"),
        }
        if channel:
            posted = self.gateway.call(
                self.token(workspace),
                "chat.postMessage",
                channel=channel,
                text="✅ Watchkeep is connected: incident notifications will appear here.",
            )
            result["message"] = {"channel": posted.get("channel"), "ts": posted.get("ts")}
        return result

    def list_channels(self, workspace: SlackWorkspace) -> list[dict[str, Any]]:
        """Every public channel, and the private ones the bot is in (all pages)."""
        channels, cursor = [], ""
        while True:
            answer = self.gateway.call(
                self.token(workspace),
                "conversations.list",
                types="public_channel,private_channel",
                exclude_archived=True,
                limit=CHANNEL_PAGE,
                cursor=cursor,
            )
            channels.extend(
                {
                    "id": c["id"],
                    "name": c["name"],
                    "is_private": c.get("is_private", False),
                    "is_member": c.get("is_member", False),
                }
                for c in answer.get("channels", [])
            )
            cursor = (answer.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                return sorted(channels, key=lambda c: c["name"])
