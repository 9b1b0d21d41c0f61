"""The escalation sweep: 10,000 open incidents whose next step falls due at once.

Triggers the incidents on a service whose policy pages a user, then a
schedule; lets a worker fan out the triggers and page step 1 (timed too), then
moves the clock past the step delay and times one worker paging step 2 for all
of them: each a timer row, whoever is on call on the schedule, a timeline
entry, an `incident.escalated` event and that event's fan-out. On SQLite,
then on PostgreSQL when one answers. Prints the rate and the sweep's wall time
beside the aim (10,000 steps paged within 30 s, so a page is never more than
half a minute late) as ratios.

    .venv/bin/python bench/escalation_sweep.py [--incidents 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from watchkeep.config import Settings
from watchkeep.core import accounts, services
from watchkeep.core.actors import Actor
from watchkeep.core.incidents import create_incident
from watchkeep.core.models import Role, TimelineEvent, Urgency
from watchkeep.db.engine import Database
from watchkeep.db.migrate import upgrade
from watchkeep.oncall import policies, schedules
from watchkeep.oncall.policies import StepSpec, TargetSpec
from watchkeep.runtime import build_runtime

from common import postgres_database

AIM_SWEEP_SECONDS = 30.0
AIM_INCIDENTS = 10_000
# Issue 18: every first responder of a 10,000-incident storm paged within 10 s.
AIM_FAN_OUT_RATE = 1000.0


class BenchClock:
    def __init__(self) -> None:
        self._now = datetime(2026, 3, 2, 9, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


def run(label: str, url: str, data_dir: Path, incidents: int) -> None:
    upgrade(Database(url))
    clock = BenchClock()
    settings = Settings(data_dir=data_dir, database_url=url, secret_key="bench")
    runtime = build_runtime(settings, clock=clock)
    now = clock.now()
    with runtime.db.write() as session:
        users = [
            accounts.create_user(
                session, email=f"u{i}@example.com", name=f"U{i}", role=Role.RESPONDER, now=now
            )
            for i in range(4)
        ]
        layer = schedules.LayerSpec("Daily", [u.id for u in users], 24, now - timedelta(days=3))
        schedule = schedules.create_schedule(
            session, name="Primary", time_zone="Europe/Berlin", layers=[layer], now=now
        )
        steps = [
            StepSpec(10, [TargetSpec("user", users[0].id)]),
            StepSpec(10, [TargetSpec("schedule", schedule.id)]),
        ]
        policy = policies.create_policy(session, name="P", steps=steps, now=now)
        service = services.create_service(session, name="bench", now=now)
        policies.assign_policy(session, service, policy.id)
        service_id = service.id
    for first in range(0, incidents, 500):
        with runtime.db.write() as session:
            for n in range(first, min(incidents, first + 500)):
                create_incident(
                    session,
                    title=f"bench {n}",
                    service_id=service_id,
                    urgency=Urgency.HIGH,
                    actor=Actor.system(),
                    now=now,
                )
    worker = runtime.worker()
    started = time.perf_counter()
    jobs = worker.drain(max_rounds=100_000)
    triggered = time.perf_counter() - started
    clock.advance(timedelta(minutes=10))
    started = time.perf_counter()
    swept_jobs = worker.drain(max_rounds=100_000)
    sweep = time.perf_counter() - started
    worker.stop()
    with runtime.db.read() as session:
        paged = session.scalar(select(func.count()).where(TimelineEvent.type == "escalated"))
    if paged != 2 * incidents:
        raise RuntimeError(f"expected {2 * incidents} escalations, found {paged}")
    # Scale to the aim's size so that a smaller --incidents run still compares fairly.
    scaled = sweep * AIM_INCIDENTS / incidents
    print(
        f"{label:11} trigger fan-out + step 1: {jobs:6d} jobs {triggered:6.2f} s "
        f"({incidents / triggered:7.0f} incidents/s)   rate/aim "
        f"{incidents / triggered / AIM_FAN_OUT_RATE:4.2f} (aim ≥ 1)"
    )
    print(
        f"{label:11} sweep (step 2):           {swept_jobs:6d} jobs {sweep:6.2f} s "
        f"({incidents / sweep:7.0f} steps/s)   time/aim {scaled / AIM_SWEEP_SECONDS:4.2f}"
    )
    runtime.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=AIM_INCIDENTS)
    parser.add_argument("--database", choices=["both", "sqlite", "postgresql"], default="both")
    args = parser.parse_args()
    print(
        f"{args.incidents} open incidents; aim: {AIM_INCIDENTS} due steps paged within "
        f"{AIM_SWEEP_SECONDS:.0f} s by one worker"
    )
    if args.database != "postgresql":
        with tempfile.TemporaryDirectory() as data_dir:
            url = f"sqlite:///{Path(data_dir) / 'bench.db'}"
            run("sqlite", url, Path(data_dir), args.incidents)
    if args.database == "sqlite":
        return
    with postgres_database() as url, tempfile.TemporaryDirectory() as data_dir:
        if url:
            run("postgresql", url, Path(data_dir), args.incidents)


if __name__ == "__main__":
    main()
