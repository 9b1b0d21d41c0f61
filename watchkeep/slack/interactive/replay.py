"""Replayed Slack requests: each signed request is applied once.

Slack never retries an interaction or a slash command, so a second copy of
the same signed request (same timestamp, same body) is always a replay, by
whoever captured the first. The first copy leaves a receipt (a digest of its
timestamp and body) in the database until its signature is too old to be
accepted anyway (Slack's five minutes), so every web process refuses any copy
before a listener sees it. The receipt names the HTTP request that wrote it:
when the app runs that same request again after losing its database
connection (`watchkeep.request_retry`), the run finds its own receipt and goes
on; a receipt is therefore not an effect that would forbid such a run.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from watchkeep.db import engine
from watchkeep.db.engine import Database
from watchkeep.slack.models import SlackRequestReceipt

log = logging.getLogger(__name__)

# SignatureVerifier accepts a timestamp up to five minutes from now, either way.
SIGNATURE_WINDOW = timedelta(minutes=5)
ALREADY_HANDLED = "This request was already handled."


def first_delivery(
    db: Database, body: bytes, headers: Mapping[str, str], request_id: str, now: datetime
) -> bool:
    """Record a verified request; False when another request already delivered this one."""
    stamp = headers.get("x-slack-request-timestamp", "")
    digest = hashlib.sha256(stamp.encode() + b":" + body).hexdigest()
    signed_at = datetime.fromtimestamp(int(stamp), UTC)
    insert = sqlite_insert if db.is_sqlite else pg_insert
    receipts = SlackRequestReceipt.__table__
    with engine.ledger(), db.write() as session:
        session.execute(delete(receipts).where(receipts.c.expires_at < now))
        session.execute(
            insert(receipts)
            .values(digest=digest, request_id=request_id, expires_at=signed_at + SIGNATURE_WINDOW)
            .on_conflict_do_nothing()
        )
        owner = session.scalar(select(receipts.c.request_id).where(receipts.c.digest == digest))
    if owner != request_id:
        log.warning("refused a replayed Slack request (signed at %s)", signed_at.isoformat())
        return False
    return True
