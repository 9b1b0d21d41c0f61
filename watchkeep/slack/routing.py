"""Where and whether an incident is announced in a workspace.

A service's own channel wins (in the primary workspace, where it was chosen),
then the workspace's channel for the incident's urgency, then its default
channel. The urgency filter decides whether an incident is announced at all;
event toggles decide which changes get a thread reply (the message itself
always shows the current state).
"""

from __future__ import annotations

from typing import Any

from watchkeep.core.events import EventType
from watchkeep.core.models import Service, Urgency
from watchkeep.slack.models import DEFAULT_EVENTS, SlackWorkspace

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


def destinations(workspace: SlackWorkspace, service_channel: str | None) -> list[str]:
    """Every channel a service's new incidents may be posted to in its primary workspace:
    its own channel, else each urgency channel (urgencies without one: the default)."""
    if service_channel:
        return [service_channel]
    by_urgency = workspace.urgency_channels or {}
    found = [by_urgency.get(u.value) or workspace.default_channel for u in Urgency]
    return list(dict.fromkeys(channel for channel in found if channel))


def public_among(wanted: list[str], channels: list[dict[str, Any]]) -> list[str]:
    """Which of `wanted` (ids or `#names`) are public channels in Slack's list, as `#name`:
    everyone in the workspace may read what is posted there."""
    public = []
    for ref in wanted:
        for channel in channels:
            if ref in (channel["id"], f"#{channel['name']}") and not channel["is_private"]:
                public.append(f"#{channel['name']}")
    return public
