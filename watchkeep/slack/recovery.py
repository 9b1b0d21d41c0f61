"""After a crash: find the message a dead worker's job already sent.

Slack has no idempotency key, so every message Watchkeep posts carries message
metadata naming its outbox row. A job taken over from a worker that died in
the middle of it (outcome unknown) first reads the channel, or the thread,
back (`include_all_metadata`) for a message with its own marker, and adopts it
instead of posting a second copy. The doubt is written into the row before
the first look, so it survives any retry until the job is done.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from watchkeep.outbox import store
from watchkeep.slack.models import SlackWorkspace
from watchkeep.worker.handlers import JobContext

if TYPE_CHECKING:
    from watchkeep.slack.delivery import SlackDelivery

EVENT_TYPE = "watchkeep_delivery"
UNSURE = "unsure_if_sent"
PAGE = 200
MAX_PAGES = 5
# A message cannot predate its row; a little slack for clocks that disagree.
CLOCK_SKEW = timedelta(seconds=30)


def marker(context: JobContext) -> dict[str, Any]:
    """The metadata that names this job on the message it posts."""
    return {"event_type": EVENT_TYPE, "event_payload": {"job_id": str(context.job.id)}}


def in_doubt(context: JobContext) -> bool:
    """Whether an earlier run of this job may have sent its message already."""
    job = context.job
    if job.payload.get(UNSURE):
        return True
    if not job.taken_over:
        return False
    job.payload[UNSURE] = True
    with context.db.write() as session:
        store.update_payload(session, job, job.payload)
    return True


def find_sent(
    delivery: SlackDelivery,
    context: JobContext,
    workspace: SlackWorkspace,
    channel: str,
    *,
    thread_ts: str | None = None,
) -> dict[str, str] | None:
    """`{channel, ts}` of the message this job sent before, or None if it never did."""
    channel_id = (
        channel
        if not channel.startswith("#")
        else _channel_id(delivery, context, workspace, channel)
    )
    if channel_id is None:
        return None
    method = "conversations.replies" if thread_ts else "conversations.history"
    params: dict[str, Any] = {
        "oldest": f"{(context.job.created_at - CLOCK_SKEW).timestamp():.6f}",
        "include_all_metadata": True,
        "limit": PAGE,
    }
    if thread_ts:
        params["ts"] = thread_ts
    wanted = str(context.job.id)
    cursor = ""
    for _ in range(MAX_PAGES):
        answer = delivery.call(context, workspace, method, channel_id, cursor=cursor, **params)
        for message in answer.get("messages", []):
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == EVENT_TYPE
                and (metadata.get("event_payload") or {}).get("job_id") == wanted
            ):
                return {"channel": channel_id, "ts": message["ts"]}
        cursor = (answer.get("response_metadata") or {}).get("next_cursor") or ""
        if not cursor:
            return None
    return None


def _channel_id(
    delivery: SlackDelivery, context: JobContext, workspace: SlackWorkspace, name: str
) -> str | None:
    """Slack reads history by channel id only: look a `#name` up (rare: after a crash)."""
    cursor = ""
    while True:
        answer = delivery.call(
            context,
            workspace,
            "conversations.list",
            None,
            types="public_channel,private_channel",
            exclude_archived=True,
            limit=PAGE,
            cursor=cursor,
        )
        for channel in answer.get("channels", []):
            if channel.get("name") == name.removeprefix("#"):
                return channel["id"]
        cursor = (answer.get("response_metadata") or {}).get("next_cursor") or ""
        if not cursor:
            return None
