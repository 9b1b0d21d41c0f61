"""Jobs of the core: domain-event fan-out and the snooze timer.

Subscribers (Slack, runbooks) register here at start-up. Each receives every
domain event inside the transaction that completes the event's row, so what a
subscriber enqueues exists exactly once per event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from watchkeep.core import transitions
from watchkeep.core.events import EVENT_JOB, DomainEvent
from watchkeep.worker.handlers import Handlers, JobContext
from watchkeep.worker.outbox import Job

Subscriber = Callable[[Session, DomainEvent, datetime], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def dispatch(self, session: Session, jobs: list[Job], now: datetime) -> None:
        for job in jobs:
            event = DomainEvent.from_payload(job.payload)
            for subscriber in self._subscribers:
                subscriber(session, event, now)


def expire_snooze(context: JobContext) -> None:
    with context.transaction() as session:
        transitions.expire_snooze(
            session, context.job.payload["incident_id"], now=context.clock.now()
        )


def register_core_jobs(handlers: Handlers, bus: EventBus) -> None:
    handlers.register_batch(EVENT_JOB, bus.dispatch)
    handlers.register(transitions.SNOOZE_EXPIRY_JOB, expire_snooze)
