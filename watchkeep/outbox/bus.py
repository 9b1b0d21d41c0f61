"""The event bus: domain events travel as outbox rows and reach every subscriber.

A change publishes its events in its own transaction; the worker then hands
each event to every subscriber (Slack, escalation, SLA, runbooks) inside the
transaction that completes the event's row, so what a subscriber enqueues
exists exactly once per event. One incident's events share an ordering key
and are fanned out in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def dispatch(self, session: Session, jobs: Sequence[store.Job], now: datetime) -> None:
        """The batch handler of `JobKind.EVENT`: every event to every subscriber."""
        for job in jobs:
            event = DomainEvent.from_payload(job.payload)
            # What the subscribers enqueue (a Slack post, a timer) carries the request id.
            with logs.bound_request_id(job.request_id):
                for subscriber in self._subscribers:
                    subscriber(session, event, now)
