"""Outbox operations: enqueue in the caller's transaction; claim, complete, retry, fail.

Rows sharing an ordering key run one at a time, in id order; a claimed row is
leased, so a worker that dies mid-row gives it back when its lease runs out.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    bindparam,
    case,
    delete,
    event,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, aliased

from watchkeep import logs
from watchkeep.db.engine import OUTBOX_TOUCHED
from watchkeep.outbox.kinds import JobKind
from watchkeep.outbox.models import OutboxRow, OutboxState

_outbox = OutboxRow.__table__
_INSERT = insert(_outbox)
_INSERT_ANSWERING_ID = _INSERT.returning(_outbox.c.id)
_COMPLETE = delete(_outbox).where(
    _outbox.c.id.in_(bindparam("ids", expanding=True)),
    _outbox.c.locked_by.in_(bindparam("leases", expanding=True)),
)


@dataclass(frozen=True)
class Job:
    """A claimed row, as handed to a handler."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    ordering_key: str | None
    lease: str
    created_at: datetime
    # The last worker to claim this row died (or hung) holding it: whatever it was
    # doing may or may not have happened, so a handler calling out checks first.
    taken_over: bool = False
    # The request whose change enqueued the row, so the worker's log lines name it.
    request_id: str | None = None


def _first_of_its_key() -> ColumnElement[bool]:
    """No earlier pending row shares this row's ordering key."""
    earlier = aliased(OutboxRow)
    blocked = exists().where(
        earlier.ordering_key == OutboxRow.ordering_key,
        earlier.id < OutboxRow.id,
        earlier.state == OutboxState.PENDING,
    )
    return or_(OutboxRow.ordering_key.is_(None), ~blocked)


def enqueue(
    session: Session,
    kind: JobKind,
    payload: dict[str, Any],
    *,
    now: datetime,
    due_at: datetime | None = None,
    ordering_key: str | None = None,
) -> int:
    """Add a row in the caller's transaction: it exists exactly when the change commits.

    A plain INSERT rather than an ORM object: on the alert path an ORM flush for
    this one row cost more than the rest of the transaction. Answers the row's id.
    """
    values = _values(kind, payload, ordering_key, now=now, due_at=due_at)
    row_id = session.connection().execute(_INSERT_ANSWERING_ID, values).scalar_one()
    session.info[OUTBOX_TOUCHED] = True
    return row_id


def enqueue_many(
    session: Session,
    kind: JobKind,
    payloads: Sequence[tuple[dict[str, Any], str | None]],
    *,
    now: datetime,
) -> None:
    """`enqueue` for many (payload, ordering key) pairs, due now, in one multi-row INSERT."""
    if payloads:
        rows = [_values(kind, payload, key, now=now, due_at=None) for payload, key in payloads]
        session.connection().execute(_INSERT, rows)
        session.info[OUTBOX_TOUCHED] = True


def enqueue_with_commit(
    session: Session,
    kind: JobKind,
    payload: dict[str, Any],
    *,
    now: datetime,
    due_at: datetime | None = None,
) -> None:
    """`enqueue` of a row without ordering key whose id nobody needs (a timer), sent
    with the others of its transaction in one multi-row INSERT just before it commits:
    a batch of escalation steps or SLA targets costs one round trip, not one each.
    Not for work inside a SAVEPOINT that may roll back: the row would stay."""
    pending = session.info.get(_DEFERRED)
    if pending is None:
        pending = session.info[_DEFERRED] = []
        event.listen(session, "before_commit", _insert_deferred, once=True)
    pending.append(_values(kind, payload, None, now=now, due_at=due_at))
    session.info[OUTBOX_TOUCHED] = True


_DEFERRED = "watchkeep.outbox.deferred"


def _insert_deferred(session: Session) -> None:
    rows = session.info.pop(_DEFERRED, None)
    if rows:
        session.connection().execute(_INSERT, rows)


def _values(
    kind: JobKind,
    payload: dict[str, Any],
    ordering_key: str | None,
    *,
    now: datetime,
    due_at: datetime | None,
) -> dict[str, Any]:
    return {
        "kind": str(kind),
        "payload": payload,
        "ordering_key": ordering_key,
        "state": OutboxState.PENDING,
        "due_at": due_at or now,
        "attempts": 0,
        "created_at": now,
        # A request's change, or a job run for one, passes its id on to what it enqueues.
        "request_id": logs.current_request_id(),
    }


