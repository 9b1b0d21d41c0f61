"""What the Slack settings pages show: masked credentials, each workspace with
its health, and the labels of its toggles and filters."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from watchkeep.crypto import SecretBox, mask
from watchkeep.outbox import keys, queries
from watchkeep.outbox.models import OutboxState
from watchkeep.slack import settings
from watchkeep.slack.models import DEFAULT_EVENTS, SlackApp, SlackWorkspace

EVENT_LABELS = {
    "incident_triggered": "Incident triggered (the first message)",
    "incident_acknowledged": "Acknowledged",
    "incident_resolved": "Resolved",
    "incident_escalated": "Escalated",
    "sla_breached": "SLA breached",
    "incident_snoozed": "Snoozed and unsnoozed",
    "incident_reopened": "Reopened",
    "note_added": "Note added",
}
URGENCY_FILTER_LABELS = {
    "all": "All incidents",
    "high_medium": "High and medium urgency",
    "high": "High urgency only",
}


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str | None  # masked
    signing_secret: str | None  # masked

    @property
    def can_install(self) -> bool:
        return bool(self.client_id and self.client_secret)


@dataclass(frozen=True)
class Health:
    last_error: str | None
    last_error_at: datetime | None
    last_delivery_at: datetime | None
    rate_limited_until: datetime | None
    waiting: int
    failed: int


def credentials(db: Session, box: SecretBox) -> Credentials:
    app = db.get(SlackApp, 1)
    if app is None:
        return Credentials("", None, None)

    def masked(value: str | None) -> str | None:
        return mask(box.decrypt(value)) if value else None

    return Credentials(
        app.client_id or "",
        masked(app.client_secret_encrypted),
        masked(app.signing_secret_encrypted),
    )


def health(db: Session, workspace: SlackWorkspace, now: datetime) -> Health:
    counts = queries.counts_by_state(db, keys.slack_workspace(workspace.id))
    limited = workspace.rate_limited_until
    return Health(
        workspace.last_error,
        workspace.last_error_at,
        workspace.last_delivery_at,
        limited if limited and limited > now else None,
        counts.get(OutboxState.PENDING, 0),
        counts.get(OutboxState.FAILED, 0),
    )


def workspace_label(workspace: SlackWorkspace) -> str:
    return workspace.team_name or "Workspace (identifying…)"


def preferences_context(
    workspace: SlackWorkspace,
    channels: list[dict[str, Any]] | None,
    channel_error: str | None,
) -> dict[str, Any]:
    """The preference form: current values, and options that always include them."""
    current = [workspace.default_channel, *(workspace.urgency_channels or {}).values()]
    options = [
        (c["id"], f"#{c['name']}" + (" (private)" if c["is_private"] else ""))
        for c in channels or []
    ]
    known = {value for value, _ in options} | {f"#{c['name']}" for c in channels or []}
    extra = [(value, value) for value in dict.fromkeys(current) if value and value not in known]
    by_name = {f"#{c['name']}": c["id"] for c in channels or []}
    return {
        "workspace": workspace,
        "label": workspace_label(workspace),
        "channel_options": extra + options,
        "channels_loaded": channels is not None,
        "channel_error": channel_error,
        "selected": defaultdict(
            str,
            {
                "default_channel": by_name.get(
                    workspace.default_channel or "", workspace.default_channel or ""
                ),
                **{u: by_name.get(c, c) for u, c in (workspace.urgency_channels or {}).items()},
            },
        ),
        "events": {**DEFAULT_EVENTS, **(workspace.events or {})},
        "event_labels": {
            name: EVENT_LABELS.get(name, name.replace("_", " ").capitalize())
            for name in {**DEFAULT_EVENTS, **(workspace.events or {})}
        },
        "urgency_filters": {
            name: URGENCY_FILTER_LABELS.get(name, name) for name in settings.URGENCY_FILTERS
        },
    }
