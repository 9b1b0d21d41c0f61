"""Outbox handlers that talk to Slack: post, reply in thread, refresh, identify.

Each reads what it needs, waits its turn in Slack's limits, makes one call, and
stores the outcome in the transaction that completes its row. Transient
failures retry until they succeed (a 429 waits exactly Retry-After); permanent
ones stop, land on the incident's timeline and in the workspace's health.
A worker killed between Slack's answer and our commit re-sends that one
message when its lease expires; nothing is ever lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep.core import events
from watchkeep.core.actors import Actor
from watchkeep.core.models import Incident, TimelineEvent
from watchkeep.crypto import SecretBox
from watchkeep.ingest.context import alert_context
from watchkeep.outbox import JobKind, keys, queries
from watchkeep.runbooks.models import IncidentChannel, RunbookThread
from watchkeep.slack import recovery, render, senders, throttle, workspaces
from watchkeep.slack.client import SlackGateway
from watchkeep.slack.errors import SlackPermanentError, SlackRateLimitedError, SlackTransientError
from watchkeep.slack.models import SlackMessageRef, SlackWorkspace
from watchkeep.slack.pacing import JobPacing
from watchkeep.slack.resolution import resolution_of
from watchkeep.slack.senders import Sender
from watchkeep.slack.users import slack_ids_for_emails
from watchkeep.worker.handlers import Handler, JobContext, PermanentFailure, RetryLater


@dataclass
class SlackDelivery:
    gateway: SlackGateway
    box: SecretBox
    base_url: str
    pacing: JobPacing = field(default_factory=JobPacing, init=False)

    def incident_url(self, incident_id: int) -> str:
        return f"{self.base_url.rstrip('/')}/incidents/{incident_id}"

    def post(self, context: JobContext) -> None:
        payload = context.job.payload
        with context.db.read() as session:
            workspace = session.get(SlackWorkspace, payload["workspace_id"])
            incident = session.get(Incident, payload["incident_id"])
            if workspace is None or incident is None or _ref(session, incident.id, workspace.id):
                return
            message = render.incident_message(
                incident,
                self.incident_url(incident.id),
                response_channel(session, incident.id),
                alert_context(session, incident),
            )
        answer = None
        if recovery.in_doubt(context):
            answer = recovery.find_sent(self, context, workspace, payload["channel"])
        answer = answer or self.send(
            context,
            workspace,
            "chat.postMessage",
            payload["channel"],
            incident_id=incident.id,
            unfurl_links=False,
            metadata=recovery.marker(context),
            **message,
        )
        with context.transaction() as session:
            session.add(
                SlackMessageRef(
                    incident_id=incident.id,
                    workspace_id=workspace.id,
                    channel_id=answer["channel"],
                    ts=answer["ts"],
                    created_at=context.clock.now(),
                )
            )
            workspaces.mark_delivered(session, workspace.id, context.clock.now())

    def reply(self, context: JobContext) -> None:
        payload = context.job.payload
        with context.db.read() as session:
            workspace = session.get(SlackWorkspace, payload["workspace_id"])
            ref = _thread(session, payload)
            entry = session.get(TimelineEvent, payload["timeline_event_id"])
            if workspace is None or ref is None or entry is None:
                return
            summary = resolution_of(session, entry) if entry.type == "resolved" else None
        # The resolution may go to the channel too (Slack's "Also send to #channel").
        broadcast = summary is not None and workspace.resolution_broadcast
        extra = {"reply_broadcast": True} if broadcast and not payload.get("thread_id") else {}
        mentions = {}
        if entry.type == "escalated":
            emails = [p.get("email") for p in (entry.data or {}).get("paged", []) if p.get("email")]
            mentions = slack_ids_for_emails(self, context, workspace, emails)
        if recovery.in_doubt(context) and recovery.find_sent(
            self, context, workspace, ref.channel_id, thread_ts=ref.ts
        ):
            return
        self.send(
            context,
            workspace,
            "chat.postMessage",
            ref.channel_id,
            incident_id=payload["incident_id"],
            thread_ts=ref.ts,
            text=render.thread_reply(entry, mentions, summary),
            metadata=recovery.marker(context),
            **extra,
        )
        with context.transaction() as session:
            workspaces.mark_delivered(session, workspace.id, context.clock.now())

    def refresh(self, context: JobContext) -> None:
        """Update the message to show the incident as it is now.

        While more of the incident's events wait to be announced, skip: the
        last of them brings its own refresh, so a storm costs one update.
        """
        payload = context.job.payload
        with context.db.read() as session:
            workspace = session.get(SlackWorkspace, payload["workspace_id"])
            ref = _ref(session, payload["incident_id"], payload["workspace_id"])
            incident = session.get(Incident, payload["incident_id"])
            if workspace is None or ref is None or incident is None:
                return
            if queries.has_pending(session, JobKind.EVENT, keys.incident(incident.id)):
                return
            message = render.incident_message(
                incident,
                self.incident_url(incident.id),
                response_channel(session, incident.id),
                alert_context(session, incident),
            )
        self.send(
            context,
            workspace,
            "chat.update",
            ref.channel_id,
            incident_id=incident.id,
            ts=ref.ts,
            **message,
        )
        with context.transaction() as session:
            workspaces.mark_delivered(session, workspace.id, context.clock.now())

    def identify(self, context: JobContext) -> None:
        """Learn which team a stored token belongs to (auth.test)."""
        with context.db.read() as session:
            workspace = session.get(SlackWorkspace, context.job.payload["workspace_id"])
            if workspace is None:
                return
        answer = self.send(context, workspace, "auth.test", None)
        with context.transaction() as session:
            row = session.get(SlackWorkspace, workspace.id)
            if row is not None:
                workspaces.record_identity(session, row, answer)

    def send(
        self,
        context: JobContext,
        workspace: SlackWorkspace,
        method: str,
        channel: str | None,
        *,
        incident_id: int | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """`call`, and a permanent failure stops the job and is shown to people."""
        try:
            return self.call(context, workspace, method, channel, **params)
        except SlackPermanentError as exc:
            with context.db.write() as session:
                _record_failure(session, workspace.id, incident_id, channel, exc, context)
            raise PermanentFailure(str(exc)) from exc

    def call(
        self,
        context: JobContext,
        workspace: Sender,
        method: str,
        channel: str | None,
        **params: Any,
    ) -> dict[str, Any]:
        """One paced call to Slack; transient failures become RetryLater, permanent ones raise.

        The call waits its turn in its lane (`throttle.admit`): the job's row
        sleeps until then and keeps its place. Every Slack call an outbox job
        makes comes through here, so one model paces them all. `workspace` may
        be a team's connector: its own token, its own lanes, its own health.
        """
        now = context.clock.now()
        if workspace.rate_limited_until and workspace.rate_limited_until > now:
            raise RetryLater(
                f"{workspace.team_name or 'workspace'} is rate limited",
                after_seconds=(workspace.rate_limited_until - now).total_seconds(),
            )
        owner = senders.lane_owner(workspace)
        self.pacing.wait_turn(context, owner, method, channel, now)
        if channel is not None:
            params["channel"] = channel
        try:
            answer = self.gateway.call(senders.token(self.box, workspace), method, **params)
        except SlackRateLimitedError as exc:
            with context.db.write() as session:
                throttle.back_off(session, owner, method, channel, now, exc.retry_after)
                row = session.get(type(workspace), workspace.id)
                if row is not None:
                    row.rate_limited_until = now + timedelta(seconds=exc.retry_after)
            raise RetryLater(str(exc), after_seconds=exc.retry_after) from exc
        except SlackTransientError as exc:
            raise RetryLater(str(exc)) from exc
        self.pacing.learn_channel(context, owner, method, channel, answer.get("channel"))
        return answer

    def job(self, handler: Handler) -> Handler:
        """`handler`, leaving no place behind in a pacing lane when its job ends."""
        return self.pacing.job(handler)


def _thread(session: Session, payload: dict[str, Any]) -> SlackMessageRef | RunbookThread | None:
    """Where a reply goes: a runbook's update thread, or the incident message's own."""
    if payload.get("thread_id"):
        return session.get(RunbookThread, payload["thread_id"])
    return _ref(session, payload["incident_id"], payload["workspace_id"])


def response_channel(session: Session, incident_id: int) -> str | None:
    channel = session.get(IncidentChannel, incident_id)
    return channel.channel_id if channel is not None and channel.archived_at is None else None


def _ref(session: Session, incident_id: int, workspace_id: int) -> SlackMessageRef | None:
    return session.scalar(
        select(SlackMessageRef).where(
            SlackMessageRef.incident_id == incident_id,
            SlackMessageRef.workspace_id == workspace_id,
        )
    )


def _record_failure(
    session: Session,
    workspace_id: int,
    incident_id: int | None,
    channel: str | None,
    error: SlackPermanentError,
    context: JobContext,
) -> None:
    now = context.clock.now()
    where = f" in {channel}" if channel else ""
    message = f"Slack {error.method} failed{where}: {error.error}"
    workspace = session.get(SlackWorkspace, workspace_id)
    if workspace is not None:
        workspace.last_error, workspace.last_error_at = message, now
    incident = session.get(Incident, incident_id) if incident_id else None
    if incident is not None:
        # Not announced: a failure to notify must not cause more notifications.
        events.record(
            session,
            incident,
            "notification_failed",
            message,
            Actor.system(),
            now=now,
            data={"workspace_id": workspace_id, "error": error.error, "channel": channel},
            announce=False,
        )
