"""The `Database`: one engine, and short read or write transactions over it; and what a
retry of lost work needs to know (`Ledger`): whether anything may already have happened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

# Set by a writer that enqueued outbox rows, read after its commit to wake workers.
OUTBOX_TOUCHED = "watchkeep.outbox_touched"


class CommitOutcomeUnknownError(Exception):
    """The connection was lost while committing: the transaction may or may not have
    been applied, so it must not be run again blindly."""


@dataclass
class Ledger:
    """What a unit of work (one request) did that running it again would repeat."""

    # A COMMIT was sent, or something outside the database happened (a Slack call).
    effects: bool = False


_ledger: ContextVar[Ledger | None] = ContextVar("watchkeep_ledger", default=None)


@contextmanager
def ledger() -> Iterator[Ledger]:
    """Track, for the work done inside (threads it starts included), what it did."""
    current = Ledger()
    token = _ledger.set(current)
    try:
        yield current
    finally:
        _ledger.reset(token)


def note_effect() -> None:
    """Something outside the database happened: the work must not run again."""
    current = _ledger.get()
    if current is not None:
        current.effects = True


def lost_connection_before_commit(exc: BaseException) -> bool:
    """Whether `exc` is a connection lost mid-transaction, before any COMMIT was sent,
    so that nothing it did was applied."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class Database:
    """Owns the engine and hands out transactions.

    `write()` is for any transaction that may write: on SQLite it begins
    IMMEDIATE (taking the write lock up front, so a read-then-write never hits
    SQLITE_BUSY half way) and queues writers of this process on a lock, which
    hands over far faster than SQLite's sleeping busy handler. `read()` is a
    plain snapshot that never blocks writers.
    """

    def __init__(self, url: str, *, pool_size: int = 20, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = self._create_engine(url, pool_size, echo)
        self._writer_engine = self.engine.execution_options(watchkeep_write=True)
        self._read_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self._writer_engine, expire_on_commit=False)
        self._write_lock = threading.Lock() if self.is_sqlite else None
        self._commit_listeners: list[Callable[[], None]] = []
        event.listen(self._write_sessions, "after_commit", self._after_commit)
        if not self.is_sqlite:
            event.listen(self._write_sessions, "before_commit", _notify_workers)
        # Before the COMMIT is sent: from then on the work may have been applied.
        event.listen(self.engine, "commit", lambda _connection: note_effect())

    @staticmethod
    def _create_engine(url: str, pool_size: int, echo: bool) -> Engine:
        if not url.startswith("sqlite"):
            return create_engine(
                url, pool_size=pool_size, max_overflow=pool_size // 2, pool_pre_ping=True, echo=echo
            )
        # SQLite connections are cheap to keep and costly to open (the PRAGMAs
        # below), so keep one per thread that may ask rather than churn overflow.
        engine = create_engine(
            url,
            echo=echo,
            pool_size=max(pool_size, 64),
            max_overflow=64,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits when the block ends and rolls back on error.

        A connection lost during the COMMIT raises CommitOutcomeUnknownError: unlike a
        loss before it, the transaction may have been applied.
        """
        with self._write_lock or nullcontext(), self._write_sessions() as session:
            session.begin()
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
            try:
                session.commit()
            except DBAPIError as exc:
                if exc.connection_invalidated:
                    raise CommitOutcomeUnknownError(str(exc.orig)) from exc
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A snapshot whose transaction ends with the block, never committing.

        Closing (rather than rolling back) leaves loaded objects readable, detached.
        """
        session = self._read_sessions()
        try:
            yield session
        finally:
            session.close()

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every write transaction that enqueued outbox rows."""
        self._commit_listeners.append(listener)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(OUTBOX_TOUCHED, False):
            for listener in self._commit_listeners:
                listener()

    def dispose(self) -> None:
        self.engine.dispose()


def _notify_workers(session: Session) -> None:
    """PostgreSQL delivers this at commit to every listening worker (`db.notify`)."""
    if session.info.get(OUTBOX_TOUCHED):
        session.execute(_NOTIFY_OUTBOX)


_NOTIFY_OUTBOX = text("NOTIFY watchkeep_outbox")


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    # Take transaction control from the driver so that `begin` below decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: durable against application crashes, fast commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_sqlite_transaction(connection: Connection) -> None:
    write = connection.get_execution_options().get("watchkeep_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
