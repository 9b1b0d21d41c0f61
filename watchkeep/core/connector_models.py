"""The connector model: a team's own Slack bot token, for that team's runbooks only.

It lives in core (beside teams) because runbooks check at save time that their
owner team may use a connector, and runbooks may not import the Slack adapter.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchkeep.core.models import Team
from watchkeep.db.base import Base

SLACK = "slack"


class Connector(Base):
    """A named Slack connection owned by a team: its own token (encrypted at rest, never
    shown again), its own pacing and health, and the channels it may post to."""

    __tablename__ = "connectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(20), default=SLACK)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    bot_token_encrypted: Mapped[str] = mapped_column(Text)
    signing_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(100))
    client_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    # Channel names (without '#') or ids it may post to; empty: only channels it creates.
    allowed_channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Channels it creates must start with this (e.g. `pay-inc-`); None: it creates none.
    channel_prefix: Mapped[str | None] = mapped_column(String(80))
    # What Slack said the token is (auth.test), learned on create and on Test Connection.
    slack_team_id: Mapped[str | None] = mapped_column(String(32))
    slack_team_name: Mapped[str | None] = mapped_column(String(200))
    slack_team_url: Mapped[str | None] = mapped_column(String(300))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_id: Mapped[str | None] = mapped_column(String(32))
    # Health, like a workspace's.
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    last_delivery_at: Mapped[datetime | None]
    rate_limited_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    team: Mapped[Team] = relationship(lazy="joined")

    @property
    def team_name(self) -> str:
        """What pacing messages call it (a workspace says its Slack team's name)."""
        return f"connector {self.name}"
