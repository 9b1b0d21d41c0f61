"""The escalation engine: an EventBus subscriber and a timer, both in the worker.

Timing (PagerDuty-like):

- An incident triggered (or reopened) on a service with a policy starts at step
  1, which pages at once. A step's `delay_minutes` is how long after it pages
  before the next step pages. After the last step, the steps run `repeat` more
  times from step 1 (the last step's delay leading back to step 1); then the
  escalation is EXHAUSTED and pages no more.
- Acknowledge or resolve stops it. Snooze pauses it, keeping the time left to
  the next step; unsnooze (by hand or by the snooze running out) resumes it with
  that time left, so a step that fell due while snoozed pages at once. An
  incident that comes back TRIGGERED with nothing to resume (it was acknowledged
  before it was snoozed, or its policy had run out) starts again at step 1.
- A step that finds nobody to page (nobody on call, an empty team) still counts
  and still announces itself, saying so; the next step follows after its delay.
- Each step records a timeline entry and the `incident.escalated` event (see
  `step_data` for its data). A policy deleted mid-way stops the escalation;
  an escalation takes the service's policy when it starts (trigger, reopen, or
  an unsnooze with nothing to resume), so a service's new policy applies to
  incidents from then on.

Mechanics: the subscriber reacts to incident.triggered / reopened / acknowledged
/ resolved / snoozed / unsnoozed inside the event fan-out transaction, moving
the incident's `IncidentEscalation` row and enqueuing the next step as a due
outbox row. The timer handler runs in the transaction that completes its row,
with the incident row locked (as transitions lock it), so a step pages exactly
once even with several workers. Every change bumps the row's `generation`, and
a timer made for another generation (stale, duplicated, paused) does nothing,
as does one that finds the incident no longer TRIGGERED: the event saying why
is on its way to the subscriber, which settles the state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep.core import access, events
from watchkeep.core.actors import Actor
from watchkeep.core.events import EventType
from watchkeep.core.incidents import lock_incidents
from watchkeep.core.models import Incident, IncidentStatus, Service, TimelineEvent
from watchkeep.oncall import paging
from watchkeep.oncall.models import (
    EscalationPolicy,
    EscalationStatus,
    EscalationStep,
    IncidentEscalation,
)
from watchkeep.outbox import Job, JobKind, bus, store
from watchkeep.outbox.bus import DomainEvent

ACTIVE, PAUSED, STOPPED, EXHAUSTED = (
    EscalationStatus.ACTIVE,
    EscalationStatus.PAUSED,
    EscalationStatus.STOPPED,
    EscalationStatus.EXHAUSTED,
)
_HANDLED = {
    EventType.TRIGGERED,
    EventType.REOPENED,
    EventType.ACKNOWLEDGED,
    EventType.RESOLVED,
    EventType.SNOOZED,
    EventType.UNSNOOZED,
}


def on_event(session: Session, event: DomainEvent, now: datetime) -> None:
    """The EventBus subscriber: move the incident's escalation on a status change."""
    if event.type not in _HANDLED:
        return
    known = bus.memo(session, "escalation.batch", event, lambda evs: _Known.load(session, evs))
    # The moment of the change, not of its fan-out: a busy worker must not stretch delays.
    at = known.at.get(event.timeline_event_id) or now
    state = known.states.get(event.incident_id)
    kind = EventType(event.type)
    if kind in (EventType.TRIGGERED, EventType.REOPENED):
        known.states[event.incident_id] = _start(session, known, event.incident_id, state, at, now)
    elif state is None:
        if kind is EventType.UNSNOOZED:
            known.states[event.incident_id] = _start(
                session, known, event.incident_id, state, at, now
            )
    elif kind in (EventType.ACKNOWLEDGED, EventType.RESOLVED):
        if state.status in (ACTIVE, PAUSED):
            _settle(state, STOPPED, now)
    elif kind is EventType.SNOOZED:
        if state.status is ACTIVE:
            left = (state.next_step_at or at) - at
            state.paused_remaining_seconds = max(0, math.ceil(left.total_seconds()))
            _settle(state, PAUSED, now)
    elif kind is EventType.UNSNOOZED:
        if state.status is PAUSED:
            left = timedelta(seconds=state.paused_remaining_seconds or 0)
            state.paused_remaining_seconds = None
            _schedule(session, state, at + left, now)
        elif state.status in (STOPPED, EXHAUSTED):
            _start(session, known, event.incident_id, state, at, now)


