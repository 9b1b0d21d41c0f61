"""Replayed Slack requests: each signed request is applied once.

Slack never retries an interaction or a slash command, so a second copy of
the same signed request (same timestamp, same body) is always a replay, by
whoever captured the first. Its receipt (a digest of timestamp and body) is
written in the same transaction as the change the request makes, and kept
until the signature is too old to be accepted anyway (Slack's five minutes),
so every web process refuses the copy and the change happens at most once.
A request that changes nothing leaves no receipt: a copy of it changes nothing
either. Being written with the change, a receipt never stops the app from
running a request again whose connection was lost before it committed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from watchkeep.db.engine import Database
from watchkeep.slack.models import SlackRequestReceipt

log = logging.getLogger(__name__)

# SignatureVerifier accepts a timestamp up to five minutes from now, either way.
SIGNATURE_WINDOW = timedelta(minutes=5)
ALREADY_HANDLED = "This request was already handled."


class AlreadyHandledError(Exception):
    """This very request was applied before: refuse it, change nothing."""


@dataclass
class Receipt:
    digest: str
    signed_at: datetime
    stored: bool = False


# The receipt of the Slack request being handled, for the change it makes to carry.
current: ContextVar[Receipt | None] = ContextVar("watchkeep_slack_receipt", default=None)


def receipt_for(body: bytes, headers: Mapping[str, str]) -> Receipt:
    """The receipt of a verified request (its timestamp is known to be numeric)."""
    stamp = headers.get("x-slack-request-timestamp", "")
    digest = hashlib.sha256(stamp.encode() + b":" + body).hexdigest()
    return Receipt(digest, datetime.fromtimestamp(int(stamp), UTC))


def seen(db: Database, receipt: Receipt) -> bool:
    """Whether a request with this receipt already changed something."""
    with db.read() as session:
        query = select(SlackRequestReceipt.digest).where(
            SlackRequestReceipt.digest == receipt.digest
        )
        return session.scalar(query) is not None


def store_current(session: Session, now: datetime) -> None:
    """Write the current request's receipt in the caller's transaction (once per
    request); AlreadyHandledError when another copy of it got there first."""
    receipt = current.get()
    if receipt is None or receipt.stored:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(delete(SlackRequestReceipt).where(SlackRequestReceipt.expires_at < now))
    written = session.execute(
        insert(SlackRequestReceipt)
        .values(digest=receipt.digest, expires_at=receipt.signed_at + SIGNATURE_WINDOW)
        .on_conflict_do_nothing()
    ).rowcount
    if not written:
        log.warning("refused a replayed Slack request (signed at %s)", receipt.signed_at)
        raise AlreadyHandledError
    receipt.stored = True
