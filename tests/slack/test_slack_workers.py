"""Several workers, and workers that die: nothing lost, doubles rare and counted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from watchkeep.core import incidents, services, transitions
from watchkeep.core.actors import Actor
from watchkeep.core.models import Incident, Source, Urgency
from watchkeep.db.engine import Database
from watchkeep.fakeslack import FakeSlackServer, SlackState, Workspace
from watchkeep.outbox import JobKind, queries, store
from watchkeep.outbox.models import OutboxRow, OutboxState
from watchkeep.runtime import Runtime
from watchkeep.slack import workspaces
from watchkeep.slack.models import SlackMessageRef
from watchkeep.slack.workspaces import CheckedToken
from watchkeep.worker.loop import Worker, WorkerOptions

from support import Delivery, FrozenClock

RESPONDER = Actor(name="Rita", source=Source.API)


def connect(runtime: Runtime, team: Workspace) -> None:
    with runtime.db.write() as session:
        workspace = workspaces.store_token(
            session, runtime.secrets, CheckedToken(team.token), now=runtime.clock.now()
        )
        workspaces.update_preferences(
            workspace, {"default_channel": "#incidents"}, now=runtime.clock.now()
        )


def open_incidents(
    runtime: Runtime, slack: SlackState, team: Workspace, *, channels: int, per_channel: int
) -> list[int]:
    ids = []
    now = runtime.clock.now()
    with runtime.db.write() as session:
        for c in range(channels):
            slack.add_channel(team, f"svc-{c}")
            service = services.create_service(
                session, name=f"svc-{c}", slack_channel=f"#svc-{c}", now=now
            )
            for i in range(per_channel):
                incident, _ = incidents.create_incident(
                    session,
                    title=f"svc-{c} alert {i}",
                    service_id=service.id,
                    urgency=Urgency.HIGH,
                    actor=RESPONDER,
                    now=now,
                )
                ids.append(incident.id)
    return ids


def messages_by_title(slack: SlackState, team: Workspace, channels: int) -> Counter:
    titles: Counter = Counter()
    for c in range(channels):
        for message in slack.messages_in(f"#svc-{c}"):
            titles[message.text.split(" ", 2)[2].rsplit(" (", 1)[0]] += 1
    return titles


def titles_in_flight(runtime: Runtime) -> set[str]:
    """Incidents whose announcement a worker had claimed and not finished."""
    with runtime.db.read() as session:
        claimed = session.scalars(
            select(OutboxRow).where(
                OutboxRow.kind == JobKind.SLACK_POST,
                OutboxRow.state == OutboxState.PENDING,
                OutboxRow.locked_by.is_not(None),
            )
        )
        return {session.get(Incident, row.payload["incident_id"]).title for row in claimed}


@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_three_workers_on_postgresql_deliver_2000_notifications_none_lost_none_doubled(
    pg_runtime: Runtime, slack: SlackState, team: Workspace, clock: FrozenClock
) -> None:
    runtime = pg_runtime
    connect(runtime, team)
    ids = open_incidents(runtime, slack, team, channels=50, per_channel=10)
    with runtime.db.write() as session:
        for incident_id in ids:
            transitions.acknowledge(session, incident_id, RESPONDER, now=clock.now())
            transitions.resolve(session, incident_id, RESPONDER, now=clock.now(), note="ok")
    workers = [
        Worker(Database(runtime.db.url), runtime.handlers, clock, WorkerOptions(threads=4))
        for _ in range(3)
    ]
    for _ in range(5000):
        threads = [threading.Thread(target=worker.drain) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with runtime.db.read() as session:
            if queries.pending_count(session) == 0:
                break
            due = store.next_due_at(session)
        # Big steps: this story is about loss and doubles, not pacing (tested elsewhere).
        clock.advance(seconds=max(10.0, (due - clock.now()).total_seconds()))
    notifications = slack.calls("chat.postMessage") + slack.calls("chat.update")
    assert len(notifications) >= 2000
    assert all(call.ok for call in notifications)
    posted = messages_by_title(slack, team, 50)
    assert len(posted) == 500, "every incident announced"
    assert set(posted.values()) == {1}, "no incident announced twice"
    replies = Counter(
        (call.params["channel"], call.params["thread_ts"])
        for call in slack.calls("chat.postMessage")
        if call.params.get("thread_ts")
    )
    assert len(replies) == 500
    assert set(replies.values()) == {2}, "each thread has its acknowledgement and resolution"
    with runtime.db.read() as session:
        assert queries.failed_count(session) == 0


def test_a_worker_killed_while_slack_answers_late_loses_nothing_and_doubles_nothing(
    runtime: Runtime,
    slack: SlackState,
    team: Workspace,
    clock: FrozenClock,
    deliver: Delivery,
    slack_server: FakeSlackServer,
) -> None:
    connect(runtime, team)
    deliver()  # auth.test
    open_incidents(runtime, slack, team, channels=6, per_channel=10)
    deliver.worker.run_once()  # events fan out into post jobs; nobody has posted yet
    # Slack keeps each message at once and answers 1.5 s later: killed in between, a
    # worker never learns that its message exists.
    slack.faults.answer_late_next("chat.postMessage", 1.5, times=60)
    env = {
        **os.environ,
        "WATCHKEEP_DATABASE_URL": runtime.db.url,
        "WATCHKEEP_SECRET_KEY": runtime.settings.secret_key,
        "WATCHKEEP_SLACK_API_URL": slack_server.url,
        "WATCHKEEP_WORKER_LEASE_SECONDS": "30",
        "WATCHKEEP_DATA_DIR": str(runtime.settings.data_dir),
    }
    # The doomed worker runs on real time; the fake Slack must too while it runs.
    slack.clock = type("Wall", (), {"now": staticmethod(time.time)})()
    worker = subprocess.Popen(
        [sys.executable, "-m", "watchkeep", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def stored() -> int:
        return sum(len(slack.messages_in(f"#svc-{c}")) for c in range(6))

    try:
        deadline = time.monotonic() + 60
        # Kill once a few messages went out and one more is kept but not yet answered.
        while len(slack.calls("chat.postMessage")) < 3 or stored() == len(
            slack.calls("chat.postMessage")
        ):
            assert worker.poll() is None, "the worker died on its own"
            assert time.monotonic() < deadline, "the worker never got going"
            time.sleep(0.01)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    assert titles_in_flight(runtime), "killed while a job was running"
    # Past the dead worker's leases (it used real time), another worker finishes the job.
    later = datetime.now(UTC).timestamp() + 31 - clock.now().timestamp()
    clock.advance(seconds=later)
    slack.faults.clear()
    deliver()
    posted = messages_by_title(slack, team, 6)
    assert len(posted) == 60, "nothing lost"
    assert set(posted.values()) == {1}, "the jobs taken over found their messages in history"
    with runtime.db.read() as session:
        refs = session.scalars(select(SlackMessageRef)).all()
    assert {ref.ts for ref in refs} == {
        message.ts for c in range(6) for message in slack.messages_in(f"#svc-{c}")
    }, "Watchkeep links to the one copy of each message"
