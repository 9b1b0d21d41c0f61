"""Incident changes by people (API, web, Slack), applied through a group commit.

A storm of clicks is many small write transactions on a few hot rows. Each
request instead queues its change (a function of the session, such as
`transitions.acknowledge` with its arguments bound) on `Changes`; a writer
thread applies all that are waiting in one transaction (`watchkeep.db.group`)
and answers each request with its own result once that transaction committed.

Each change runs in its own SAVEPOINT, so one that the domain refuses (an
incident already resolved, bad input) is rolled back alone and answered with
its refusal, while the rest of the batch commits. Any other failure fails the
batch, which then runs again one change at a time.

On SQLite there is one writer; on PostgreSQL several (`lanes`) run at once, as
row locks let them, and a change names its incident so that all changes of one
incident go through the same writer, in order. Changes that name none (new
incidents) share one writer: they all take the incident counter's row lock, so
spread over several they would only wait on each other's commits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from watchkeep import logs
from watchkeep.core.errors import DomainError
from watchkeep.db import engine
from watchkeep.db.engine import Database
from watchkeep.db.group import GroupCommit

T = TypeVar("T")
Change = Callable[[Session], Any]

# PostgreSQL: enough writers to keep its round trips overlapped on a small machine.
POSTGRES_LANES = 4


class Changes:
    def __init__(self, db: Database, *, lanes: int | None = None, max_batch: int = 64) -> None:
        self.db = db
        lanes = lanes if lanes is not None else (1 if db.is_sqlite else POSTGRES_LANES)
        self._group: GroupCommit[Change, Any] = GroupCommit(
            self.apply_batch, name="watchkeep-changes", lanes=lanes, max_batch=max_batch
        )

    async def apply(self, change: Callable[[Session], T], *, incident_id: int | None = None) -> T:
        """`change`'s result, once committed; raises the DomainError that refused it."""
        result = await self._group.apply(_in_this_request(change), key=incident_id or 0)
        engine.note_effect()  # committed: the request must never run again
        return result

    def run(self, change: Callable[[Session], T], *, incident_id: int | None = None) -> T:
        """`apply` for a caller in a thread."""
        result = self._group.run(_in_this_request(change), key=incident_id or 0)
        engine.note_effect()
        return result

    def apply_batch(self, changes: list[Change]) -> list[Any]:
        """Each change's result or refusal, all from one transaction."""
        outcomes: list[Any] = []
        with self.db.write() as session:
            for change in changes:
                try:
                    with session.begin_nested():
                        outcomes.append(change(session))
                except DomainError as exc:
                    outcomes.append(exc)
        return outcomes


def _in_this_request(change: Callable[[Session], T]) -> Callable[[Session], T]:
    """`change`, run on the writer thread as part of the request that queued it, so the
    outbox rows it enqueues carry that request's id."""
    request_id = logs.current_request_id()

    def bound(session: Session) -> T:
        with logs.bound_request_id(request_id):
            return change(session)

    return bound
