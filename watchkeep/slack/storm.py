"""Storm digests: one message that shows a storm at once, while Slack's pace lets each
incident's own message through one by one.

When new incidents waiting for one channel are more than its pace lets through
in a minute (more than `PER_MINUTE` wait, so the last would go more than a
minute from now), the
channel gets a digest: "🚨 37 new incidents on Payment API in the last minute",
the most urgent few titles, a link to the filtered list. It jumps the channel's
queue (it waits in the lane ahead of every incident) and is updated
(`chat.update`, its own lane) as the storm grows; nothing else changes: every
incident still gets its own message, with its buttons, most urgent first. A
storm ends when a minute passes without a new incident in the channel; the
next one gets a new digest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep import outbox
from watchkeep.core.models import Service, Urgency
from watchkeep.outbox import JobKind, keys, queries, store
from watchkeep.outbox.models import OutboxRow
from watchkeep.slack import pacing, recovery, render, throttle, workspaces
from watchkeep.slack.limits import POST as POST_LIMITS
from watchkeep.slack.models import SlackPacing, SlackPacingWaiter, SlackStormDigest, SlackWorkspace
from watchkeep.worker.handlers import JobContext

# More waiting than a minute of the channel's own pace: a storm. (A queue that is
# long only because the workspace's minute binds is no storm of that channel: a
# digest in each channel would take more of the minute.)
STORM_AFTER = timedelta(minutes=1)
assert POST_LIMITS.channel is not None
PER_MINUTE = int(POST_LIMITS.channel.per_second * 60) + POST_LIMITS.channel.burst - 1
# A storm with no new incident for this long is over.
QUIET = timedelta(minutes=1)
SHOWN = 5
# Ahead of every incident in its channel's queue (HIGH is 0).
DIGEST_RANK = -1
POST = "chat.postMessage"


@dataclass(frozen=True)
class Announced:
    """A new incident's post, as its lane place is settled."""

    call: throttle.Call
    incident_id: int
    number: int
    title: str
    urgency: Urgency
    service_id: int


def note_posts(
    session: Session,
    workspace_id: int,
    announced: list[Announced],
    turns: dict[int, datetime],
    now: datetime,
) -> None:
    """Start or grow each channel's digest whose queue is now longer than a minute."""
    by_channel: dict[str, list[Announced]] = {}
    for post in announced:
        by_channel.setdefault(post.call.channel or "", []).append(post)
    for channel, posts in by_channel.items():
        digest = _open_digest(session, workspace_id, channel, now)
        late = any(turns.get(p.call.job_id, now) - now > STORM_AFTER for p in posts)
        if digest is None and not late:
            continue
        if digest is None:
            # Late turns are needed for a storm, but only the channel's own queue makes one.
            waiting = _waiting_posts(session, workspace_id, channel)
            if waiting <= PER_MINUTE:
                continue
            digest = SlackStormDigest(
                workspace_id=workspace_id,
                channel=channel,
                started_at=now,
                grown_at=now,
                incident_count=max(waiting, len(posts)),
                first_incidents=[],
                service_ids=[],
            )
            session.add(digest)
            session.flush()
            _grow(digest, posts, now, counted=True)
            _enqueue_post(session, workspace_id, digest, now)
        else:
            _grow(digest, posts, now, counted=False)
            key = _key(workspace_id, digest.id)
            if not queries.has_unstarted(session, JobKind.SLACK_DIGEST, key):
                payload = {"workspace_id": workspace_id, "digest_id": digest.id}
                outbox.enqueue(session, JobKind.SLACK_DIGEST, payload, now=now, ordering_key=key)


def _grow(
    digest: SlackStormDigest, posts: list[Announced], now: datetime, *, counted: bool
) -> None:
    if not counted:
        digest.incident_count += len(posts)
    digest.grown_at = now
    shown = [
        *digest.first_incidents,
        *({"number": p.number, "title": p.title, "urgency": p.urgency.value} for p in posts),
    ]
    shown.sort(key=lambda i: (pacing.URGENCY_RANK[Urgency(i["urgency"])], i["number"]))
    digest.first_incidents = shown[:SHOWN]
    digest.service_ids = sorted({*digest.service_ids, *(p.service_id for p in posts)})


def _enqueue_post(
    session: Session, workspace_id: int, digest: SlackStormDigest, now: datetime
) -> None:
    payload = {
        "workspace_id": workspace_id,
        "digest_id": digest.id,
        pacing.RANK: DIGEST_RANK,
        pacing.WAITING: True,
    }
    row_id = outbox.enqueue(
        session, JobKind.SLACK_DIGEST, payload, now=now, ordering_key=_key(workspace_id, digest.id)
    )
    call = throttle.Call(row_id, digest.channel, DIGEST_RANK)
    turns = throttle.place(session, workspace_id, POST, [call], now)
    store.postpone(session, {job: turn for job, turn in turns.items() if turn > now})


