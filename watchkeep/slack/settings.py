"""Workspaces and their preferences: credentials (encrypted), channels, toggles, filters.

Routing: a service's own channel wins (in the primary workspace, where it was
chosen), then the workspace's channel for the incident's urgency, then its
default channel. The urgency filter decides
whether an incident is announced at all; event toggles decide which changes
get a thread reply (the message itself always shows the current state).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep.core.errors import InvalidInputError, NotFoundError
from watchkeep.core.events import EventType
from watchkeep.core.models import Service, Urgency
from watchkeep.core.services import normalize_slack_channel
from watchkeep.crypto import SecretBox
from watchkeep.slack.models import DEFAULT_EVENTS, SlackApp, SlackWorkspace

ROTATION_GRACE = timedelta(minutes=10)

URGENCY_FILTERS: dict[str, frozenset[Urgency]] = {
    "all": frozenset(Urgency),
    "high_medium": frozenset({Urgency.HIGH, Urgency.MEDIUM}),
    "high": frozenset({Urgency.HIGH}),
}

# Which toggle governs the thread reply for each domain event.
EVENT_TOGGLES: dict[str, str] = {
    EventType.TRIGGERED: "incident_triggered",
    EventType.ACKNOWLEDGED: "incident_acknowledged",
    EventType.RESOLVED: "incident_resolved",
    EventType.SNOOZED: "incident_snoozed",
    EventType.UNSNOOZED: "incident_snoozed",
    EventType.REOPENED: "incident_reopened",
    EventType.NOTE_ADDED: "note_added",
    "incident.escalated": "incident_escalated",
    "incident.sla_breached": "sla_breached",
}


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


def connect_workspace(
    session: Session,
    box: SecretBox,
    *,
    bot_token: str,
    now: datetime,
    workspace: SlackWorkspace | None = None,
    team_id: str | None = None,
    team_name: str | None = None,
    bot_user_id: str | None = None,
) -> SlackWorkspace:
    """Store a bot token: a new workspace, or a new token for `workspace`."""
    if not bot_token.startswith("xox"):
        raise InvalidInputError("bot_token", "must be a Slack bot token (xoxb-…)")
    if workspace is None and team_id:
        workspace = workspace_for_team(session, team_id)
    if workspace is None:
        workspace = SlackWorkspace(created_at=now, events=dict(DEFAULT_EVENTS), urgency_channels={})
        session.add(workspace)
    workspace.bot_token_encrypted = box.encrypt(bot_token)
    workspace.team_id = team_id or workspace.team_id
    workspace.team_name = team_name or workspace.team_name
    workspace.bot_user_id = bot_user_id or workspace.bot_user_id
    workspace.last_error = None
    workspace.updated_at = now
    session.flush()
    return workspace


def bot_token(box: SecretBox, workspace: SlackWorkspace) -> str:
    return box.decrypt(workspace.bot_token_encrypted)


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
    for name, value in checked.items():
        setattr(workspace, name, value)
    workspace.updated_at = now
    return workspace


def _urgency_channels(channels: Mapping[str, str | None]) -> dict[str, str]:
    result = {}
    for urgency, channel in channels.items():
        if urgency not in Urgency.__members__:
            raise InvalidInputError("urgency_channels", f"unknown urgency {urgency!r}")
        normalized = normalize_slack_channel(channel, "urgency_channels")
        if normalized:
            result[urgency] = normalized
    return result


def announces(workspace: SlackWorkspace, urgency: Urgency) -> bool:
    return urgency in URGENCY_FILTERS.get(workspace.urgency_filter, URGENCY_FILTERS["all"])


def replies_to(workspace: SlackWorkspace, event_type: str) -> bool:
    toggle = EVENT_TOGGLES.get(event_type)
    return bool(toggle and {**DEFAULT_EVENTS, **workspace.events}.get(toggle))


def route(
    workspace: SlackWorkspace, service: Service, urgency: Urgency, *, primary: bool
) -> str | None:
    """The channel for a new incident: service → urgency channel → default.

    A service has one channel, chosen in the primary workspace; a channel id means
    nothing in another workspace, so the others route by urgency and default.
    """
    return (
        (service.slack_channel if primary else None)
        or (workspace.urgency_channels or {}).get(urgency.value)
        or workspace.default_channel
    )


def app_credentials(session: Session, *, now: datetime) -> SlackApp:
    app = session.get(SlackApp, 1)
    if app is None:
        app = SlackApp(id=1, updated_at=now)
        session.add(app)
        session.flush()
    return app


def set_app_credentials(
    session: Session, box: SecretBox, changes: Mapping[str, str | None], *, now: datetime
) -> SlackApp:
    app = app_credentials(session, now=now)
    if "client_id" in changes:
        app.client_id = changes["client_id"] or None
    if "client_secret" in changes:
        value = changes["client_secret"]
        app.client_secret_encrypted = box.encrypt(value) if value else None
    if "signing_secret" in changes:
        value = changes["signing_secret"]
        current = (
            box.decrypt(app.signing_secret_encrypted) if app.signing_secret_encrypted else None
        )
        if value != current:
            app.previous_signing_secret_encrypted = app.signing_secret_encrypted
            app.signing_secret_rotated_at = now
            app.signing_secret_encrypted = box.encrypt(value) if value else None
    app.updated_at = now
    return app


def accepted_signing_secrets(session: Session, box: SecretBox, now: datetime) -> list[str]:
    """The current secret, and for a grace period after a rotation the previous one.

    No secret at all means nothing is accepted: unsigned Slack requests never act.
    """
    app = session.get(SlackApp, 1)
    if app is None or not app.signing_secret_encrypted:
        return []
    accepted = [box.decrypt(app.signing_secret_encrypted)]
    rotated = app.signing_secret_rotated_at
    if app.previous_signing_secret_encrypted and rotated and now - rotated < ROTATION_GRACE:
        accepted.append(box.decrypt(app.previous_signing_secret_encrypted))
    return accepted