def claim(
    session: Session, *, now: datetime, limit: int, lease_seconds: float, worker_id: str
) -> list[Job]:
    """Lease up to `limit` due rows, at most one per ordering key.

    A row is due when it is pending, its time has come, its lease (if any) has
    expired, and no earlier pending row shares its ordering key. An expired
    lease is how a killed worker's row comes back.
    """
    query = (
        select(OutboxRow)
        .where(
            OutboxRow.state == OutboxState.PENDING,
            OutboxRow.due_at <= now,
            or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until < now),
            _first_of_its_key(),
        )
        .order_by(OutboxRow.due_at, OutboxRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboxRow)
    )
    jobs = []
    lease_until = now + timedelta(seconds=lease_seconds)
    for row in session.scalars(query):
        lease = f"{worker_id}:{uuid.uuid4().hex[:12]}"
        # A finished run deletes its row and a failed one clears the lease: a lease
        # still here has expired on a worker that never said how its run ended.
        taken_over = row.locked_by is not None
        row.locked_by = lease
        row.locked_until = lease_until
        row.attempts += 1
        jobs.append(
            Job(
                row.id,
                row.kind,
                dict(row.payload),
                row.attempts,
                row.ordering_key,
                lease,
                row.created_at,
                taken_over,
                row.request_id,
            )
        )
    return jobs


def complete(session: Session, job: Job) -> bool:
    """Delete a finished row; False if its lease was lost to another worker."""
    return complete_all(session, [job])


def complete_all(session: Session, jobs: Sequence[Job]) -> bool:
    """Delete finished rows in one statement; False if any lease was lost to another worker.

    Each lease is unique to its row, so matching ids and leases as two lists is
    matching them in pairs.
    """
    params = {"ids": [job.id for job in jobs], "leases": [job.lease for job in jobs]}
    return session.connection().execute(_COMPLETE, params).rowcount == len(jobs)


def update_payload(session: Session, job: Job, payload: dict[str, Any]) -> None:
    """Remember something in the row while its job runs (its lease must still hold)."""
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == job.id, OutboxRow.locked_by == job.lease)
        .values(payload=payload)
    )


def retry(
    session: Session,
    job: Job,
    *,
    due_at: datetime,
    error: str,
    payload: dict[str, Any] | None = None,
) -> None:
    """Release the lease and try again at `due_at`, keeping the error for operators."""
    values: dict[str, Any] = {
        "due_at": due_at,
        "locked_by": None,
        "locked_until": None,
        "last_error": error[:4000],
    }
    if payload is not None:
        values["payload"] = payload
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == job.id, OutboxRow.locked_by == job.lease)
        .values(**values)
    )


def postpone(session: Session, due: Mapping[int, datetime]) -> None:
    """Set the due times of rows enqueued in this transaction (nobody can hold them
    yet), by id, for work that learns when it may run only once it has its ids."""
    if due:
        rows = [{"id": row_id, "due_at": due_at} for row_id, due_at in due.items()]
        session.execute(update(OutboxRow), rows)


def hurry(session: Session, row_id: int, *, due_at: datetime) -> bool:
    """Bring a waiting row's due time forward to `due_at` (never back), unless a
    worker holds it now; answers whether it moved. For a handler that learns
    another row's turn has come sooner than it was told."""
    moved = session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.id == row_id,
            OutboxRow.state == OutboxState.PENDING,
            OutboxRow.locked_by.is_(None),
            OutboxRow.due_at > due_at,
        )
        .values(due_at=due_at)
    ).rowcount
    if moved:
        session.info[OUTBOX_TOUCHED] = True
    return bool(moved)


def fail(session: Session, job: Job, *, error: str) -> None:
    """Stop trying; the row stays, FAILED, with its error."""
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == job.id, OutboxRow.locked_by == job.lease)
        .values(
            state=OutboxState.FAILED, locked_by=None, locked_until=None, last_error=error[:4000]
        )
    )


def next_due_at(session: Session) -> datetime | None:
    """When the next row may be claimed, so an idle worker knows how long to sleep.

    Only the first row of each ordering key counts (the rest wait for it), at
    its due time or, while another worker holds it, when that lease runs out.
    """
    ready_at = case(
        (OutboxRow.locked_until > OutboxRow.due_at, OutboxRow.locked_until),
        else_=OutboxRow.due_at,
    )
    return session.scalar(
        select(func.min(ready_at)).where(
            OutboxRow.state == OutboxState.PENDING, _first_of_its_key()
        )
    )


def requeue_failed(session: Session, *, now: datetime, family: str | None = None) -> int:
    """Give failed rows (of every kind, or one family) another run, after an operator
    fixed the cause."""
    query = (
        update(OutboxRow)
        .where(OutboxRow.state == OutboxState.FAILED)
        .values(state=OutboxState.PENDING, due_at=now, attempts=0)
    )
    if family:
        query = query.where(OutboxRow.kind.startswith(f"{family}."))
    count = session.execute(query).rowcount
    if count:
        session.info[OUTBOX_TOUCHED] = True
    return count
