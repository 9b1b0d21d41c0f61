"""Runbooks against Slack's tier limits: 100 HIGH incidents, each starting a 5-step runbook
(create channel, invite 3, message, thread, topic).

The real runtime and worker drain the outbox against the fake Slack Web API on
loopback with its rate limits on (Slack's tiers: conversations.create and
setTopic Tier 2, 20 a minute; invite Tier 3; 1 message a second a channel).
Time is virtual and shared by both sides, as in the tests: the worker moves
the clock to each paced or retried row, so the run takes seconds of wall time
and what is measured is how well the pacing uses Slack's limits. Printed: the
virtual time until every run finished beside the shortest the fake's limits
allow (found by replaying its sliding windows), their ratio (1.0 = as fast as
Slack allows), 429s, duplicate channels and lost steps.

    .venv/bin/python bench/runbooks.py [--incidents 100]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from watchkeep.config import Settings
from watchkeep.core import incidents, services
from watchkeep.core.actors import Actor
from watchkeep.core.models import Urgency
from watchkeep.db.migrate import upgrade
from watchkeep.fakeslack import FakeSlackServer, RateLimitConfig, SlackState
from watchkeep.outbox import queries, store
from watchkeep.runbooks import catalog
from watchkeep.runbooks.models import RunbookRun, RunbookStepRun, RunStatus, StepStatus
from watchkeep.runtime import Runtime, build_runtime
from watchkeep.slack import workspaces
from watchkeep.slack.workspaces import CheckedToken

os.environ["NO_PROXY"] = "127.0.0.1,localhost"
STEPS = 5


class VirtualClock:
    """Watchkeep's clock; the fake Slack reads the same time as a float."""

    def __init__(self) -> None:
        self._now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)


class SlackSide:
    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock

    def now(self) -> float:
        return self.clock.now().timestamp()


def runbook(invitees: list[str]) -> dict:
    return {
        "name": "war room",
        "trigger": {"events": ["incident.triggered"], "conditions": {"urgency": ["HIGH"]}},
        "steps": [
            {"Operation": "Create Channel", "Name": "incident-[incident.id]"},
            {"Operation": "Invite Users", "AddUsers": invitees},
            {"Operation": "Send Message", "Message": "🚨 [incident.title]"},
            {"Operation": "Create Thread", "Message": "Updates", "ThreadUpdates": True},
            {"Operation": "Set Topic", "Topic": "[incident.title] ([incident.status])"},
        ],
    }


def ideal_seconds(count: int, state: SlackState) -> float:
    """The fake's limits replayed: each Tier-2 method lets `limit` calls through a minute,
    so the last of `count` creates (and topics, one per channel) goes at this time."""
    slowest = min(
        state.rate_limits.config.limit_for(m) or 10**9
        for m in ("conversations.create", "conversations.setTopic")
    )
    return (count - 1) // slowest * 60.0


def drive(runtime: Runtime, clock: VirtualClock, rounds: int = 100_000) -> None:
    worker = runtime.worker()
    for _ in range(rounds):
        worker.drain()
        with runtime.db.read() as session:
            if queries.pending_count(session) == 0:
                return
            due = store.next_due_at(session)
        if due is not None and due > clock.now():
            clock.advance((due - clock.now()).total_seconds())
    raise RuntimeError("the outbox never emptied")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=100)
    args = parser.parse_args()
    clock = VirtualClock()
    state = SlackState(clock=SlackSide(clock), rate_limits=RateLimitConfig(enabled=True))
    with FakeSlackServer(state) as slack, tempfile.TemporaryDirectory() as folder:
        team = state.create_workspace("Bench Corp")
        invitees = [state.add_user(team, f"responder{n}").id for n in range(3)]
        settings = Settings(
            data_dir=Path(folder) / "data",
            database_url=f"sqlite:///{folder}/bench.db",
            base_url="https://watchkeep.example.com",
            secret_key="bench",
            slack_api_url=slack.url,
            worker_threads=4,
        )
        runtime = build_runtime(settings, clock=clock)
        upgrade(runtime.db)
        with runtime.db.write() as session:
            workspaces.store_token(
                session, runtime.secrets, CheckedToken(team.token), now=clock.now()
            )
            service = services.create_service(session, name="checkout", now=clock.now())
            catalog.create_runbook(session, runbook(invitees), user_id=None, now=clock.now())
        drive(runtime, clock)  # auth.test: the workspace learns its team and bot
        start, wall = clock.now(), time.perf_counter()
        for n in range(args.incidents):
            with runtime.db.write() as session:
                incidents.create_incident(
                    session,
                    title=f"storm-{n:04d}",
                    service_id=service.id,
                    urgency=Urgency.HIGH,
                    actor=Actor.system(),
                    now=clock.now(),
                )
        drive(runtime, clock)
        with runtime.db.read() as session:
            finished = session.scalar(select(func.max(RunbookRun.finished_at)))
            done = session.scalar(
                select(func.count()).where(RunbookRun.status == RunStatus.SUCCEEDED)
            )
            steps_done = session.scalar(
                select(func.count()).where(RunbookStepRun.status == StepStatus.SUCCEEDED)
            )
        wall = time.perf_counter() - wall
        created = Counter(
            c.params.get("name")
            for c in state.calls("conversations.create")
            if isinstance(c.response, dict) and c.response.get("ok")
        )
        channels = [c for c in state.channels.values() if c.name.startswith("incident-")]
        actual = (finished - start).total_seconds() if finished else float("inf")
        ideal = ideal_seconds(args.incidents, state)
        throttled = Counter(c.method for c in state.calls() if c.status == 429)
        print(f"incidents: {args.incidents}, runs succeeded: {done}")
        print(
            f"virtual time to finish all runs: {actual:.1f} s "
            f"(ideal by Slack's limits: {ideal:.1f} s)"
        )
        print(f"ratio ideal/actual: {ideal / actual:.3f}")
        print(f"429s from the fake: {dict(throttled) or 0}")
        doubled = sum(count - 1 for count in created.values())
        print(f"duplicate channels: {len(channels) - args.incidents + doubled}")
        print(f"lost steps: {args.incidents * STEPS - steps_done}")
        print(f"wall time: {wall:.1f} s")
        runtime.db.dispose()


if __name__ == "__main__":
    main()
