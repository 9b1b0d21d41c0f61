"""Incident messages and thread replies in Block Kit.

Everything that came from outside (titles, descriptions, notes, names) is
escaped so `<!channel>` or a fake `<url|link>` stays text, and cut to Block Kit's
limits so Slack never answers `invalid_blocks`. Times are `<!date^…>` tokens:
each reader sees them in their own time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from watchkeep.core.models import Incident, IncidentStatus, TimelineEvent, Urgency
from watchkeep.ingest.context import AlertContext
from watchkeep.slack.alert_blocks import alert_blocks
from watchkeep.slack.resolution import Resolution, counted, duration

COLORS = {Urgency.HIGH: "#E01E5A", Urgency.MEDIUM: "#ECB22E", Urgency.LOW: "#2E7DD7"}
URGENCY_ICONS = {Urgency.HIGH: "🔴", Urgency.MEDIUM: "🟡", Urgency.LOW: "🔵"}
STATUS_LABELS = {
    IncidentStatus.TRIGGERED: "🚨 Triggered",
    IncidentStatus.ACKNOWLEDGED: "👀 Acknowledged",
    IncidentStatus.SNOOZED: "💤 Snoozed",
    IncidentStatus.RESOLVED: "✅ Resolved",
}
SNOOZE_CHOICES = [
    ("15 min", "15"),
    ("30 min", "30"),
    ("1 hour", "60"),
    ("4 hours", "240"),
    ("Custom…", "custom"),
]

# Action ids are the contract with the interactivity handlers.
ACKNOWLEDGE = "incident_acknowledge"
ACKNOWLEDGED = "incident_acknowledged"
RESOLVE = "incident_resolve"
SNOOZE = "incident_snooze"
VIEW = "incident_view"

AGO = "{ago} · {date_short_pretty} {time}"

HEADER_MAX, SECTION_MAX, FIELD_MAX, FALLBACK_MAX = 150, 3000, 2000, 3000


def escape(text: str) -> str:
    """Make untrusted text inert in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_date(when: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    """A time each reader sees in their own zone (UTC in the fallback)."""
    return f"<!date^{int(when.timestamp())}^{fmt}|{when:%Y-%m-%d %H:%M} UTC>"


def incident_message(
    incident: Incident,
    incident_url: str,
    response_channel: str | None = None,
    alert: AlertContext | None = None,
) -> dict[str, Any]:
    """`text` and `attachments` for chat.postMessage and chat.update; `response_channel`
    is the id of the channel a runbook opened for the incident, `alert` what its alert
    carried (`watchkeep.ingest.context.alert_context`)."""
    blocks: list[Block] = [
        HeaderBlock(
            text=truncate(
                f"{URGENCY_ICONS[incident.urgency]} #{incident.number} {incident.title}", HEADER_MAX
            )
        ),
        SectionBlock(fields=_fields(incident)),
    ]
    if incident.description.strip():
        blocks.append(SectionBlock(text=_mrkdwn(escape(incident.description), SECTION_MAX)))
    if alert is not None:
        blocks.extend(alert_blocks(alert, incident.id))
    state = _state_line(incident)
    if state:
        blocks.append(SectionBlock(text=_mrkdwn(state, SECTION_MAX)))
    if response_channel:
        blocks.append(SectionBlock(text=_mrkdwn(f"Response in <#{response_channel}>", 200)))
    if incident.status is not IncidentStatus.RESOLVED:
        blocks.append(_controls(incident, incident_url))
    else:
        blocks.append(_view_only(incident, incident_url))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=truncate(
                        f"Incident #{incident.number} · {escape(incident.service.name)}", 2000
                    )
                )
            ]
        )
    )
    fallback = (
        f"[{incident.urgency.value}] #{incident.number} {escape(incident.title)} "
        f"({incident.status.value.lower()})"
    )
    return {
        "text": truncate(fallback, FALLBACK_MAX),
        "attachments": [
            {
                "color": COLORS[incident.urgency],
                "fallback": truncate(fallback, FALLBACK_MAX),
                "blocks": [block.to_dict() for block in blocks],
            }
        ],
    }


def paged_message(
    incident: Incident,
    incident_url: str,
    response_channel: str | None = None,
    alert: AlertContext | None = None,
) -> dict[str, Any]:
    """The incident card for a paged person's DM: the same card and buttons, with a
    notification text that says why it came."""
    message = incident_message(incident, incident_url, response_channel, alert)
    text = f"📟 You are paged: #{incident.number} {escape(incident.title)}"
    return {**message, "text": truncate(text, FALLBACK_MAX)}


def _mrkdwn(text: str, limit: int) -> MarkdownTextObject:
    return MarkdownTextObject(text=truncate(text, limit))


def _fields(incident: Incident) -> list[MarkdownTextObject]:
    return [
        _mrkdwn(f"*Service*\n{escape(incident.service.name)}", FIELD_MAX),
        _mrkdwn(f"*Urgency*\n{incident.urgency.value.title()}", FIELD_MAX),
        _mrkdwn(f"*Status*\n{STATUS_LABELS[incident.status]}", FIELD_MAX),
        # `{ago}` keeps saying how long ago without any update of the message.
        _mrkdwn(f"*Triggered*\n{slack_date(incident.created_at, AGO)}", FIELD_MAX),
    ]


