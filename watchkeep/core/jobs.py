"""The core's own outbox job: the snooze timer."""

from __future__ import annotations

from watchkeep.core import transitions
from watchkeep.outbox import JobKind
from watchkeep.worker.handlers import Handlers, JobContext


def expire_snooze(context: JobContext) -> None:
    with context.transaction() as session:
        transitions.expire_snooze(
            session, context.job.payload["incident_id"], now=context.clock.now()
        )


def register_core_jobs(handlers: Handlers) -> None:
    handlers.register(JobKind.SNOOZE_EXPIRED, expire_snooze)
