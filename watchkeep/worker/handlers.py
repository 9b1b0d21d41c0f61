"""The handler contract: what a job handler gets, and how it says "later" or "never"."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from watchkeep.clock import Clock
from watchkeep.db.engine import Database
from watchkeep.outbox import store
from watchkeep.outbox.kinds import JobKind
from watchkeep.outbox.store import Job


class RetryLater(Exception):
    """A transient failure (5xx, timeout, 429) or a booked later slot: try again,
    without limit of attempts. `payload`, if given, replaces the row's payload so
    the next run remembers what this one learnt (such as a booked slot)."""

    def __init__(
        self,
        reason: str,
        *,
        after_seconds: float | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(reason)
        self.after_seconds = after_seconds
        self.payload = payload


class PermanentFailure(Exception):
    """Retrying cannot help (a channel that does not exist, a revoked token)."""


class LeaseLostError(Exception):
    """Another worker took this row over after our lease expired."""


@dataclass
class JobContext:
    """What a handler may use while it runs one job."""

    job: Job
    db: Database
    clock: Clock
    completed: bool = field(default=False, init=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction that also completes the job.

        The handler's writes and the removal of its row commit together, so a
        handler that only changes the database runs exactly once.
        """
        with self.db.write() as session:
            yield session
            if not store.complete(session, self.job):
                raise LeaseLostError(f"outbox row {self.job.id} was taken over")
        self.completed = True


Handler = Callable[[JobContext], None]
# Database-only work on many jobs at once, inside the transaction that completes them.
BatchHandler = Callable[[Session, list[Job], datetime], None]


class Handlers:
    """Job kinds and the function that runs each, assembled at start-up."""

    def __init__(self) -> None:
        self._by_kind: dict[str, Handler] = {}
        self._batches: dict[str, BatchHandler] = {}

    def register(self, kind: JobKind, handler: Handler) -> None:
        if kind in self._by_kind:
            raise ValueError(f"a handler for {kind!r} is already registered")
        self._by_kind[kind] = handler

    def register_batch(self, kind: JobKind, handler: BatchHandler) -> None:
        """A handler that only writes to the database: the worker runs a whole
        claimed batch of `kind` in one transaction (and each job alone if that fails)."""

        def one(context: JobContext) -> None:
            with context.transaction() as session:
                handler(session, [context.job], context.clock.now())

        self.register(kind, one)
        self._batches[kind] = handler

    def get(self, kind: str) -> Handler | None:
        return self._by_kind.get(kind)

    def get_batch(self, kind: str) -> BatchHandler | None:
        return self._batches.get(kind)
