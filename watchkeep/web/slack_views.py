"""What the Slack settings pages show of a workspace's preferences: the labels of its
toggles and filters, and the channel choices."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from watchkeep.slack import workspaces
from watchkeep.slack.models import DEFAULT_EVENTS, SlackWorkspace
from watchkeep.slack.routing import URGENCY_FILTERS

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
        "label": workspaces.label(workspace),
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
            name: URGENCY_FILTER_LABELS.get(name, name) for name in URGENCY_FILTERS
        },
    }
