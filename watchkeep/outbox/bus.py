"""The event bus: domain events travel as outbox rows and reach every subscriber.

A change publishes its events in its own transaction; the worker then hands
each event to every subscriber (Slack, escalation, SLA, runbooks) inside the
transaction that completes the event's row, so what a subscriber enqueues
exists exactly once per event. One incident's events share an ordering key
and are fanned out in order.

A batch of events is dispatched in one transaction; what subscribers would
otherwise load once per event (the workspaces, the batch's incidents) they
load once per batch through `memo`, in one query for all the batch's events:
on PostgreSQL every query is a round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from watchkeep import logs
from watchkeep.outbox import keys, store
from watchkeep.outbox.kinds import JobKind


@dataclass(frozen=True)
class DomainEvent:
    """What happened (`incident.acknowledged`, …), to which incident, and its timeline entry."""

    type: str
    incident_id: int
    timeline_event_id: int

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> DomainEvent:
        return cls(payload["type"], payload["incident_id"], payload["timeline_event_id"])

    def payload(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "incident_id": self.incident_id,
            "timeline_event_id": self.timeline_event_id,
        }


def publish(session: Session, event: DomainEvent, *, now: datetime) -> None:
    publish_many(session, [event], now=now)


def publish_many(session: Session, events: Sequence[DomainEvent], *, now: datetime) -> None:
    """Enqueue events in the caller's transaction, in one multi-row INSERT."""
    store.enqueue_many(
        session,
        JobKind.EVENT,
        [(event.payload(), keys.incident(event.incident_id)) for event in events],
        now=now,
    )


Subscriber = Callable[[Session, DomainEvent, datetime], None]
T = TypeVar("T")
_BATCH = "watchkeep.bus.batch"


@dataclass
class _Batch:
    events: Sequence[DomainEvent]
    loaded: dict[str, Any]


def memo(
    session: Session, key: str, event: DomainEvent, load: Callable[[Sequence[DomainEvent]], T]
) -> T:
    """`load(events)` once for the batch being dispatched (outside one: for `event` alone).

    `load` gets every event of the batch, so it can fetch for all at once.
    """
    batch = session.info.get(_BATCH)
    if batch is None:
        return load([event])
    if key not in batch.loaded:
        batch.loaded[key] = load(batch.events)
    return batch.loaded[key]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def dispatch(self, session: Session, jobs: Sequence[store.Job], now: datetime) -> None:
        """The batch handler of `JobKind.EVENT`: every event to every subscriber."""
        events = [(job, DomainEvent.from_payload(job.payload)) for job in jobs]
        session.info[_BATCH] = _Batch([event for _, event in events], {})
        try:
            for job, event in events:
                # What the subscribers enqueue (a Slack post, a timer) carries the request id.
                with logs.bound_request_id(job.request_id):
                    for subscriber in self._subscribers:
                        subscriber(session, event, now)
        finally:
            session.info.pop(_BATCH, None)
