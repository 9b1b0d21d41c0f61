"""A worker process killed mid-row: the row survives and another worker runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from watchkeep.db.engine import Database
from watchkeep.outbox import store
from watchkeep.outbox.models import OutboxRow, OutboxState
from watchkeep.worker.handlers import Handlers, JobContext
from watchkeep.worker.loop import Worker

from support import FrozenClock

LEASE_SECONDS = 30

DOOMED_WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from watchkeep.clock import SystemClock
    from watchkeep.db.engine import Database
    from watchkeep.worker.handlers import Handlers
    from watchkeep.worker.loop import Worker, WorkerOptions

    url, marker, lease = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])

    def hang(context):
        marker.write_text(str(context.job.id))
        time.sleep(600)

    handlers = Handlers()
    handlers.register("test.slow", hang)
    Worker(Database(url), handlers, SystemClock(), WorkerOptions(lease_seconds=lease)).run_once()
    """
)


def test_a_killed_worker_leaves_its_row_to_be_retried(any_db_url: str, tmp_path: Path) -> None:
    db = Database(any_db_url)
    with db.write() as session:
        store.enqueue(session, "test.slow", {"n": 1}, now=datetime.now(UTC))
    marker = tmp_path / "started"
    doomed = subprocess.Popen(
        [sys.executable, "-c", DOOMED_WORKER, any_db_url, str(marker), str(LEASE_SECONDS)]
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert doomed.poll() is None, "the doomed worker exited early"
            assert time.monotonic() < deadline, "the doomed worker never started its row"
            time.sleep(0.05)
    finally:
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait()

    with db.read() as session:
        [row] = session.scalars(select(OutboxRow)).all()
        assert row.state is OutboxState.PENDING
        assert row.locked_by is not None
        assert row.attempts == 1

    ran: list[int] = []

    def finish(context: JobContext) -> None:
        ran.append(context.job.attempts)

    handlers = Handlers()
    handlers.register("test.slow", finish)
    rescuer = Worker(db, handlers, FrozenClock(datetime.now(UTC)))
    assert rescuer.drain() == 0, "the lease is still live"
    after_lease = FrozenClock(datetime.now(UTC) + timedelta(seconds=LEASE_SECONDS + 1))
    assert Worker(db, handlers, after_lease).drain() == 1
    assert ran == [2]
    with db.read() as session:
        assert session.scalars(select(OutboxRow)).all() == []
    db.dispose()
