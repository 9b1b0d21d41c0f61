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

Receipts are left through a group commit (`watchkeep.db.group`): a storm of clicks
leaves its receipts in one write transaction per batch.

Over Socket Mode there is no signature: the receipt is of the envelope's id,
kept for an hour (Slack redelivers an envelope it saw no ack for, to whichever
connection is open then).

The Events API is the one kind Slack does retry (`X-Slack-Retry-Num`), signed
afresh each time: its receipt is of the team and `event_id`, kept for a day,
and written in the transaction that queues the event's work (`claim_event`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from watchkeep.db import engine
from watchkeep.db.engine import Database
from watchkeep.db.group import GroupCommit
from watchkeep.slack.models import SlackRequestReceipt

log = logging.getLogger(__name__)

# SignatureVerifier accepts a timestamp up to five minutes from now, either way.
SIGNATURE_WINDOW = timedelta(minutes=5)
ENVELOPE_WINDOW = timedelta(hours=1)
# Slack gives up retrying an event within the hour; a day leaves room for clocks.
EVENT_WINDOW = timedelta(days=1)
ALREADY_HANDLED = "This request was already handled."


def first_delivery(
    db: Database, body: bytes, headers: Mapping[str, str], request_id: str, now: datetime
) -> bool:
    """Record a verified request; False when another request already delivered this one."""
    receipt = _signed_receipt(body, headers, request_id, now)
    return _judged(_receipts(db).run(receipt), receipt)


async def first_delivery_async(
    db: Database, body: bytes, headers: Mapping[str, str], request_id: str, now: datetime
) -> bool:
    """`first_delivery` for an event loop: no thread waits for the receipt's commit."""
    receipt = _signed_receipt(body, headers, request_id, now)
    return _judged(await _receipts(db).apply(receipt), receipt)


def _signed_receipt(
    body: bytes, headers: Mapping[str, str], request_id: str, now: datetime
) -> _Receipt:
    stamp = headers.get("x-slack-request-timestamp", "")
    digest = hashlib.sha256(stamp.encode() + b":" + body).hexdigest()
    signed_at = datetime.fromtimestamp(int(stamp), UTC)
    return _Receipt(digest, request_id, signed_at + SIGNATURE_WINDOW, now)


def _judged(first: bool, receipt: _Receipt) -> bool:
    if not first:
        signed_at = receipt.expires_at - SIGNATURE_WINDOW
        log.warning("refused a replayed Slack request (signed at %s)", signed_at.isoformat())
    return first


def first_envelope(db: Database, envelope_id: str, request_id: str, now: datetime) -> bool:
    """Record a Socket Mode envelope; False when it was delivered before."""
    digest = hashlib.sha256(b"socket-mode:" + envelope_id.encode()).hexdigest()
    if not _claim(db, digest, request_id, now + ENVELOPE_WINDOW, now):
        log.warning("refused a Socket Mode envelope delivered before (%s)", envelope_id)
        return False
    return True


def claim_event(
    session: Session, team_id: str, event_id: str, request_id: str, now: datetime
) -> bool:
    """Record an Events API delivery in the caller's transaction; False when a delivery
    of the same event (another process's, an earlier retry's) was recorded before."""
    digest = hashlib.sha256(f"event:{team_id}:{event_id}".encode()).hexdigest()
    return _claim_in(session, digest, request_id, now + EVENT_WINDOW, now)


def _claim(db: Database, digest: str, request_id: str, expires_at: datetime, now: datetime) -> bool:
    """Leave a receipt; False when another request's receipt is there already."""
    return _receipts(db).run(_Receipt(digest, request_id, expires_at, now))


@dataclass(frozen=True)
class _Receipt:
    digest: str
    request_id: str
    expires_at: datetime
    now: datetime


_writers: weakref.WeakKeyDictionary[Database, GroupCommit] = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


def _receipts(db: Database) -> GroupCommit[_Receipt, bool]:
    """The receipts' group commit (`watchkeep.db.group`): a storm of clicks leaves its
    receipts in one transaction per batch rather than one write transaction each."""
    with _writers_lock:
        writer = _writers.get(db)
        if writer is None:
            writer = _writers[db] = GroupCommit(
                lambda batch: _claim_all(db, batch), name="watchkeep-receipts"
            )
        return writer


def _claim_all(db: Database, batch: list[_Receipt]) -> list[bool]:
    insert = sqlite_insert if db.is_sqlite else pg_insert
    receipts = SlackRequestReceipt.__table__
    now = max(receipt.now for receipt in batch)
    with engine.ledger(), db.write() as session:
        session.execute(delete(receipts).where(receipts.c.expires_at < now))
        session.execute(
            insert(receipts).on_conflict_do_nothing(),
            [
                {"digest": r.digest, "request_id": r.request_id, "expires_at": r.expires_at}
                for r in batch
            ],
        )
        owners = dict(
            session.execute(
                select(receipts.c.digest, receipts.c.request_id).where(
                    receipts.c.digest.in_({r.digest for r in batch})
                )
            ).all()
        )
    return [owners.get(r.digest) == r.request_id for r in batch]


def _claim_in(
    session: Session, digest: str, request_id: str, expires_at: datetime, now: datetime
) -> bool:
    postgres = session.get_bind().dialect.name == "postgresql"
    insert = pg_insert if postgres else sqlite_insert
    receipts = SlackRequestReceipt.__table__
    session.execute(delete(receipts).where(receipts.c.expires_at < now))
    session.execute(
        insert(receipts)
        .values(digest=digest, request_id=request_id, expires_at=expires_at)
        .on_conflict_do_nothing()
    )
    owner = session.scalar(select(receipts.c.request_id).where(receipts.c.digest == digest))
    return owner == request_id
