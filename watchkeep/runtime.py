"""The composition root: settings, database, clock, jobs and worker, built once."""

from __future__ import annotations

from dataclasses import dataclass, field

from watchkeep.clock import Clock, SystemClock
from watchkeep.config import Settings
from watchkeep.core.commands import Changes
from watchkeep.core.jobs import register_core_jobs
from watchkeep.crypto import SecretBox
from watchkeep.db.engine import Database
from watchkeep.oncall.handoffs import Handoffs
from watchkeep.oncall.wiring import register_oncall
from watchkeep.outbox import JobKind
from watchkeep.outbox.bus import EventBus
from watchkeep.runbooks.wiring import register_runbooks
from watchkeep.slack import usergroups
from watchkeep.slack.adapter import SlackAdapter
from watchkeep.worker.handlers import Handlers
from watchkeep.worker.loop import Worker, WorkerOptions


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    secrets: SecretBox
    slack: SlackAdapter
    # People's incident changes (API, web, Slack), group-committed.
    changes: Changes
    handlers: Handlers = field(default_factory=Handlers)
    bus: EventBus = field(default_factory=EventBus)
    # Followers of schedules' handoffs (on-call user groups).
    handoffs: Handoffs = field(default_factory=Handoffs)

    def worker(self) -> Worker:
        s = self.settings
        options = WorkerOptions(
            threads=s.worker_threads,
            batch=s.worker_batch,
            poll_seconds=s.worker_poll_seconds,
            lease_seconds=s.worker_lease_seconds,
            max_attempts=s.worker_max_attempts,
            heartbeat_seconds=s.worker_heartbeat_seconds,
        )
        return Worker(self.db, self.handlers, self.clock, options)


def build_runtime(settings: Settings, *, clock: Clock | None = None) -> Runtime:
    # Resolved now so that the first start keeps one key in the data folder for good.
    secrets = SecretBox(settings.resolved_secret_key)
    db = Database(settings.resolved_database_url, pool_size=settings.db_pool_size)
    clock = clock or SystemClock()
    runtime = Runtime(
        settings=settings,
        db=db,
        clock=clock,
        secrets=secrets,
        slack=SlackAdapter(settings, secrets, db, clock),
        changes=Changes(db),
    )
    runtime.handlers.register_batch(JobKind.EVENT, runtime.bus.dispatch)
    register_core_jobs(runtime.handlers)
    runtime.slack.register(runtime.handlers, runtime.bus)
    register_oncall(runtime)
    runtime.handoffs.subscribe(usergroups.on_handoff)
    register_runbooks(runtime, runtime.slack.runbook_steps, runtime.slack.delivery.job)
    return runtime
