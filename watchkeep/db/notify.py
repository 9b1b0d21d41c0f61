"""Waking workers on PostgreSQL: LISTEN/NOTIFY on the outbox channel.

A write transaction that enqueued outbox rows sends `NOTIFY watchkeep_outbox`
as it commits (`Database` does, see `engine.py`); PostgreSQL delivers it at
commit, to every process listening, once per transaction however many rows
it added. Each worker keeps one connection of its own listening and wakes on
the first notification, so a new row runs at once in any process, with no
poll claiming an empty outbox meanwhile.

Polling stays as the fallback: while the listening connection is down (a
restart, a failover) the worker polls at its usual pace, and the listener
connects again. SQLite has no NOTIFY: there a worker is woken in process (by
the commits of its own process) and polls otherwise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from watchkeep.db.engine import Database

log = logging.getLogger(__name__)

CHANNEL = "watchkeep_outbox"
# How often the listening thread looks up from its connection to see if it must stop.
_TICK_SECONDS = 1.0
_RECONNECT_SECONDS = 2.0


class OutboxListener:
    """A thread that calls `wake` on every outbox notification."""

    def __init__(self, db: Database, wake: Callable[[], None]) -> None:
        self.db = db
        self.wake = wake
        self.listening = threading.Event()
        self._stop = threading.Event()
        self._starting = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="watchkeep-listen", daemon=True)

    def start(self) -> OutboxListener:
        """Start listening (once; a second call does nothing)."""
        with self._starting:
            if not self._thread.is_alive() and not self._stop.is_set():
                self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=_TICK_SECONDS * 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception as exc:
                log.warning("outbox listener lost its connection (%s); polling meanwhile", exc)
            self.listening.clear()
            # Whatever was committed while no one listened is found by the next claim.
            self.wake()
            self._stop.wait(_RECONNECT_SECONDS)

    def _listen(self) -> None:
        raw = self.db.engine.raw_connection()
        connection = raw.driver_connection
        raw.detach()  # ours for good: never handed back to the pool in LISTEN state
        try:
            connection.autocommit = True
            connection.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            while not self._stop.is_set():
                woke = False
                for _ in connection.notifies(timeout=_TICK_SECONDS):
                    woke = True
                    break
                if woke:
                    self.wake()
        finally:
            connection.close()