@dataclass
class _Known:
    """What the batch's events need, loaded for all of them at once: when each change
    happened, the escalation rows (locked, in id order) and each incident's policy."""

    at: dict[int, datetime]
    states: dict[int, IncidentEscalation | None]
    policies: dict[int, int | None]

    @classmethod
    def load(cls, session: Session, events: Sequence[DomainEvent]) -> _Known:
        handled = [e for e in events if e.type in _HANDLED]
        ids = sorted({e.incident_id for e in handled})
        if not ids:
            return cls({}, {}, {})
        entry_ids = {e.timeline_event_id for e in handled}
        at = dict(
            session.execute(
                select(TimelineEvent.id, TimelineEvent.created_at).where(
                    TimelineEvent.id.in_(entry_ids)
                )
            ).all()
        )
        states = session.scalars(
            select(IncidentEscalation)
            .where(IncidentEscalation.incident_id.in_(ids))
            .order_by(IncidentEscalation.incident_id)
            .with_for_update()
        )
        policies = session.execute(
            select(Incident.id, Service.escalation_policy_id)
            .join(Service, Service.id == Incident.service_id)
            .where(Incident.id.in_(ids))
        ).all()
        return cls(at, {state.incident_id: state for state in states}, dict(policies))


def fire_steps(session: Session, jobs: list[Job], now: datetime) -> None:
    """The timer handler (a batch: the worker runs many due steps in one transaction)."""
    ids = sorted({job.payload["incident_id"] for job in jobs})
    incidents = lock_incidents(session, ids)
    states = {
        state.incident_id: state
        for state in session.scalars(
            select(IncidentEscalation)
            .where(IncidentEscalation.incident_id.in_(ids))
            .order_by(IncidentEscalation.incident_id)
            .with_for_update()
        )
    }
    batch = _Batch(session, now)
    for job in sorted(jobs, key=lambda j: (j.payload["incident_id"], j.payload["generation"])):
        incident_id = job.payload["incident_id"]
        state, incident = states.get(incident_id), incidents.get(incident_id)
        if state is None or incident is None:
            continue  # the incident was deleted with its service
        if state.generation != job.payload["generation"] or state.status is not ACTIVE:
            continue  # stale: paused, stopped, restarted, or a duplicate of a fired step
        if incident.status is not IncidentStatus.TRIGGERED:
            continue
        _fire(session, incident, state, now, batch)
    # Every step's timeline entry and event in two multi-row INSERTs, not two per step.
    events.record_entries(session, batch.entries, now=now)
    access.grant_paged(session, batch.paged, now)


