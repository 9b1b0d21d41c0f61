"""Paging by Slack DM: the incident card sent to each person an escalation step pages.

`on_event` (an EventBus subscriber) turns each `incident.escalated` into one
`slack.dm` job per paged person whose notification rules allow DMs, and each
later change of an incident that has DMs into one `slack.dm_refresh`. All of an
incident's DM jobs share an ordering key, so a card exists before its update.

A `slack.dm` job finds the person's Slack user by email in each connected
workspace in turn, opens the DM (`conversations.open`), posts the card with the
crash-recovery marker every Watchkeep message carries (a job taken over from a
dead worker reads the DM back instead of posting twice), and keeps the card's
place so every change updates it: whoever acknowledges, the other paged people
see who took it. A person Slack does not know is written on the timeline
("could not reach X in Slack"). If their rules say so, a `slack.dm_repeat`
timer DMs them once more while the incident is still unacknowledged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from watchkeep import outbox
from watchkeep.core import events
from watchkeep.core.actors import Actor
from watchkeep.core.events import EventType
from watchkeep.core.models import Incident, IncidentStatus, TimelineEvent, User
from watchkeep.core.notification_rules import rules_of
from watchkeep.ingest.context import alert_context
from watchkeep.outbox import Job, JobKind, bus, keys, queries
from watchkeep.outbox.bus import DomainEvent
from watchkeep.slack import recovery, render, workspaces
from watchkeep.slack.delivery import SlackDelivery, response_channel
from watchkeep.slack.errors import SlackPermanentError
from watchkeep.slack.models import SlackDirectMessage, SlackWorkspace
from watchkeep.slack.users import slack_ids_for_emails
from watchkeep.worker.handlers import JobContext

log = logging.getLogger(__name__)

TARGET = "dm_target"  # where the card goes, remembered across retries of the job
DONE = "dm_done"  # the DMs a refresh has updated already


def on_event(session: Session, event: DomainEvent, now: datetime) -> None:
    key = keys.slack_dm(event.incident_id)
    if event.type == EventType.ESCALATED:
        pages = bus.memo(session, "slack.dm.pages", event, lambda evs: _pages(session, evs))
        paged = pages.paged.get(event.timeline_event_id, [])
        if not paged or not bus.memo(
            session, "slack.workspaces", event, lambda _: list(workspaces.list_workspaces(session))
        ):
            return
        for person in paged:
            user = pages.users.get(person["user_id"])
            if user is not None and rules_of(user).slack_dm:
                _enqueue_dm(session, event.incident_id, user.id, now, repeat=False)
    elif (
        event.type != EventType.TRIGGERED
        and _has_dms(session, event.incident_id)
        # A refresh not yet started will show this change too.
        and not queries.has_unstarted(session, JobKind.SLACK_DM_REFRESH, key)
    ):
        payload = {"incident_id": event.incident_id}
        outbox.enqueue(session, JobKind.SLACK_DM_REFRESH, payload, now=now, ordering_key=key)


@dataclass(frozen=True)
class _Pages:
    paged: dict[int, list[dict[str, Any]]]  # timeline entry id → who it paged
    users: dict[int, User]


def _pages(session: Session, events) -> _Pages:
    """Who the batch's escalations paged, and those users, in two queries for all."""
    ids = {e.timeline_event_id for e in events if e.type == EventType.ESCALATED}
    if not ids:
        return _Pages({}, {})
    rows = session.execute(
        select(TimelineEvent.id, TimelineEvent.data).where(TimelineEvent.id.in_(ids))
    )
    paged = {entry_id: (data or {}).get("paged", []) for entry_id, data in rows}
    user_ids = {person["user_id"] for people in paged.values() for person in people}
    users = session.scalars(select(User).where(User.id.in_(user_ids))) if user_ids else []
    return _Pages(paged, {user.id: user for user in users})


def fire_repeats(session: Session, jobs: list[Job], now: datetime) -> None:
    """The "DM again" timer: only while nobody has acknowledged (or resolved, snoozed)."""
    for job in jobs:
        incident = session.get(Incident, job.payload["incident_id"])
        if incident is not None and incident.status is IncidentStatus.TRIGGERED:
            _enqueue_dm(session, incident.id, job.payload["user_id"], now, repeat=True)


def _enqueue_dm(session: Session, incident_id: int, user_id: int, now: datetime, *, repeat: bool):
    payload = {"incident_id": incident_id, "user_id": user_id, "repeat": repeat}
    key = keys.slack_dm(incident_id)
    outbox.enqueue(session, JobKind.SLACK_DM, payload, now=now, ordering_key=key)


def _has_dms(session: Session, incident_id: int) -> bool:
    sent = exists().where(SlackDirectMessage.incident_id == incident_id)
    return bool(session.scalar(select(sent))) or queries.has_pending(
        session, JobKind.SLACK_DM, keys.slack_dm(incident_id)
    )


@dataclass(frozen=True)
class _Card:
    incident: Incident
    user: User
    message: dict[str, Any]
    repeat_after: timedelta | None


