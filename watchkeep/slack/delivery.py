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
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep.core import events
from watchkeep.core.actors import Actor
from watchkeep.core.models import Incident, TimelineEvent, Urgency
from watchkeep.crypto import SecretBox
from watchkeep.outbox import JobKind, keys, queries
from watchkeep.runbooks.models import IncidentChannel, RunbookThread
from watchkeep.slack import recovery, render, throttle, workspaces
from watchkeep.slack.client import SlackGateway
from watchkeep.slack.errors import SlackPermanentError, SlackRateLimitedError, SlackTransientError
from watchkeep.slack.limits import limited
from watchkeep.slack.models import SlackMessageRef, SlackWorkspace
from watchkeep.slack.users import slack_ids_for_emails
from watchkeep.worker.handlers import Handler, JobContext, PermanentFailure, RetryLater


@dataclass
class SlackDelivery:
    gateway: SlackGateway
    box: SecretBox
    base_url: str
    # Channel names whose id this process has already taught the lanes.
    _channel_ids: dict[tuple[int, str], str] = field(default_factory=dict, init=False)
    # Running jobs whose last paced call went (so they wait in no lane), by job id.
    _went: dict[int, bool] = field(default_factory=dict, init=False)

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
                incident, self.incident_url(incident.id), response_channel(session, incident.id)
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
            text=render.thread_reply(entry, mentions),
            metadata=recovery.marker(context),
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
                incident, self.incident_url(incident.id), response_channel(session, incident.id)
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
        workspace: SlackWorkspace,
        method: str,
        channel: str | None,
        **params: Any,
    ) -> dict[str, Any]:
        """One paced call to Slack; transient failures become RetryLater, permanent ones raise.

        The call waits its turn in its lane (`throttle.admit`): the job's row
        sleeps until then and keeps its place. Every Slack call an outbox job
        makes comes through here, so one model paces them all.
        """
        now = context.clock.now()
        if workspace.rate_limited_until and workspace.rate_limited_until > now:
            raise RetryLater(
                f"{workspace.team_name or 'workspace'} is rate limited",
                after_seconds=(workspace.rate_limited_until - now).total_seconds(),
            )
        self._wait_turn(context, workspace.id, method, channel, now)
        if channel is not None:
            params["channel"] = channel
        try:
            answer = self.gateway.call(workspaces.bot_token(self.box, workspace), method, **params)
        except SlackRateLimitedError as exc:
            with context.db.write() as session:
                throttle.back_off(session, workspace.id, method, channel, now, exc.retry_after)
                row = session.get(SlackWorkspace, workspace.id)
                if row is not None:
                    row.rate_limited_until = now + timedelta(seconds=exc.retry_after)
            raise RetryLater(str(exc), after_seconds=exc.retry_after) from exc
        except SlackTransientError as exc:
            raise RetryLater(str(exc)) from exc
        self._learn_channel(context, workspace.id, method, channel, answer.get("channel"))
        return answer

    def job(self, handler: Handler) -> Handler:
        """`handler`, leaving no place behind in a pacing lane when its job ends."""

        def run(context: JobContext) -> None:
            try:
                handler(context)
            except RetryLater:
                raise
            except BaseException:
                self._leave_lanes(context)
                raise
            finally:
                went = self._went.pop(context.job.id, False)
            if not went:
                self._leave_lanes(context)

        return run

    def _leave_lanes(self, context: JobContext) -> None:
        if context.job.payload.get(WAITING):
            with context.db.write() as session:
                throttle.forget(session, context.job.id, context.clock.now())

    def _wait_turn(
        self,
        context: JobContext,
        workspace_id: int,
        method: str,
        channel: str | None,
        now: datetime,
    ) -> None:
        """Go now if it is this job's turn; else wait in the lane until it comes."""
        if not limited(method):
            return
        payload = context.job.payload
        with context.db.write() as session:
            turn = throttle.admit(
                session,
                workspace_id,
                method,
                channel,
                job_id=context.job.id,
                urgency=_urgency(session, payload),
                now=now,
            )
        # Its call went: its place in the lane is gone with it, nothing to leave at the end.
        self._went[context.job.id] = turn.go
        if not turn.go:
            raise RetryLater(
                f"paced: {method} in {channel or 'the workspace'}, its turn at {turn.at:%H:%M:%S}",
                after_seconds=(turn.at - now).total_seconds(),
                payload={**payload, WAITING: True},
            )

    def _learn_channel(
        self,
        context: JobContext,
        workspace_id: int,
        method: str,
        channel: str | None,
        answered: str | None,
    ) -> None:
        """A call addressed to `#name` learns the channel's id, once per process."""
        if not channel or not answered or channel == answered:
            return
        if self._channel_ids.get((workspace_id, channel)) == answered:
            return
        with context.db.write() as session:
            throttle.learn_channel(
                session, workspace_id, method, channel, answered, context.clock.now()
            )
        self._channel_ids[(workspace_id, channel)] = answered


# In a job's payload once it has waited in a lane: when it ends, it leaves.
WAITING = "pacing_waiting"

URGENCY_RANK = {Urgency.HIGH: 0, Urgency.MEDIUM: 1, Urgency.LOW: 2}


def _urgency(session: Session, payload: dict[str, Any]) -> int:
    """A job's place among others: its incident's urgency; MEDIUM when it has none."""
    incident_id = payload.get("incident_id")
    incident = session.get(Incident, incident_id) if isinstance(incident_id, int) else None
    return URGENCY_RANK[incident.urgency] if incident is not None else URGENCY_RANK[Urgency.MEDIUM]


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
