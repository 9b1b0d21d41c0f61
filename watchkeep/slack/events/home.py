"""The app's Home tab: what one person needs at a glance (`app_home_opened` →
`views.publish`).

Whether they are on call now and until when, the open incidents they
acknowledged, their teams' open incidents (each still triggered one with an
Acknowledge button, the same action as the incident message's), and a link to
the web UI. Someone whose Slack email matches no active Watchkeep user is told
so. Acknowledging from the Home tab publishes it again (`enqueue_refresh`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep import outbox
from watchkeep.core import access
from watchkeep.core.access import Scope
from watchkeep.core.models import Incident, IncidentStatus, Service, TeamMember, User
from watchkeep.oncall import roster
from watchkeep.outbox import JobKind, keys
from watchkeep.slack import render
from watchkeep.slack.events.people import watchkeep_user
from watchkeep.slack.models import SlackWorkspace
from watchkeep.worker.handlers import JobContext

if TYPE_CHECKING:
    from watchkeep.slack.delivery import SlackDelivery

# A Home tab holds 100 blocks: the lists stop well before that.
MAX_LISTED = 15
OPEN = (IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED, IncidentStatus.SNOOZED)


def on_home_opened(
    delivery: SlackDelivery, context: JobContext, workspace: SlackWorkspace, event: dict[str, Any]
) -> None:
    slack_user = event.get("user")
    if event.get("tab", "home") != "home" or not isinstance(slack_user, str):
        return
    user, _ = watchkeep_user(delivery, context, workspace, slack_user)
    with context.db.read() as session:
        view = home_view(session, user, delivery.base_url, context.clock.now())
    delivery.send(context, workspace, "views.publish", None, user_id=slack_user, view=view)


def enqueue_refresh(session: Session, team_id: str, slack_user_id: str, now: datetime) -> None:
    """Publish someone's Home tab again (after they acted on it)."""
    event = {"type": "app_home_opened", "user": slack_user_id, "tab": "home"}
    payload = {"team_id": team_id, "event_id": None, "event": event}
    key = keys.slack_event(team_id, f"home:{slack_user_id}")
    outbox.enqueue(session, JobKind.SLACK_EVENT, payload, now=now, ordering_key=key)


def home_view(session: Session, user: User | None, base_url: str, now: datetime) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [_header("Watchkeep")]
    if user is None:
        blocks.append(
            _section(
                "Your Slack account is not linked to a Watchkeep user: ask an admin to add "
                "one with your Slack email."
            )
        )
    else:
        blocks.append(_section(_on_call_line(session, user, now)))
        blocks += _incident_list(
            "Your open incidents", _acknowledged_by(session, user), base_url, "You have none."
        )
        blocks += _incident_list(
            "Your teams' open incidents",
            _teams_open(session, user),
            base_url,
            "Nothing open on your teams' services.",
        )
    blocks.append(
        {
            "type": "actions",
            "block_id": "home:links",
            "elements": [_link_button("Open Watchkeep", base_url.rstrip("/") + "/")],
        }
    )
    return {"type": "home", "callback_id": "watchkeep_home", "blocks": blocks}


def _on_call_line(session: Session, user: User, now: datetime) -> str:
    shifts = [
        oc for oc in roster.who_is_on_call(session, at=now) if oc.user and oc.user.id == user.id
    ]
    if not shifts:
        return "You are not on call right now."
    parts = []
    for oc in shifts:
        until = f" until {render.slack_date(oc.end)}" if oc.end else ""
        parts.append(f"*{render.escape(oc.schedule.name)}*{until}")
    return "📟 You are on call now: " + "; ".join(parts)


def _acknowledged_by(session: Session, user: User) -> list[Incident]:
    query = (
        select(Incident)
        .where(
            Incident.status.in_(OPEN[1:]),
            Incident.acknowledged_by_user_id == user.id,
            access.incident_condition(Scope.for_user(user.id, user.role)),
        )
        .order_by(Incident.id.desc())
        .limit(MAX_LISTED)
    )
    return list(session.scalars(query))


def _teams_open(session: Session, user: User) -> list[Incident]:
    teams = select(TeamMember.team_id).where(TeamMember.user_id == user.id)
    services = select(Service.id).where(Service.team_id.in_(teams))
    query = (
        select(Incident)
        .where(
            Incident.status.in_(OPEN),
            Incident.service_id.in_(services),
            # A team's service may since have moved to a private team.
            access.incident_condition(Scope.for_user(user.id, user.role)),
        )
        .order_by(Incident.id.desc())
        .limit(MAX_LISTED)
    )
    return list(session.scalars(query))


def _incident_list(
    title: str, found: list[Incident], base_url: str, empty: str
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "divider"}, _header(title)]
    if not found:
        return [*blocks, _section(empty)]
    for incident in found:
        url = f"{base_url.rstrip('/')}/incidents/{incident.id}"
        line = (
            f"{render.URGENCY_ICONS[incident.urgency]} <{url}|#{incident.number} "
            f"{render.escape(render.truncate(incident.title, 200))}>\n"
            f"{render.STATUS_LABELS[incident.status]} · {render.escape(incident.service.name)}"
            f" · {render.slack_date(incident.created_at, '{ago}')}"
        )
        block = _section(line)
        if incident.status is IncidentStatus.TRIGGERED:
            block["accessory"] = {
                "type": "button",
                "text": {"type": "plain_text", "text": "Acknowledge"},
                "action_id": render.ACKNOWLEDGE,
                "value": str(incident.id),
                "style": "primary",
            }
        blocks.append(block)
    return blocks


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": render.truncate(text, 150)}}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": render.truncate(text, 3000)}}


def _link_button(text: str, url: str) -> dict[str, Any]:
    # The View button's action: Slack still reports the click, and it is answered.
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "url": url,
        "action_id": render.VIEW,
    }
