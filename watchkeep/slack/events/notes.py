"""Notes from Slack: a message pinned, or given the workspace's note emoji (📌 by
default), on an incident's message, in its thread, in a paged person's DM card's
thread or in the incident's own channel, becomes a note on that incident.

The note is the message's text, with a link back to it, attributed to whoever
pinned it. `pin_added` carries the message; `reaction_added` names it only, so
its text is read back (`conversations.history`, or `conversations.replies` for
a thread reply). A message is saved once, however often it is pinned or
reacted to (`SlackMessageNote`, whose unique key settles two at once), and
Watchkeep says so in the message's thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from watchkeep import outbox
from watchkeep.core import transitions
from watchkeep.core.actors import Actor
from watchkeep.core.models import Incident
from watchkeep.outbox import JobKind, keys
from watchkeep.runbooks.models import IncidentChannel
from watchkeep.slack.errors import SlackPermanentError
from watchkeep.slack.events.people import slack_actor
from watchkeep.slack.models import (
    SlackDirectMessage,
    SlackMessageNote,
    SlackMessageRef,
    SlackWorkspace,
)
from watchkeep.worker.handlers import JobContext

if TYPE_CHECKING:
    from watchkeep.slack.delivery import SlackDelivery

log = logging.getLogger(__name__)

EMPTY = "(a message without text)"


def saved_reply(number: int) -> str:
    return f"Saved to incident #{number}'s notes"


def on_pin_or_reaction(
    delivery: SlackDelivery, context: JobContext, workspace: SlackWorkspace, event: dict[str, Any]
) -> None:
    marked = _marked_message(workspace, event)
    if marked is None:
        return
    channel, ts, carried = marked
    with context.db.read() as session:
        if _saved(session, workspace.id, channel, ts):
            return
        if not _has_incidents(session, workspace.id, channel):
            return
    has_text = carried is not None and "text" in carried
    message = carried if has_text else _fetch(delivery, context, workspace, channel, ts)
    if message is None:
        return
    thread_ts = message.get("thread_ts")
    with context.db.read() as session:
        incident = incident_of(session, workspace.id, channel, ts, thread_ts)
    if incident is None:
        return
    actor = slack_actor(delivery, context, workspace, event["user"])
    link = message.get("permalink") or permalink(workspace, channel, ts, thread_ts)
    saved = SavedMessage(workspace.id, channel, ts, thread_ts or ts)
    _save(context, saved, incident, actor, _note_text(message.get("text") or "", link))


@dataclass(frozen=True)
class SavedMessage:
    workspace_id: int
    channel: str
    ts: str
    thread_ts: str  # where the reply goes: the message's thread, or its own


def _marked_message(
    workspace: SlackWorkspace, event: dict[str, Any]
) -> tuple[str, str, dict[str, Any] | None] | None:
    """(channel, ts, the message if the event carries it) of a pin or of a reaction
    with the workspace's note emoji; None for anything else."""
    item = event.get("item") if isinstance(event.get("item"), dict) else {}
    if item.get("type") != "message" or not isinstance(event.get("user"), str):
        return None
    if event["type"] == "reaction_added" and event.get("reaction") != workspace.note_emoji:
        return None
    channel = item.get("channel") or event.get("channel_id")
    carried = item.get("message") if isinstance(item.get("message"), dict) else None
    ts = (carried or {}).get("ts") or item.get("ts")
    if not isinstance(channel, str) or not isinstance(ts, str):
        return None
    return channel, ts, carried


def _save(
    context: JobContext, saved: SavedMessage, incident: Incident, actor: Actor, text: str
) -> None:
    """The note, its message's claim and the reply, with the job's completion."""
    now = context.clock.now()
    with context.transaction() as session:
        claim = _claim(session, saved, incident.id, now)
        if claim is None:
            return
        note = transitions.add_note(session, incident.id, actor, now=now, text=text)
        session.execute(
            update(SlackMessageNote).where(SlackMessageNote.id == claim).values(note_id=note.id)
        )
        payload = {
            "workspace_id": saved.workspace_id,
            "incident_id": incident.id,
            "channel": saved.channel,
            "thread_ts": saved.thread_ts,
            "text": saved_reply(incident.number),
        }
        key = keys.slack_incident(saved.workspace_id, incident.id)
        outbox.enqueue(session, JobKind.SLACK_SAY, payload, now=now, ordering_key=key)


