"""An Events API delivery, taken once: its receipt and its queued work commit together.

Slack answers nothing back to an event, so every delivery is acknowledged with an
empty 200 once its work is queued (well inside Slack's three seconds). A retry
(`X-Slack-Retry-Num`, signed afresh) of an event already taken, by this process
or any other, finds its receipt and is acknowledged without doing it again; an
event from a workspace that is not connected is acknowledged and dropped (the
dispatch refuses it before this module sees it).
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool

from watchkeep import outbox
from watchkeep.outbox import JobKind, keys
from watchkeep.slack.interactive import replay
from watchkeep.slack.interactive.dispatch import Answer, Kind

if TYPE_CHECKING:
    from watchkeep.runtime import Runtime

log = logging.getLogger(__name__)

# The event types Watchkeep subscribes to (the manifest lists exactly these).
HANDLED = ("app_home_opened", "member_joined_channel", "pin_added", "reaction_added")


def events_kind(runtime: Runtime) -> Kind:
    """The Events API as one kind of the shared dispatch."""

    async def handle(envelope: dict[str, Any]) -> Answer:
        await run_in_threadpool(take, runtime, envelope)
        return Answer()

    async def refuse(envelope: dict[str, Any], refusal: str) -> Answer:
        # Not connected, or a replayed request: Slack must not retry, and nothing is done.
        log.info("ignored Slack event %s: %s", envelope.get("event_id"), refusal)
        return Answer()

    return Kind(team_of, handle, refuse, "event")


def team_of(envelope: dict[str, Any]) -> str | None:
    """The team of an `event_callback` envelope; None when it is not shaped like one."""
    event = envelope.get("event")
    if envelope.get("type") != "event_callback" or not isinstance(event, dict):
        return None
    if not isinstance(event.get("type"), str) or not isinstance(envelope.get("event_id"), str):
        return None
    team_id = envelope.get("team_id")
    return team_id if isinstance(team_id, str) and team_id else None


def take(runtime: Runtime, envelope: dict[str, Any]) -> bool:
    """Queue the event's work unless one of its deliveries was taken before; answers
    whether this delivery was the one."""
    event = envelope["event"]
    if event["type"] not in HANDLED:
        return False
    team_id, event_id = envelope["team_id"], envelope["event_id"]
    now = runtime.clock.now()
    with runtime.db.write() as session:
        if not replay.claim_event(session, team_id, event_id, uuid.uuid4().hex, now):
            log.info("Slack event %s delivered again; applied once already", event_id)
            return False
        payload = {"team_id": team_id, "event_id": event_id, "event": event}
        key = keys.slack_event(team_id, _channel(event))
        outbox.enqueue(session, JobKind.SLACK_EVENT, payload, now=now, ordering_key=key)
    return True


def _channel(event: dict[str, Any]) -> str | None:
    item = event.get("item") if isinstance(event.get("item"), dict) else {}
    channel = event.get("channel") or event.get("channel_id") or item.get("channel")
    if event["type"] == "app_home_opened":
        # One person's Home, whatever the DM channel it is shown in: their views in order.
        channel = f"home:{event.get('user')}"
    return channel if isinstance(channel, str) else None