def _state_line(incident: Incident) -> str | None:
    if incident.status is IncidentStatus.RESOLVED and incident.resolved_at:
        line = (
            f"✅ Resolved by *{escape(incident.resolved_by_name or '?')}* "
            f"{slack_date(incident.resolved_at)}"
        )
        if incident.resolution_note:
            line += "\n>" + escape(incident.resolution_note).replace("\n", "\n>")
        return line
    if incident.status is IncidentStatus.SNOOZED and incident.snoozed_until:
        return (
            f"💤 Snoozed by *{escape(incident.snoozed_by_name or '?')}* until "
            f"{slack_date(incident.snoozed_until)}"
        )
    if incident.status is IncidentStatus.ACKNOWLEDGED and incident.acknowledged_at:
        return (
            f"👀 Acknowledged by *{escape(incident.acknowledged_by_name or '?')}* "
            f"{slack_date(incident.acknowledged_at)}"
        )
    return None


def _controls(incident: Incident, incident_url: str) -> ActionsBlock:
    value = str(incident.id)
    if incident.status is IncidentStatus.ACKNOWLEDGED:
        acknowledge = ButtonElement(text="Acknowledged ✓", action_id=ACKNOWLEDGED, value=value)
    else:
        acknowledge = ButtonElement(
            text="Acknowledge", action_id=ACKNOWLEDGE, value=value, style="primary"
        )
    snooze = StaticSelectElement(
        placeholder="Snooze",
        action_id=SNOOZE,
        options=[
            Option(text=label, value=f"{incident.id}:{minutes}")
            for label, minutes in SNOOZE_CHOICES
        ],
    )
    return ActionsBlock(
        block_id=f"incident:{incident.id}",
        elements=[
            acknowledge,
            ButtonElement(text="Resolve", action_id=RESOLVE, value=value, style="danger"),
            snooze,
            ButtonElement(text="View in Watchkeep", action_id=VIEW, url=incident_url, value=value),
        ],
    )


def _view_only(incident: Incident, incident_url: str) -> ActionsBlock:
    return ActionsBlock(
        block_id=f"incident:{incident.id}",
        elements=[
            ButtonElement(
                text="View in Watchkeep", action_id=VIEW, url=incident_url, value=str(incident.id)
            )
        ],
    )


def thread_reply(
    entry: TimelineEvent,
    mentions: dict[str, str] | None = None,
    resolution: Resolution | None = None,
) -> str:
    """The thread reply for one timeline entry; `mentions` maps emails to Slack user ids,
    `resolution` sums up the incident in the resolution's reply."""
    who = f"*{escape(entry.actor_name)}*"
    data = entry.data or {}
    text = {
        "acknowledged": lambda: f"👀 Acknowledged by {who}",
        "resolved": lambda: (
            f"✅ Resolved by {who}"
            + (f"\n>{escape(data['note'])}" if data.get("note") else "")
            + (f"\n{_summary(resolution)}" if resolution else "")
        ),
        "snoozed": lambda: (
            f"💤 Snoozed by {who}"
            + (
                f" until {slack_date(datetime.fromisoformat(data['until']))}"
                if data.get("until")
                else ""
            )
        ),
        "unsnoozed": lambda: f"⏰ {escape(entry.message)}",
        "reopened": lambda: f"🔁 Reopened by {who}",
        "note_added": lambda: f"📝 {who}: {escape(_note_text(entry))}",
        "escalated": lambda: _escalated(entry, mentions or {}),
        "sla_breached": lambda: f"⏱️ SLA breached: {escape(entry.message)}",
    }.get(entry.type, lambda: escape(entry.message))()
    return truncate(text, SECTION_MAX)


def _summary(resolution: Resolution) -> str:
    if resolution.acknowledged_after is not None:
        acknowledged = (
            f"acknowledged after {duration(resolution.acknowledged_after)} by "
            f"*{escape(resolution.acknowledged_by or '?')}*"
        )
    else:
        acknowledged = "never acknowledged"
    parts = [
        f"Lasted {duration(resolution.lasted)}",
        acknowledged,
        counted(resolution.alerts, "alert", "alerts", "no alerts"),
        counted(
            resolution.steps_paged,
            "escalation step paged",
            "escalation steps paged",
            "no escalation step paged",
        ),
    ]
    return " · ".join(parts)


def _note_text(entry: TimelineEvent) -> str:
    prefix = f"Note by {entry.actor_name}: "
    return entry.message.removeprefix(prefix)


def _escalated(entry: TimelineEvent, mentions: dict[str, str]) -> str:
    people = []
    for person in (entry.data or {}).get("paged", []):
        slack_id = mentions.get((person.get("email") or "").lower())
        people.append(f"<@{slack_id}>" if slack_id else escape(person.get("name", "?")))
    step = (entry.data or {}).get("step")
    heading = f"📣 Escalated{f' (step {step})' if step else ''}"
    return (
        f"{heading}: paging {', '.join(people)}"
        if people
        else f"{heading}: {escape(entry.message)}"
    )
