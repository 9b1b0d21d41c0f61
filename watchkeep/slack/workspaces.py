"""Slack workspaces (installations of the app) and what admins do with them.

Storing a bot token (checked with `auth.test` first), installing through OAuth,
preferences, health, Test Connection and the channel list all live here, and
both the JSON API and the web UI call them, so the two can never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep import outbox
from watchkeep.core.errors import InvalidInputError, NotFoundError
from watchkeep.core.models import Urgency
from watchkeep.core.services import normalize_slack_channel
from watchkeep.crypto import SecretBox
from watchkeep.outbox import JobKind, keys, queries
from watchkeep.outbox.models import OutboxState
from watchkeep.slack import direct
from watchkeep.slack.errors import SlackError, SlackPermanentError
from watchkeep.slack.models import DEFAULT_EVENTS, SlackWorkspace
from watchkeep.slack.routing import URGENCY_FILTERS

CHANNEL_PAGE = 200


def list_workspaces(session: Session) -> Sequence[SlackWorkspace]:
    return session.scalars(select(SlackWorkspace).order_by(SlackWorkspace.id)).all()


def primary_workspace(session: Session) -> SlackWorkspace | None:
    """The first connected workspace: the one `/api/v1/integrations/slack` speaks of."""
    return session.scalar(select(SlackWorkspace).order_by(SlackWorkspace.id).limit(1))


def get_workspace(session: Session, workspace_id: int) -> SlackWorkspace:
    workspace = session.get(SlackWorkspace, workspace_id)
    if workspace is None:
        raise NotFoundError("slack workspace", workspace_id)
    return workspace


def workspace_for_team(session: Session, team_id: str) -> SlackWorkspace | None:
    return session.scalar(select(SlackWorkspace).where(SlackWorkspace.team_id == team_id))


def bot_token(box: SecretBox, workspace: SlackWorkspace) -> str:
    return box.decrypt(workspace.bot_token_encrypted)


def label(workspace: SlackWorkspace) -> str:
    return workspace.team_name or "Workspace (identifying…)"


@dataclass(frozen=True)
class CheckedToken:
    """A bot token, and whose it is when Slack could tell us (`auth.test`'s answer)."""

    token: str
    identity: dict[str, Any] | None = None


def store_token(
    session: Session,
    box: SecretBox,
    checked: CheckedToken,
    *,
    now: datetime,
    workspace: SlackWorkspace | None = None,
    team: Mapping[str, str | None] | None = None,
) -> SlackWorkspace:
    """Keep a bot token: a new workspace, or a new token for `workspace` (or for the
    workspace of `team`, an OAuth install's `{id, name, bot_user_id}`).

    Without an identity a job asks Slack (`auth.test`) which team it belongs to.
    """
    if not checked.token.startswith("xox"):
        raise InvalidInputError("bot_token", "must be a Slack bot token (xoxb-…)")
    team = team or {}
    if workspace is None and team.get("id"):
        workspace = workspace_for_team(session, str(team["id"]))
    if workspace is None:
        workspace = SlackWorkspace(created_at=now, events=dict(DEFAULT_EVENTS), urgency_channels={})
        session.add(workspace)
    workspace.bot_token_encrypted = box.encrypt(checked.token)
    workspace.team_id = team.get("id") or workspace.team_id
    workspace.team_name = team.get("name") or workspace.team_name
    workspace.bot_user_id = team.get("bot_user_id") or workspace.bot_user_id
    workspace.last_error = None
    workspace.updated_at = now
    session.flush()
    if checked.identity is not None:
        return record_identity(session, workspace, checked.identity)
    outbox.enqueue(session, JobKind.SLACK_IDENTIFY, {"workspace_id": workspace.id}, now=now)
    return workspace


def record_identity(
    session: Session, workspace: SlackWorkspace, answer: Mapping[str, Any]
) -> SlackWorkspace:
    """Keep what `auth.test` said of a workspace's token; answers the workspace row kept."""
    team_id = answer.get("team_id")
    other = workspace_for_team(session, team_id) if team_id else None
    if other is not None and other.id != workspace.id:
        # The same team connected twice (env token, then OAuth): keep one row, newest token.
        other.bot_token_encrypted = workspace.bot_token_encrypted
        session.delete(workspace)
        session.flush()
        workspace = other
    workspace.team_id = team_id
    workspace.team_name = answer.get("team")
    workspace.team_url = answer.get("url")
    workspace.bot_user_id = answer.get("user_id")
    workspace.bot_id = answer.get("bot_id")
    return workspace


def update_preferences(
    workspace: SlackWorkspace, changes: Mapping[str, Any], *, now: datetime
) -> SlackWorkspace:
    """Apply the named preference fields after checking each; nothing changes on a bad one."""
    checked: dict[str, Any] = {}
    if "default_channel" in changes:
        checked["default_channel"] = normalize_slack_channel(
            changes["default_channel"], "default_channel"
        )
    if "urgency_filter" in changes:
        if changes["urgency_filter"] not in URGENCY_FILTERS:
            raise InvalidInputError("urgency_filter", f"must be one of {sorted(URGENCY_FILTERS)}")
        checked["urgency_filter"] = changes["urgency_filter"]
    if "urgency_channels" in changes:
        checked["urgency_channels"] = _urgency_channels(changes["urgency_channels"] or {})
    if "events" in changes:
        unknown = set(changes["events"] or {}) - set(DEFAULT_EVENTS)
        if unknown:
            raise InvalidInputError("events", f"unknown toggles {sorted(unknown)}")
        checked["events"] = {**DEFAULT_EVENTS, **workspace.events, **changes["events"]}
    if "require_mapped_user" in changes:
        checked["require_mapped_user"] = bool(changes["require_mapped_user"])
    if changes.get("note_emoji") is not None:
        checked["note_emoji"] = _emoji(changes["note_emoji"])
    for flag in ("thread_updates", "resolution_broadcast"):
        if changes.get(flag) is not None:
            checked[flag] = bool(changes[flag])
    for name, value in checked.items():
        setattr(workspace, name, value)
    workspace.updated_at = now
    return workspace


EMOJI_NAME = re.compile(r"^[a-z0-9_+\-']{1,100}$")


def _emoji(value: str) -> str:
    """An emoji's Slack name, as typed (`:pushpin:`) or bare (`pushpin`)."""
    name = str(value).strip().strip(":").lower()
    if not EMOJI_NAME.match(name):
        raise InvalidInputError("note_emoji", "must be an emoji name such as pushpin or :memo:")
    return name


def _urgency_channels(channels: Mapping[str, str | None]) -> dict[str, str]:
    result = {}
    for urgency, channel in channels.items():
        if urgency not in Urgency.__members__:
            raise InvalidInputError("urgency_channels", f"unknown urgency {urgency!r}")
        normalized = normalize_slack_channel(channel, "urgency_channels")
        if normalized:
            result[urgency] = normalized
    return result


def mark_delivered(session: Session, workspace_id: int, now: datetime) -> None:
    """A message, reply or update reached Slack: the workspace's health shows when."""
    workspace = session.get(SlackWorkspace, workspace_id)
    if workspace is not None:
        workspace.last_delivery_at = now


@dataclass(frozen=True)
class Health:
    last_error: str | None
    last_error_at: datetime | None
    last_delivery_at: datetime | None
    rate_limited_until: datetime | None
    # This workspace's messages, replies and updates: waiting to go out, and given up on.
    waiting: int
    failed: int


def health(session: Session, workspace: SlackWorkspace, now: datetime) -> Health:
    counts = queries.counts_by_state(session, keys.slack_workspace(workspace.id))
    limited = workspace.rate_limited_until
    return Health(
        workspace.last_error,
        workspace.last_error_at,
        workspace.last_delivery_at,
        limited if limited and limited > now else None,
        counts[OutboxState.PENDING],
        counts[OutboxState.FAILED],
    )


class WorkspaceAdmin:
    """The admin operations that call Slack while the admin waits."""

    def __init__(self, calls: direct.DirectCalls) -> None:
        self.calls = calls

    def check_token(self, bot_token: str) -> CheckedToken:
        """Ask Slack whose token this is before keeping it.

        A token Slack refuses is refused here with Slack's reason; when Slack cannot
        be reached the token is kept unidentified and a job asks again later.
        """
        bot_token = bot_token.strip()
        if not bot_token.startswith("xox"):
            raise InvalidInputError("bot_token", "must be a Slack bot token (xoxb-…)")
        try:
            return CheckedToken(bot_token, self.calls.unpaced(bot_token, "auth.test"))
        except SlackPermanentError as exc:
            raise InvalidInputError("bot_token", f"Slack refused this token: {exc.error}") from exc
        except SlackError:
            return CheckedToken(bot_token)

    def test(self, workspace: SlackWorkspace, channel: str | None) -> dict[str, Any]:
        """auth.test, and a test message when a channel is named (raises SlackError)."""
        answer = self.calls.unpaced(self.calls.token(workspace), "auth.test")
        result = {
            "team": answer.get("team"),
            "team_id": answer.get("team_id"),
            "bot_user_id": answer.get("user_id"),
            "url": answer.get("url"),
        }
        if channel:
            posted = self.calls.paced(
                workspace,
                "chat.postMessage",
                channel,
                text="✅ Watchkeep is connected: incident notifications will appear here.",
            )
            result["message"] = {"channel": posted.get("channel"), "ts": posted.get("ts")}
        return result

    def channels(self, workspace: SlackWorkspace) -> list[dict[str, Any]]:
        """Every public channel, and the private ones the bot is in (all pages)."""
        channels, cursor = [], ""
        while True:
            answer = self.calls.paced(
                workspace,
                "conversations.list",
                None,
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
