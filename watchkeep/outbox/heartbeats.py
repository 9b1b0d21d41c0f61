"""Workers' heartbeats: each running worker stamps its row every few seconds, so
`/readyz` can tell whether anything drains the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from watchkeep.outbox.models import WorkerHeartbeat

# A worker silent this long is gone for good: its row is cleared by the others.
FORGET_AFTER = timedelta(days=1)


def beat(session: Session, worker_id: str, now: datetime) -> None:
    """Say `worker_id` is alive at `now` (and forget long-dead workers)."""
    stamped = session.execute(
        update(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id).values(seen_at=now)
    ).rowcount
    if not stamped:
        session.execute(insert(WorkerHeartbeat).values(worker_id=worker_id, seen_at=now))
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.seen_at < now - FORGET_AFTER))


def stop(session: Session, worker_id: str) -> None:
    """A worker that stops cleanly says so at once."""
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))


def latest(session: Session) -> datetime | None:
    """When the most recent heartbeat of any worker was, or None if none ever beat."""
    return session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
