"""Group commit: requests queue their command; a writer thread applies all that wait, together.

A storm arrives as many small requests at once. Run each in its own thread and
transaction, and they queue on the same rows and locks (SQLite's one writer,
PostgreSQL's hot rows) and pay a commit each, a disk flush on PostgreSQL. Here
they wait in a queue instead; a writer thread takes all that are waiting (up to
`max_batch`) and hands them to `apply_batch`, which applies them in one
transaction and answers one outcome per command (its result, or the exception
that refused it), so a batch pays one commit and no lock is fought over inside
the process.

Guarantees, whatever `apply_batch` does:
- an answer is handed back only after `apply_batch` returned, that is after its
  transaction committed: a crash mid-batch loses only unanswered commands;
- should the batch fail as a whole (a database error, a deadlock), each of its
  commands is run again alone, so one cannot fail the others; unless the
  connection was lost during its COMMIT (`CommitOutcomeUnknownError`), when
  the batch may have been applied and every command is answered so.

`lanes` writer threads may run at once (PostgreSQL, whose row locks let them).
A command with a `key` always goes to the same lane, so two commands on one row
never meet in two concurrent batches (no deadlock between lanes); commands
without a key take turns over the lanes. A lane's thread ends after
`idle_seconds` without work and starts again with its next command.

Callers on an event loop `await apply(...)`; threads call `run(...)`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from watchkeep.db.engine import CommitOutcomeUnknownError

log = logging.getLogger(__name__)

C = TypeVar("C")
R = TypeVar("R")

Outcome = Any  # a command's result, or the BaseException that refused it
BatchApplier = Callable[[list[C]], Sequence[Any]]


@dataclass(frozen=True)
class _Job(Generic[C]):
    command: C
    # An event loop's future, or a thread's (then `loop` is None).
    answer: asyncio.Future | concurrent.futures.Future
    loop: asyncio.AbstractEventLoop | None


class _Lane(Generic[C]):
    def __init__(self, group: GroupCommit, name: str) -> None:
        self.group = group
        self.name = name
        self.queue: queue.SimpleQueue[_Job[C]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def put(self, job: _Job[C]) -> None:
        self.queue.put(job)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                batch = [self.queue.get(timeout=self.group.idle_seconds)]
            except queue.Empty:
                with self._lock:
                    # A command queued before the lock was taken is still ours to run.
                    if self.queue.empty():
                        self._thread = None
                        return
                continue
            while len(batch) < self.group.max_batch:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                answers = self.group.run_batch([job.command for job in batch])
            except Exception as exc:  # a broken applier must not strand its callers
                answers = [exc] * len(batch)
            _answer(batch, answers)


class GroupCommit(Generic[C, R]):
    def __init__(
        self,
        apply_batch: BatchApplier[C],
        *,
        name: str = "watchkeep-writer",
        max_batch: int = 64,
        idle_seconds: float = 5.0,
        lanes: int = 1,
    ) -> None:
        self.apply_batch = apply_batch
        self.max_batch = max_batch
        self.idle_seconds = idle_seconds
        self._lanes = [_Lane(self, f"{name}-{n}") for n in range(max(1, lanes))]
        self._turns = itertools.count()

    async def apply(self, command: C, *, key: int | None = None) -> R:
        """The command's result once committed; raises what refused it."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future = loop.create_future()
        self._lane(key).put(_Job(command, answer, loop))
        return await answer

    def run(self, command: C, *, key: int | None = None) -> R:
        """`apply` for a caller in a thread (a sync route in the threadpool)."""
        answer: concurrent.futures.Future = concurrent.futures.Future()
        self._lane(key).put(_Job(command, answer, None))
        return answer.result()

    def run_batch(self, commands: list[C]) -> list[Outcome]:
        """One outcome per command; a batch that fails whole runs again one by one."""
        try:
            outcomes = list(self.apply_batch(commands))
        except CommitOutcomeUnknownError as exc:
            # The batch may have been applied: running it again could apply it twice.
            return [exc] * len(commands)
        except Exception as exc:
            if len(commands) == 1:
                return [exc]
            log.warning("batch of %d commands failed (%s); running each alone", len(commands), exc)
            return [self.run_batch([command])[0] for command in commands]
        if len(outcomes) != len(commands):
            raise RuntimeError(f"{len(outcomes)} outcomes for {len(commands)} commands")
        return outcomes

    def _lane(self, key: int | None) -> _Lane[C]:
        turn = next(self._turns) if key is None else key
        return self._lanes[turn % len(self._lanes)]


def _answer(batch: list[_Job], outcomes: list[Outcome]) -> None:
    """Hand each outcome back: to threads at once, to each event loop once per batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Job, Outcome]]] = {}
    for job, outcome in zip(batch, outcomes, strict=True):
        if job.loop is None:
            _settle_one(job, outcome)
        else:
            by_loop.setdefault(job.loop, []).append((job, outcome))
    for loop, settled in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, settled)
        except RuntimeError:
            log.warning("an event loop closed before its %d answers", len(settled))


def _settle(settled: list[tuple[_Job, Outcome]]) -> None:
    for job, outcome in settled:
        _settle_one(job, outcome)


def _settle_one(job: _Job, outcome: Outcome) -> None:
    if job.answer.done():  # the client went away and the request was cancelled
        return
    if isinstance(outcome, BaseException):
        job.answer.set_exception(outcome)
    else:
        job.answer.set_result(outcome)