def _open_digest(
    session: Session, workspace_id: int, channel: str, now: datetime
) -> SlackStormDigest | None:
    return session.scalar(
        select(SlackStormDigest)
        .where(
            SlackStormDigest.workspace_id == workspace_id,
            SlackStormDigest.channel == channel,
            SlackStormDigest.grown_at >= now - QUIET,
        )
        .order_by(SlackStormDigest.id.desc())
        .limit(1)
    )


def _waiting_posts(session: Session, workspace_id: int, channel: str) -> int:
    """New-incident posts waiting in the channel's queue (by its name or its id)."""
    lane = throttle.lane_key(workspace_id, POST)
    state = session.scalar(select(SlackPacing.state).where(SlackPacing.key == lane)) or {}
    names = {channel, (state.get("aliases") or {}).get(channel, channel)}
    return (
        session.scalar(
            select(func.count())
            .select_from(SlackPacingWaiter)
            .join(OutboxRow, OutboxRow.id == SlackPacingWaiter.job_id)
            .where(
                SlackPacingWaiter.lane == lane,
                SlackPacingWaiter.channel.in_(names),
                OutboxRow.kind == JobKind.SLACK_POST,
            )
        )
        or 0
    )


def _key(workspace_id: int, digest_id: int) -> str:
    return f"{keys.slack_workspace(workspace_id)}digest:{digest_id}"


def digest_message(session: Session, digest: SlackStormDigest, base_url: str) -> dict[str, Any]:
    services = [session.get(Service, sid) for sid in digest.service_ids]
    names = [s.name for s in services if s is not None]
    where = f"on {names[0]}" if len(names) == 1 else f"on {len(names)} services"
    span = digest.grown_at - digest.started_at
    minutes = max(1, math.ceil(span.total_seconds() / 60))
    when = "in the last minute" if minutes == 1 else f"in the last {minutes} minutes"
    headline = f"🚨 {digest.incident_count} new incidents {where} {when}"
    lines = [
        f"{render.URGENCY_ICONS[Urgency(i['urgency'])]} #{i['number']} "
        f"{render.escape(render.truncate(i['title'], 200))}"
        for i in digest.first_incidents
    ]
    more = digest.incident_count - len(lines)
    if more > 0:
        lines.append(f"…and {more} more")
    query = f"?status=open&service={digest.service_ids[0]}" if len(names) == 1 else "?status=open"
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": render.truncate(headline, 150)}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": render.truncate("\n".join(lines), 3000)},
        },
        {
            "type": "actions",
            "block_id": f"digest:{digest.id}",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "See them all"},
                    "url": f"{base_url.rstrip('/')}/incidents{query}",
                    "action_id": render.VIEW,
                }
            ],
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Each incident follows in its own message as fast as Slack allows.",
                }
            ],
        },
    ]
    return {"text": render.escape(headline), "blocks": blocks}


@dataclass
class StormDigests:
    """The digest's job: post it (ahead of the storm), then update it as it grows."""

    delivery: Any  # SlackDelivery

    def run(self, context: JobContext) -> None:
        payload = context.job.payload
        with context.db.read() as session:
            digest = session.get(SlackStormDigest, payload["digest_id"])
            workspace = session.get(SlackWorkspace, payload["workspace_id"])
            if digest is None or workspace is None:
                return
            message = digest_message(session, digest, self.delivery.base_url)
            session.expunge(workspace)
            ts, channel, channel_id = digest.ts, digest.channel, digest.channel_id
        if ts is None:
            answer = None
            if recovery.in_doubt(context):
                answer = recovery.find_sent(self.delivery, context, workspace, channel)
            answer = answer or self.delivery.send(
                context,
                workspace,
                POST,
                channel,
                unfurl_links=False,
                metadata=recovery.marker(context),
                **message,
            )
            with context.transaction() as session:
                row = session.get(SlackStormDigest, digest.id)
                if row is not None:
                    row.ts, row.channel_id = answer["ts"], answer["channel"]
                workspaces.mark_delivered(session, workspace.id, context.clock.now())
            return
        self.delivery.send(context, workspace, "chat.update", channel_id, ts=ts, **message)
        with context.transaction() as session:
            workspaces.mark_delivered(session, workspace.id, context.clock.now())
