"""Handoffs of followed schedules, as outbox timers.

A schedule is followed when something outside on-call keeps a copy of who is on
call on it (today: a Slack user group, `Schedule.slack_user_group`). Each
followed schedule has one pending `timer.schedule_handoff` row, due at its next
handoff (a layer's rotation, a restriction's edge, an override's start or end).
When it fires, every subscriber hears "who is on call on schedule N may have
changed" in the timer's transaction, and the next handoff is armed. A change
to the schedule itself (its layers, an override, what follows it) fires at
once through `changed`. Like escalation, a `generation` makes a stale or
duplicated timer do nothing, so a restart or a second worker never doubles one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep import outbox
from watchkeep.oncall import roster
from watchkeep.oncall.models import Schedule, ScheduleHandoff
from watchkeep.outbox import Job, JobKind

# No handoff within this long: look again then (rotations of weeks are common).
LOOK_AHEAD = timedelta(days=7)

HandoffListener = Callable[[Session, int, datetime], None]


def followed(schedule: Schedule) -> bool:
    return bool(schedule.slack_user_group)


def changed(session: Session, schedule: Schedule, now: datetime) -> None:
    """The schedule's people or its followers changed: tell the followers now."""
    state = session.get(ScheduleHandoff, schedule.id, with_for_update=True)
    if not followed(schedule):
        if state is not None:
            _arm(session, state, None, now)  # the pending timer goes stale
        return
    if state is None:
        state = ScheduleHandoff(schedule_id=schedule.id, generation=0, updated_at=now)
        session.add(state)
        session.flush()
    _arm(session, state, now, now)


def next_handoff(session: Session, schedule: Schedule, now: datetime) -> datetime:
    """The next moment after `now` when who is on call may change."""
    horizon = now + LOOK_AHEAD
    found = roster.shifts(session, schedule, start=now, end=horizon)
    edges = {s.start for s in found} | {s.end for s in found}
    return min((edge for edge in edges if now < edge < horizon), default=horizon)


class Handoffs:
    """The timer's handler and the followers it tells, assembled at start-up."""

    def __init__(self) -> None:
        self._listeners: list[HandoffListener] = []

    def subscribe(self, listener: HandoffListener) -> None:
        self._listeners.append(listener)

    def fire(self, session: Session, jobs: list[Job], now: datetime) -> None:
        """The batch handler of `timer.schedule_handoff`."""
        ids = sorted({job.payload["schedule_id"] for job in jobs})
        states = {
            state.schedule_id: state
            for state in session.scalars(
                select(ScheduleHandoff)
                .where(ScheduleHandoff.schedule_id.in_(ids))
                .order_by(ScheduleHandoff.schedule_id)
                .with_for_update()
            )
        }
        for job in jobs:
            state = states.get(job.payload["schedule_id"])
            if state is None or state.generation != job.payload["generation"]:
                continue  # stale: the schedule changed, or a duplicate
            schedule = session.get(Schedule, state.schedule_id)
            if schedule is None or not followed(schedule):
                _arm(session, state, None, now)
                continue
            for listener in self._listeners:
                listener(session, schedule.id, now)
            _arm(session, state, next_handoff(session, schedule, now), now)


def _arm(session: Session, state: ScheduleHandoff, due: datetime | None, now: datetime) -> None:
    """A new generation, with its timer row when `due` is given."""
    state.generation += 1
    state.next_at = due
    state.updated_at = now
    if due is not None:
        payload = {"schedule_id": state.schedule_id, "generation": state.generation}
        outbox.enqueue(session, JobKind.SCHEDULE_HANDOFF, payload, now=now, due_at=due)
