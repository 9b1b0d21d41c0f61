"""Replayed Slack requests: each signed request is applied once.

Slack never retries an interaction or a slash command, so a second copy of
the same signed request (same timestamp, same body) is always a replay, by
whoever captured the first. A digest of each accepted request is kept in the
database until its signature is too old to be accepted anyway (Slack's five
minutes), so every web process refuses the copy, not just the one that saw
the original.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from watchkeep.clock import Clock
from watchkeep.db.engine import Database
from watchkeep.slack.models import SlackRequestReceipt

log = logging.getLogger(__name__)

# SignatureVerifier accepts a timestamp up to five minutes from now, either way.
SIGNATURE_WINDOW = timedelta(minutes=5)
PURGE_EVERY_SECONDS = 60.0
ALREADY_HANDLED = "This request was already handled."


class ReplayGuard:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db, self._clock = db, clock
        self._lock = threading.Lock()
        self._purged_at = 0.0

    def first_time(self, body: bytes, headers: Mapping[str, str]) -> bool:
        """Record a verified request; False when this very request was applied before."""
        stamp = headers.get("x-slack-request-timestamp", "")
        digest = hashlib.sha256(stamp.encode() + b":" + body).hexdigest()
        signed_at = datetime.fromtimestamp(int(stamp), UTC)
        insert = sqlite_insert if self._db.is_sqlite else pg_insert
        with self._db.write() as session:
            self._purge(session)
            stored = session.execute(
                insert(SlackRequestReceipt)
                .values(digest=digest, expires_at=signed_at + SIGNATURE_WINDOW)
                .on_conflict_do_nothing()
            ).rowcount
        if not stored:
            log.warning("refused a replayed Slack request (signed at %s)", signed_at.isoformat())
        return bool(stored)

    def _purge(self, session: Session) -> None:
        with self._lock:
            if time.monotonic() - self._purged_at < PURGE_EVERY_SECONDS:
                return
            self._purged_at = time.monotonic()
        now = self._clock.now()
        session.execute(delete(SlackRequestReceipt).where(SlackRequestReceipt.expires_at < now))
