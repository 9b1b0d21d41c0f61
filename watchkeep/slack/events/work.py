"""The worker's side of the Events API: one queued event's work, and plain replies.

An event names its workspace by team id; one that is no longer connected by the
time its job runs is dropped. `say` posts a short text in a thread (what a
saved note answers), marked so that a worker which died mid-call finds its own
message instead of posting it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep.core import events
from watchkeep.core.models import Incident
from watchkeep.runbooks.models import IncidentChannel
from watchkeep.slack import recovery, workspaces
from watchkeep.slack.delivery import SlackDelivery
from watchkeep.slack.events import home, notes
from watchkeep.slack.events.people import slack_actor
from watchkeep.slack.models import SlackWorkspace
from watchkeep.worker.handlers import JobContext


@dataclass
class EventWork:
    delivery: SlackDelivery

    def run(self, context: JobContext) -> None:
        payload = context.job.payload
        with context.db.read() as session:
            workspace = workspaces.workspace_for_team(session, payload["team_id"])
            if workspace is not None:
                session.expunge(workspace)
        if workspace is None:
            return
        event = payload["event"]
        handler = {
            "pin_added": notes.on_pin_or_reaction,
            "reaction_added": notes.on_pin_or_reaction,
            "member_joined_channel": on_member_joined,
            "app_home_opened": home.on_home_opened,
        }.get(event.get("type"))
        if handler is not None:
            handler(self.delivery, context, workspace, event)

    def say(self, context: JobContext) -> None:
        payload = context.job.payload
        with context.db.read() as session:
            workspace = session.get(SlackWorkspace, payload["workspace_id"])
            if workspace is None:
                return
            session.expunge(workspace)
        channel, thread_ts = payload["channel"], payload.get("thread_ts")
        if recovery.in_doubt(context) and recovery.find_sent(
            self.delivery, context, workspace, channel, thread_ts=thread_ts
        ):
            return
        self.delivery.send(
            context,
            workspace,
            "chat.postMessage",
            channel,
            incident_id=payload.get("incident_id"),
            thread_ts=thread_ts,
            text=payload["text"],
            metadata=recovery.marker(context),
        )
        with context.transaction() as session:
            workspaces.mark_delivered(session, workspace.id, context.clock.now())


def on_member_joined(
    delivery: SlackDelivery, context: JobContext, workspace: SlackWorkspace, event: dict[str, Any]
) -> None:
    """Someone joined an incident's own channel: its timeline says who, and when."""
    user, channel = event.get("user"), event.get("channel")
    if not isinstance(user, str) or not isinstance(channel, str) or user == workspace.bot_user_id:
        return
    with context.db.read() as session:
        incident_channel = _incident_channel(session, workspace.id, channel)
    if incident_channel is None:
        return
    actor = slack_actor(delivery, context, workspace, user)
    now = context.clock.now()
    with context.transaction() as session:
        found = _incident_channel(session, workspace.id, channel)
        if found is None:
            return
        incident = session.get(Incident, found.incident_id)
        if incident is None:
            return
        events.record(
            session,
            incident,
            "member_joined",
            f"{actor.name} joined #{found.name}",
            actor,
            now=now,
            data={"channel_id": channel, "slack_user_id": user},
            announce=False,
        )


def _incident_channel(session: Session, workspace_id: int, channel: str) -> IncidentChannel | None:
    return session.scalar(
        select(IncidentChannel).where(
            IncidentChannel.workspace_id == workspace_id,
            IncidentChannel.channel_id == channel,
            IncidentChannel.archived_at.is_(None),
        )
    )
