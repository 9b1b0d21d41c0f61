"""Slack state kept in Watchkeep's database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column

from watchkeep.db.base import Base, BigId

NOTE_EMOJI = "pushpin"

DEFAULT_EVENTS = {
    "incident_triggered": True,
    "incident_acknowledged": True,
    "incident_resolved": True,
    "incident_escalated": True,
    "sla_breached": True,
    "incident_snoozed": True,
    "incident_reopened": True,
    "note_added": False,
}


class SlackApp(Base):
    """The Slack app's own credentials (one row): shared by every workspace."""

    __tablename__ = "slack_app"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str | None] = mapped_column(String(100))
    client_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    signing_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    # Kept for a grace period after a rotation: requests Slack signed before it still count.
    previous_signing_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    signing_secret_rotated_at: Mapped[datetime | None]
    # An app-level token (xapp-…): when set, Slack's requests arrive over Socket Mode.
    app_token_encrypted: Mapped[str | None] = mapped_column(Text)
    # Written by whichever process holds the Socket Mode connection, for every page to show.
    socket_mode_connected_at: Mapped[datetime | None]
    socket_mode_error: Mapped[str | None] = mapped_column(Text)
    # Keyed digests of the WATCHKEEP_SLACK_* values last applied at a start, by name:
    # a start applies a variable only when its value differs (see `credentials`).
    environment_digests: Mapped[dict[str, str] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class SlackWorkspace(Base):
    """One connected Slack workspace (an installation of the app) and its preferences."""

    __tablename__ = "slack_workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    team_name: Mapped[str | None] = mapped_column(String(200))
    team_url: Mapped[str | None] = mapped_column(String(300))
    bot_token_encrypted: Mapped[str] = mapped_column(Text)
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_id: Mapped[str | None] = mapped_column(String(32))

    default_channel: Mapped[str | None] = mapped_column(String(100))
    urgency_filter: Mapped[str] = mapped_column(String(20), default="all")
    urgency_channels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    events: Mapped[dict[str, bool]] = mapped_column(JSON, default=lambda: dict(DEFAULT_EVENTS))
    require_mapped_user: Mapped[bool] = mapped_column(default=False)
    # The reaction that saves a message as a note on its incident (its Slack name, no colons).
    note_emoji: Mapped[str] = mapped_column(
        String(100), default=NOTE_EMOJI, server_default=NOTE_EMOJI
    )
    # Status changes as thread replies (True), or only shown by updating the message.
    thread_updates: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    # The resolution's reply is also sent to the channel (Slack's reply_broadcast).
    resolution_broadcast: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    last_delivery_at: Mapped[datetime | None]
    rate_limited_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SlackMessageRef(Base):
    """Where an incident's message lives in a workspace: every later change
    updates that message and replies in its thread."""

    __tablename__ = "slack_message_refs"
    __table_args__ = (UniqueConstraint("incident_id", "workspace_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("slack_workspaces.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class SlackPacing(Base):
    """One lane's rate-limit state (a method in a workspace), shared by every worker.

    `next_at`: no call before it (Slack's Retry-After). `state`: the recent calls,
    each channel's bucket and the channel names learnt to be ids (`slack.schedule`).
    """

    __tablename__ = "slack_pacing"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    next_at: Mapped[datetime]
    state: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SlackPacingWaiter(Base):
    """A job whose Slack call waits its turn in a lane: its place in the queue
    (channel, urgency, since when) and when it was told to come back."""

    __tablename__ = "slack_pacing_waiters"
    __table_args__ = (UniqueConstraint("lane", "job_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lane: Mapped[str] = mapped_column(String(200))
    job_id: Mapped[int] = mapped_column(BigInteger, index=True)
    channel: Mapped[str] = mapped_column(String(200))
    urgency: Mapped[int]
    since: Mapped[datetime]
    wake_at: Mapped[datetime]


class SlackUserLink(Base):
    """A cached answer to "which Slack user has this email?" and "what is this
    Slack user's email?". Either side may be unknown (no such user, no email)."""

    __tablename__ = "slack_user_links"
    __table_args__ = (
        UniqueConstraint("workspace_id", "email"),
        UniqueConstraint("workspace_id", "slack_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("slack_workspaces.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(String(320))
    slack_user_id: Mapped[str | None] = mapped_column(String(32))
    slack_name: Mapped[str | None] = mapped_column(String(200))
    fetched_at: Mapped[datetime]


class SlackRequestReceipt(Base):
    """A signed request from Slack already applied, kept while its signature is young
    enough to be accepted: a second copy inside that window is a replay."""

    __tablename__ = "slack_request_receipts"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The HTTP request that applied it: a run of the same request again (after a lost
    # database connection) is not a replay.
    request_id: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SlackDirectMessage(Base):
    """An incident card sent to a paged person's DM: every later change updates it."""

    __tablename__ = "slack_direct_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("slack_workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    slack_user_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class SlackUserGroup(Base):
    """A schedule's on-call user group in one workspace, as Watchkeep last set it,
    or Slack's error when it could not."""

    __tablename__ = "slack_user_groups"
    __table_args__ = (UniqueConstraint("schedule_id", "workspace_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("slack_workspaces.id", ondelete="CASCADE"), index=True
    )
    handle: Mapped[str] = mapped_column(String(80))
    usergroup_id: Mapped[str | None] = mapped_column(String(32))
    members: Mapped[list[str]] = mapped_column(JSON, default=list)
    synced_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]


class SlackMessageNote(Base):
    """A Slack message saved as a note (pinned or reacted to): once per message."""

    __tablename__ = "slack_message_notes"
    __table_args__ = (UniqueConstraint("workspace_id", "channel_id", "message_ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("slack_workspaces.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    note_id: Mapped[int | None] = mapped_column(ForeignKey("notes.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class SlackStormDigest(Base):
    """One channel's storm: more new incidents waiting for it than Slack's pace shows in
    a minute. Its message (`ts`, once posted) says how many, and is updated as it grows."""

    __tablename__ = "slack_storm_digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("slack_workspaces.id", ondelete="CASCADE"), index=True
    )
    # The channel as incidents are routed to it (a name or an id), and its id once posted.
    channel: Mapped[str] = mapped_column(String(200))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime]
    grown_at: Mapped[datetime]
    incident_count: Mapped[int] = mapped_column(default=0)
    # The first few incidents (`{number, title, urgency}`) and every service seen.
    first_incidents: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    service_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
