"""From domain events to Slack jobs, decided inside the event's fan-out transaction.

Per workspace: a new incident that passes the urgency filter becomes a `post`
to its routed channel; each later change becomes a thread `reply` (if its
toggle is on, and the workspace wants thread updates at all) and a `refresh`
of the message. All of an incident's jobs in a
workspace share one ordering key, so they run in order and only after the
first message exists. A post takes its place in Slack's pace as it is enqueued
and sleeps until its turn. A refresh renders the incident as it is when it runs,
so one waiting refresh stands for any number of changes: a storm of changes
coalesces into the newest update. A channel whose new-incident posts are more
than its pace lets through in a minute also gets a storm digest (`storm`).

A batch of events loads its incidents, the workspaces and the runbook threads
once (`bus.memo`), not once per event.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload

from watchkeep import outbox
from watchkeep.core.events import EventType
from watchkeep.core.models import Incident
from watchkeep.outbox import JobKind, bus, keys, queries, store
from watchkeep.outbox.bus import DomainEvent
from watchkeep.runbooks.models import RunbookThread
from watchkeep.slack import pacing, routing, storm, throttle, workspaces
from watchkeep.slack.models import SlackWorkspace


def fan_out(session: Session, event: DomainEvent, now: datetime) -> None:
    incident = _incidents(session, event).get(event.incident_id)
    if incident is None:
        return
    connected = bus.memo(session, "slack.workspaces", event, lambda _: _workspaces(session))
    for position, workspace in enumerate(connected):
        if not routing.announces(workspace, incident.urgency):
            continue
        if event.type == EventType.TRIGGERED:
            _announce(session, workspace, incident, now, primary=position == 0)
        else:
            _follow_up(session, workspace, incident, event, now)
    if event.type != EventType.TRIGGERED:
        _reply_in_runbook_threads(session, incident, event, now)


def _incidents(session: Session, event: DomainEvent) -> dict[int, Incident]:
    """The batch's incidents with their services, in one query (kept for the batch)."""

    def load(events) -> dict[int, Incident]:
        ids = {e.incident_id for e in events}
        found = session.scalars(
            select(Incident).where(Incident.id.in_(ids)).options(selectinload(Incident.service))
        )
        return {incident.id: incident for incident in found}

    return bus.memo(session, "slack.incidents", event, load)


def _workspaces(session: Session) -> list[SlackWorkspace]:
    return list(workspaces.list_workspaces(session))


def _threads(session: Session, events) -> dict[int, list[RunbookThread]]:
    ids = {e.incident_id for e in events if e.type != EventType.TRIGGERED}
    by_incident: dict[int, list[RunbookThread]] = {}
    if ids:
        rows = session.scalars(
            select(RunbookThread)
            .where(RunbookThread.incident_id.in_(ids))
            .order_by(RunbookThread.id)
        )
        for thread in rows:
            by_incident.setdefault(thread.incident_id, []).append(thread)
    return by_incident


def _reply_in_runbook_threads(
    session: Session, incident: Incident, event: DomainEvent, now: datetime
) -> None:
    """Threads a runbook started with `ThreadUpdates: true` hear every change, like the
    incident message's own thread (and by the same toggles)."""
    threads = bus.memo(session, "slack.runbook_threads", event, lambda evs: _threads(session, evs))
    for thread in threads.get(incident.id, ()):
        if thread.workspace_id is None:
            continue  # a connector's thread: the organisation's bot may not be in its channel
        workspace = session.get(SlackWorkspace, thread.workspace_id)
        if workspace is None or not routing.replies_to(workspace, event.type):
            continue
        payload = {
            "workspace_id": workspace.id,
            "incident_id": incident.id,
            "timeline_event_id": event.timeline_event_id,
            "thread_id": thread.id,
        }
        key = keys.slack_incident(workspace.id, incident.id)
        outbox.enqueue(session, JobKind.SLACK_REPLY, payload, now=now, ordering_key=key)


def _announce(
    session: Session,
    workspace: SlackWorkspace,
    incident: Incident,
    now: datetime,
    *,
    primary: bool,
) -> None:
    if not routing.replies_to(workspace, EventType.TRIGGERED):
        return
    channel = routing.route(workspace, incident.service, incident.urgency, primary=primary)
    if channel is None:
        workspace.last_error = (
            f"incident #{incident.number} was not announced: no channel for service "
            f"{incident.service.name!r} and no default channel"
        )
        workspace.last_error_at = now
        return
    payload = {
        "workspace_id": workspace.id,
        "incident_id": incident.id,
        "channel": channel,
        pacing.WAITING: True,
    }
    key = keys.slack_incident(workspace.id, incident.id)
    row_id = outbox.enqueue(session, JobKind.SLACK_POST, payload, now=now, ordering_key=key)
    # The first of its key, so nothing but Slack's pace holds it: it sleeps until its turn.
    urgency = pacing.URGENCY_RANK[incident.urgency]
    announced = storm.Announced(
        throttle.Call(row_id, channel, urgency),
        incident.id,
        incident.number,
        incident.title,
        incident.urgency,
        incident.service_id,
    )
    _place_on_commit(session, workspace.id, announced, now)


def _place_on_commit(
    session: Session, workspace_id: int, announced: storm.Announced, now: datetime
) -> None:
    """Posts enqueued in one transaction (a batch of events) take their places in the
    lane together, as it commits: one judgement of the lane for all of them."""
    pending = session.info.get(_PLACEMENTS)
    if pending is None:
        pending = session.info[_PLACEMENTS] = {}
        event.listen(session, "before_commit", _settle_places, once=True)
    pending.setdefault(workspace_id, (now, []))[1].append(announced)


def _settle_places(session: Session) -> None:
    for workspace_id, (now, announced) in sorted(session.info.pop(_PLACEMENTS, {}).items()):
        calls = [a.call for a in announced]
        turns = throttle.place(session, workspace_id, "chat.postMessage", calls, now)
        store.postpone(session, {job: turn for job, turn in turns.items() if turn > now})
        # A channel whose queue is now longer than a minute shows its storm at once.
        storm.note_posts(session, workspace_id, announced, turns, now)


_PLACEMENTS = "watchkeep.slack.placements"


def _follow_up(
    session: Session,
    workspace: SlackWorkspace,
    incident: Incident,
    event: DomainEvent,
    now: datetime,
) -> None:
    key = keys.slack_incident(workspace.id, incident.id)
    # A workspace may want its channels quiet: the message alone shows each change.
    if workspace.thread_updates and routing.replies_to(workspace, event.type):
        payload = {
            "workspace_id": workspace.id,
            "incident_id": incident.id,
            "timeline_event_id": event.timeline_event_id,
        }
        outbox.enqueue(session, JobKind.SLACK_REPLY, payload, now=now, ordering_key=key)
    # A refresh not yet started will show this change too.
    if not queries.has_unstarted(session, JobKind.SLACK_REFRESH, key):
        payload = {"workspace_id": workspace.id, "incident_id": incident.id}
        outbox.enqueue(session, JobKind.SLACK_REFRESH, payload, now=now, ordering_key=key)
