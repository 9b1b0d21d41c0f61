"""One holder of a role among many processes sharing the database.

On PostgreSQL, a session advisory lock taken on a connection kept for as long as
the role is held: if the process dies, or its connection does, the server
releases the lock and another process's next `try_acquire` wins it. On SQLite
(the embedded default, one process) the role is always granted.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from watchkeep.db.engine import Database

log = logging.getLogger(__name__)


class LeaderLock:
    def __init__(self, db: Database, key: int) -> None:
        self.db = db
        self.key = key
        self._connection: Connection | None = None
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def try_acquire(self) -> bool:
        """Take the role if nobody holds it; True while this process holds it."""
        if self._held:
            return True
        if self.db.is_sqlite:
            self._held = True
            return True
        connection = self.db.engine.connect()
        try:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            ).scalar()
            connection.commit()
        except DBAPIError:
            connection.invalidate()
            connection.close()
            return False
        if not got:
            connection.close()
            return False
        self._connection, self._held = connection, True
        return True

    def still_held(self) -> bool:
        """False once the lock's connection died: another process may hold it by now."""
        if not self._held:
            return False
        if self._connection is None:
            return True  # SQLite
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
        except DBAPIError:
            log.warning("lost the connection holding advisory lock %s", self.key)
            self._forget(invalidate=True)
            return False
        return True

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                self._connection.commit()
            except DBAPIError:
                self._forget(invalidate=True)
                return
        self._forget(invalidate=False)

    def _forget(self, *, invalidate: bool) -> None:
        if self._connection is not None:
            if invalidate:
                # Never hand a connection that may still hold the lock back to the pool.
                self._connection.invalidate()
            self._connection.close()
        self._connection, self._held = None, False
