"""Block Kit answers to slash commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from watchkeep.core.models import Incident
from watchkeep.core.overview import StatusSummary
from watchkeep.oncall.roster import OnCall
from watchkeep.slack.render import STATUS_LABELS, URGENCY_ICONS, escape, slack_date, truncate

USAGE = [
    ("incidents", "open incidents, newest first"),
    ("oncall [schedule]", "who is on call now, and until when"),
    ("status", "counts by status and urgency, and the oldest unacknowledged incident"),
    ("create <title>", "open the create-incident form"),
    ("ack [#number]", "acknowledge (in an incident's channel, or by number)"),
    ("resolve [#number] [note]", "resolve, with an optional note"),
    ("snooze <duration> [#number]", "snooze: 30m, 2h, 1h30m, 1d"),
    ("run <runbook> [#number]", "run a manual runbook (in an incident's channel, or by number)"),
    ("help", "this list"),
]


def ephemeral(text: str, blocks: Sequence[Any] = ()) -> dict[str, Any]:
    answer: dict[str, Any] = {"response_type": "ephemeral", "text": truncate(text, 3000)}
    if blocks:
        answer["blocks"] = [b.to_dict() if hasattr(b, "to_dict") else b for b in blocks][:50]
    return answer


def help_reply(command: str, problem: str | None = None) -> dict[str, Any]:
    lines = "\n".join(f"`{command} {usage}` — {what}" for usage, what in USAGE)
    intro = f"{escape(problem)}\n\n" if problem else ""
    return ephemeral(
        f"{problem or 'Watchkeep commands'}",
        [SectionBlock(text=truncate(f"{intro}*Watchkeep commands*\n{lines}", 3000))],
    )


def incident_line(incident: Incident, url: str) -> str:
    return (
        f"{URGENCY_ICONS[incident.urgency]} <{url}|#{incident.number}> "
        f"{escape(truncate(incident.title, 150))} · {escape(incident.service.name)} · "
        f"{STATUS_LABELS[incident.status]} · {slack_date(incident.created_at)}"
    )


def incidents_reply(found: Sequence[Incident], total: int, url_for: Any) -> dict[str, Any]:
    if not found:
        return ephemeral("No open incidents. 🎉")
    lines = [incident_line(incident, url_for(incident.id)) for incident in found]
    blocks: list[Any] = [HeaderBlock(text=f"Open incidents ({total})")]
    blocks += [SectionBlock(text=line) for line in lines]
    if total > len(found):
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=f"…and {total - len(found)} more in Watchkeep.")]
            )
        )
    return ephemeral(f"{total} open incidents", blocks)


def status_reply(summary: StatusSummary, url_for: Any) -> dict[str, Any]:
    by_status = " · ".join(f"{STATUS_LABELS[s]}: *{n}*" for s, n in summary.by_status.items())
    by_urgency = " · ".join(
        f"{URGENCY_ICONS[u]} {u.value.title()}: *{n}*" for u, n in summary.open_by_urgency.items()
    )
    oldest = "No unacknowledged incidents."
    if summary.oldest_unacknowledged is not None:
        oldest = "Oldest unacknowledged: " + incident_line(
            summary.oldest_unacknowledged, url_for(summary.oldest_unacknowledged.id)
        )
    text = f"{by_status}\nOpen by urgency: {by_urgency or 'none'}\n{oldest}"
    return ephemeral(
        "Watchkeep status",
        [HeaderBlock(text="Watchkeep status"), SectionBlock(text=truncate(text, 3000))],
    )


def oncall_reply(rows: Sequence[OnCall], wanted: str) -> dict[str, Any]:
    if not rows:
        text = f"No schedule is named “{escape(wanted)}”." if wanted else "No schedules yet."
        return ephemeral(text)
    lines = []
    for row in rows[:40]:
        who = f"*{escape(row.user.name)}*" if row.user else "_nobody_"
        until = f" until {slack_date(row.end)}" if row.user and row.end else ""
        lines.append(f"📟 {escape(row.schedule.name)}: {who}{until}")
    return ephemeral(
        "Who is on call",
        [HeaderBlock(text="On call now"), SectionBlock(text=truncate("\n".join(lines), 3000))],
    )
