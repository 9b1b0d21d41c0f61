"""What other packages may ask of the outbox, as named questions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from watchkeep.outbox.kinds import JobKind
from watchkeep.outbox.models import OutboxRow, OutboxState


def pending_count(
    session: Session, *, family: str | None = None, kind: JobKind | None = None
) -> int:
    """Rows waiting to run: of every kind, of one family (`slack`, `timer`) or one kind."""
    return _count(session, OutboxState.PENDING, family, kind)


def failed_count(
    session: Session, *, family: str | None = None, kind: JobKind | None = None
) -> int:
    """Rows that gave up and wait for an operator."""
    return _count(session, OutboxState.FAILED, family, kind)


def _count(session: Session, state: OutboxState, family: str | None, kind: JobKind | None) -> int:
    query = select(func.count()).where(OutboxRow.state == state)
    if family:
        query = query.where(OutboxRow.kind.startswith(f"{family}."))
    if kind:
        query = query.where(OutboxRow.kind == kind)
    return session.scalar(query) or 0


def has_pending(session: Session, kind: JobKind, ordering_key: str) -> bool:
    """A row of `kind` with this key still waits (or runs)."""
    return _exists(session, kind, ordering_key, unstarted=False)


def has_unstarted(session: Session, kind: JobKind, ordering_key: str) -> bool:
    """A row of `kind` with this key waits and no worker has begun it: work enqueued
    now may rely on it to run later (coalescing)."""
    return _exists(session, kind, ordering_key, unstarted=True)


def _exists(session: Session, kind: JobKind, ordering_key: str, *, unstarted: bool) -> bool:
    conditions = [
        OutboxRow.kind == kind,
        OutboxRow.ordering_key == ordering_key,
        OutboxRow.state == OutboxState.PENDING,
    ]
    if unstarted:
        conditions.append(OutboxRow.locked_by.is_(None))
    return bool(session.scalar(select(exists().where(*conditions))))


def still_to_run(session: Session, ids: Sequence[int], now: datetime) -> set[int]:
    """Of these rows, those that will still run: pending, and not held by a worker
    whose lease has run out (it died; the row runs again only after that)."""
    if not ids:
        return set()
    query = select(OutboxRow.id).where(
        OutboxRow.id.in_(ids),
        OutboxRow.state == OutboxState.PENDING,
        or_(OutboxRow.locked_by.is_(None), OutboxRow.locked_until >= now),
    )
    return set(session.scalars(query))


def counts_by_state(session: Session, key_prefix: str) -> dict[OutboxState, int]:
    """Pending and failed rows whose ordering key starts with `key_prefix`."""
    rows = session.execute(
        select(OutboxRow.state, func.count())
        .where(OutboxRow.ordering_key.startswith(key_prefix))
        .group_by(OutboxRow.state)
    )
    counts = dict.fromkeys(OutboxState, 0)
    counts.update(dict(rows.all()))
    return counts


@dataclass(frozen=True)
class Backlog:
    """One kind's rows: due now and waiting, due later (timers), failed; and since
    when the oldest due row has waited."""

    kind: str
    due: int
    scheduled: int
    failed: int
    oldest_due_at: datetime | None


def backlog(session: Session, now: datetime) -> list[Backlog]:
    """Every kind with rows, as one grouped query (for `/metrics`)."""
    is_due = OutboxRow.due_at <= now
    pending = OutboxRow.state == OutboxState.PENDING
    query = select(
        OutboxRow.kind,
        func.count().filter(pending, is_due),
        func.count().filter(pending, ~is_due),
        func.count().filter(OutboxRow.state == OutboxState.FAILED),
        func.min(OutboxRow.due_at).filter(pending, is_due),
    ).group_by(OutboxRow.kind)
    return [Backlog(*row) for row in session.execute(query)]