class _Batch:
    """What the steps of one batch share. The session's identity map holds objects
    weakly, so without this each step would load its policy's whole graph again; and
    with one `now` for the batch, a step's targets resolve to the same people."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.policies: dict[int, EscalationPolicy | None] = {}
        self.pages: dict[int, paging.StepPage] = {}
        self.entries: list[events.Entry] = []
        self.paged: set[tuple[int, int]] = set()  # (incident, user): they may answer it

    def policy(self, policy_id: int | None) -> EscalationPolicy | None:
        if policy_id is None:
            return None
        if policy_id not in self.policies:
            self.policies[policy_id] = self.session.get(EscalationPolicy, policy_id)
        return self.policies[policy_id]

    def page(self, step: EscalationStep) -> paging.StepPage:
        if step.id not in self.pages:
            self.pages[step.id] = paging.resolve_step(self.session, step, self.now)
        return self.pages[step.id]


def _fire(
    session: Session, incident: Incident, state: IncidentEscalation, now: datetime, batch: _Batch
) -> None:
    policy = batch.policy(state.policy_id)
    if policy is None or not policy.steps:
        _settle(state, STOPPED, now)
        return
    index = state.step_index
    if index >= len(policy.steps):  # the policy lost steps since the last one paged
        if not _wrap(state, policy):
            _settle(state, EXHAUSTED, now)
            return
        index = 0
    step = policy.steps[index]
    cycle = state.cycle
    page = batch.page(step)
    batch.paged.update((incident.id, user.id) for user in page.users)
    state.steps_paged += 1
    state.step_index = index + 1
    if state.step_index < len(policy.steps) or _wrap(state, policy):
        _schedule(session, state, now + timedelta(minutes=step.delay_minutes), now)
    else:
        _settle(state, EXHAUSTED, now)
    data = step_data(policy, index, cycle, page, state)
    label = f"Escalation step {index + 1} of {len(policy.steps)} ({policy.name!r})"
    if cycle:
        label += f", repeat {cycle} of {policy.repeat}"
    batch.entries.append(
        events.Entry(
            incident.id,
            EventType.ESCALATED,
            f"{label}: {paging.describe(page)}",
            Actor.system(),
            data,
        )
    )


def step_data(
    policy: EscalationPolicy,
    index: int,
    cycle: int,
    page: paging.StepPage,
    state: IncidentEscalation,
) -> dict[str, Any]:
    """The `incident.escalated` event's data (also on its timeline entry).

    `paged` is who was paged, each `{user_id, name, email}` (email is how Slack
    users are mapped); `step` counts from 1; `repeat` is 0 on the first pass
    through the steps, then 1, 2…; `targets` says what each target gave;
    `next_step_at` is when the next step pages unless the incident is
    acknowledged (None when this was the last).
    """
    return {
        "policy": {"id": policy.id, "name": policy.name},
        "step": index + 1,
        "steps": len(policy.steps),
        "repeat": cycle,
        "paged": paging.paged_data(page),
        "targets": page.targets,
        "nobody_paged": not page.users,
        "next_step_at": state.next_step_at.isoformat() if state.status is ACTIVE else None,
    }


def _wrap(state: IncidentEscalation, policy: EscalationPolicy) -> bool:
    """Back to step 1 for another pass, if the policy repeats that often."""
    if state.cycle >= policy.repeat:
        return False
    state.cycle += 1
    state.step_index = 0
    return True


def _start(
    session: Session,
    known: _Known,
    incident_id: int,
    state: IncidentEscalation | None,
    at: datetime,
    now: datetime,
) -> IncidentEscalation | None:
    policy_id = known.policies.get(incident_id)
    if policy_id is None:
        if state is not None and state.status in (ACTIVE, PAUSED):
            _settle(state, STOPPED, now)
        return state
    if state is None:
        state = IncidentEscalation(incident_id=incident_id, generation=0, steps_paged=0)
        session.add(state)
    state.policy_id = policy_id
    state.step_index = state.cycle = 0
    state.paused_remaining_seconds = None
    _schedule(session, state, at, now)
    return state


def _schedule(session: Session, state: IncidentEscalation, due: datetime, now: datetime) -> None:
    """Make `due` the time of the next step, as a new generation with its own timer row."""
    state.status = ACTIVE
    state.generation += 1
    state.next_step_at = due
    state.updated_at = now
    store.enqueue_with_commit(
        session,
        JobKind.ESCALATION_STEP,
        {"incident_id": state.incident_id, "generation": state.generation},
        now=now,
        due_at=due,
    )


def _settle(state: IncidentEscalation, status: EscalationStatus, now: datetime) -> None:
    """Leave ACTIVE: the pending timer, if any, is now stale."""
    state.status = status
    state.generation += 1
    state.next_step_at = None
    state.updated_at = now