@dataclass
class DirectMessages:
    """The handlers of `slack.dm` and `slack.dm_refresh`, over the paced delivery."""

    delivery: SlackDelivery

    def post(self, context: JobContext) -> None:
        payload = context.job.payload
        card = self._card(context)
        if card is None:
            return
        target = payload.get(TARGET) or self._find(context, card.user)
        if target is None:
            with context.transaction() as session:
                _unreachable(session, card, context.clock.now())
            return
        payload[TARGET] = target  # later RetryLater payloads carry it
        with context.db.read() as session:
            workspace = session.get(SlackWorkspace, target["workspace_id"])
        if workspace is None:
            return
        channel = target.get("channel") or self._open(context, workspace, card, target)
        answer = None
        if recovery.in_doubt(context):
            answer = recovery.find_sent(self.delivery, context, workspace, channel)
        answer = answer or self.delivery.send(
            context,
            workspace,
            "chat.postMessage",
            channel,
            incident_id=card.incident.id,
            unfurl_links=False,
            metadata=recovery.marker(context),
            **card.message,
        )
        now = context.clock.now()
        with context.transaction() as session:
            session.add(
                SlackDirectMessage(
                    incident_id=card.incident.id,
                    workspace_id=workspace.id,
                    user_id=card.user.id,
                    slack_user_id=target["slack_user_id"],
                    channel_id=answer["channel"],
                    ts=answer["ts"],
                    created_at=now,
                )
            )
            if card.repeat_after is not None and not payload.get("repeat"):
                again = {"incident_id": card.incident.id, "user_id": card.user.id}
                due = now + card.repeat_after
                outbox.enqueue(session, JobKind.SLACK_DM_REPEAT, again, now=now, due_at=due)
            workspaces.mark_delivered(session, workspace.id, now)

    def refresh(self, context: JobContext) -> None:
        """Update every DM card of the incident to show it as it is now."""
        payload = context.job.payload
        with context.db.read() as session:
            incident = session.get(Incident, payload["incident_id"])
            if incident is None:
                return
            message = render.paged_message(
                incident,
                self.delivery.incident_url(incident.id),
                response_channel(session, incident.id),
                alert_context(session, incident),
            )
            sent = session.scalars(
                select(SlackDirectMessage)
                .where(SlackDirectMessage.incident_id == incident.id)
                .order_by(SlackDirectMessage.id)
            ).all()
            by_workspace = {w.id: w for w in workspaces.list_workspaces(session)}
        done = payload.setdefault(DONE, [])
        for dm in sent:
            workspace = by_workspace.get(dm.workspace_id)
            if workspace is None or dm.id in done:
                continue
            try:
                self.delivery.call(
                    context, workspace, "chat.update", dm.channel_id, ts=dm.ts, **message
                )
            except SlackPermanentError as exc:
                # The person deleted the DM, or left: the other cards still get updated.
                log.warning("DM card %s of incident %s not updated: %s", dm.id, incident.id, exc)
            done.append(dm.id)

    def _card(self, context: JobContext) -> _Card | None:
        """What to send, or None when the page no longer calls for a DM."""
        payload = context.job.payload
        with context.db.read() as session:
            incident = session.get(Incident, payload["incident_id"])
            user = session.get(User, payload["user_id"])
            if incident is None or user is None or not user.is_active:
                return None
            rules = rules_of(user)
            if incident.status is not IncidentStatus.TRIGGERED or not rules.slack_dm:
                return None  # taken (or snoozed) before the DM could go out
            message = render.paged_message(
                incident,
                self.delivery.incident_url(incident.id),
                response_channel(session, incident.id),
                alert_context(session, incident),
            )
        minutes = rules.repeat_after_minutes
        return _Card(incident, user, message, timedelta(minutes=minutes) if minutes else None)

    def _find(self, context: JobContext, user: User) -> dict[str, Any] | None:
        """The first connected workspace where Slack knows the person's email."""
        with context.db.read() as session:
            connected = list(workspaces.list_workspaces(session))
        for workspace in connected:
            found = slack_ids_for_emails(self.delivery, context, workspace, [user.email])
            if found.get(user.email.lower()):
                return {"workspace_id": workspace.id, "slack_user_id": found[user.email.lower()]}
        return None

    def _open(
        self,
        context: JobContext,
        workspace: SlackWorkspace,
        card: _Card,
        target: dict[str, Any],
    ) -> str:
        """The DM's channel id: posting reads it back after a crash, by id only."""
        opened = self.delivery.send(
            context,
            workspace,
            "conversations.open",
            None,
            incident_id=card.incident.id,
            users=target["slack_user_id"],
        )
        target["channel"] = opened["channel"]["id"]
        return target["channel"]


def _unreachable(session: Session, card: _Card, now: datetime) -> None:
    incident = session.get(Incident, card.incident.id)
    if incident is None:
        return
    # Not announced: a failure to notify must not cause more notifications.
    events.record(
        session,
        incident,
        "notification_failed",
        f"could not reach {card.user.name} in Slack",
        Actor.system(),
        now=now,
        data={"user_id": card.user.id, "email": card.user.email, "reason": "no_slack_user"},
        announce=False,
    )