def incident_of(
    session: Session, workspace_id: int, channel: str, ts: str, thread_ts: str | None
) -> Incident | None:
    """The incident a message belongs to: its message (or the message's thread), a
    paged person's card of it, else the channel a runbook opened for it."""
    roots = [t for t in (ts, thread_ts) if t]
    for model in (SlackMessageRef, SlackDirectMessage):
        incident_id = session.scalar(
            select(model.incident_id).where(
                model.workspace_id == workspace_id, model.channel_id == channel, model.ts.in_(roots)
            )
        )
        if incident_id is not None:
            return session.get(Incident, incident_id)
    incident_id = session.scalar(
        select(IncidentChannel.incident_id)
        .where(IncidentChannel.workspace_id == workspace_id, IncidentChannel.channel_id == channel)
        .order_by(IncidentChannel.created_at.desc())
        .limit(1)
    )
    return session.get(Incident, incident_id) if incident_id is not None else None


def permalink(
    workspace: SlackWorkspace, channel: str, ts: str, thread_ts: str | None
) -> str | None:
    """Slack's permalink form, from the workspace's URL (`auth.test`'s `url`)."""
    if not workspace.team_url:
        return None
    link = f"{workspace.team_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
    if thread_ts and thread_ts != ts:
        link += f"?thread_ts={thread_ts}&cid={channel}"
    return link


def _note_text(text: str, link: str | None) -> str:
    suffix = f"\n\nFrom Slack: {link}" if link else ""
    body = text.strip() or EMPTY
    room = transitions.MAX_NOTE_LENGTH - len(suffix)
    if len(body) > room:
        body = body[: room - 1] + "…"
    return body + suffix


def _fetch(
    delivery: SlackDelivery, context: JobContext, workspace: SlackWorkspace, channel: str, ts: str
) -> dict[str, Any] | None:
    """The message at `ts`: the channel's history holds top-level messages, a thread
    reply is read with its thread."""
    try:
        found = (
            delivery.call(
                context,
                workspace,
                "conversations.history",
                channel,
                latest=ts,
                inclusive=True,
                limit=1,
            ).get("messages")
            or []
        )
        if found and found[0].get("ts") == ts:
            return found[0]
        found = (
            delivery.call(
                context,
                workspace,
                "conversations.replies",
                channel,
                ts=ts,
                oldest=ts,
                latest=ts,
                inclusive=True,
                limit=2,
            ).get("messages")
            or []
        )
    except SlackPermanentError as exc:
        # not_in_channel, missing_scope, thread_not_found: nothing to save it from.
        log.warning("could not read the message %s in %s: %s", ts, channel, exc)
        return None
    return next((m for m in found if m.get("ts") == ts), None)


def _has_incidents(session: Session, workspace_id: int, channel: str) -> bool:
    """Whether any incident lives in the channel: most reactions are elsewhere."""
    return bool(
        session.scalar(
            select(
                or_(
                    *(
                        exists().where(m.workspace_id == workspace_id, m.channel_id == channel)
                        for m in (SlackMessageRef, SlackDirectMessage, IncidentChannel)
                    )
                )
            )
        )
    )


def _saved(session: Session, workspace_id: int, channel: str, ts: str) -> bool:
    return session.scalar(_note_row(workspace_id, channel, ts)) is not None


def _note_row(workspace_id: int, channel: str, ts: str) -> Any:
    return select(SlackMessageNote.id).where(
        SlackMessageNote.workspace_id == workspace_id,
        SlackMessageNote.channel_id == channel,
        SlackMessageNote.message_ts == ts,
    )


def _claim(session: Session, saved: SavedMessage, incident_id: int, now: datetime) -> int | None:
    """Take the message for a note (answers the claim's id); None when it was saved
    already (by a pin and a reaction at once, say)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # RETURNING, not rowcount: an ORM-enabled INSERT does not report its rows.
    return session.execute(
        insert(SlackMessageNote.__table__)
        .values(
            workspace_id=saved.workspace_id,
            channel_id=saved.channel,
            message_ts=saved.ts,
            incident_id=incident_id,
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(SlackMessageNote.__table__.c.id)
    ).scalar()
