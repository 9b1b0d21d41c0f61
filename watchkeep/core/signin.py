"""The sign-in throttle: after too many failed sign-ins for one email, or from one
client address, further attempts are refused for a while, the right password too.

`FAILURES_PER_EMAIL` failures for one email, or `FAILURES_PER_CLIENT` from one
address, within `WINDOW` (a sliding window) refuse every further attempt until
enough of them are older than the window. The email is counted whether or not an
account has it, and the refusal reads the same either way, so the throttle never
tells which accounts exist.

Why rows in a table rather than the `limits` library: its storages are Redis,
Memcached, MongoDB and etcd, none of them the database that is all Watchkeep's
processes share, and its windows read the system clock where ours is `Clock`
(which tests move). A sliding window over attempt rows is two indexed queries,
exact, shared by every web process, and pruned as it goes.

Each attempt is written before its password is checked, by a transaction that
counts first (on PostgreSQL under an advisory lock per email and per address),
so that guesses sent at once cannot all pass the count; an attempt that
succeeds deletes its row again.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session

from watchkeep.core.accounts import normalize_email
from watchkeep.core.errors import DomainError
from watchkeep.core.models import SignInAttempt

WINDOW = timedelta(minutes=15)
FAILURES_PER_EMAIL = 10
FAILURES_PER_CLIENT = 30


class SignInThrottledError(DomainError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")
        self.retry_after = retry_after


def begin(session: Session, *, email: str, client: str, now: datetime) -> int:
    """Record an attempt about to be checked; answers its id, or raises
    SignInThrottledError (writing nothing) when the email or the address has failed
    too often."""
    digest = hashlib.sha256(normalize_email(email).encode()).hexdigest()
    client = client[:64]
    if session.get_bind().dialect.name == "postgresql":
        for key in (f"email:{digest}", f"client:{client}"):
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(key)})
    until = max(
        (
            moment
            for moment in (
                _refused_until(
                    session, SignInAttempt.email_digest, digest, FAILURES_PER_EMAIL, now
                ),
                _refused_until(session, SignInAttempt.client, client, FAILURES_PER_CLIENT, now),
            )
            if moment is not None
        ),
        default=None,
    )
    if until is not None:
        raise SignInThrottledError(max(1, math.ceil((until - now).total_seconds())))
    session.execute(delete(SignInAttempt).where(SignInAttempt.attempted_at <= now - WINDOW))
    attempt = SignInAttempt(email_digest=digest, client=client, attempted_at=now)
    session.add(attempt)
    session.flush()
    return attempt.id


def succeeded(session: Session, attempt_id: int) -> None:
    """The attempt signed in: it is no failure."""
    session.execute(delete(SignInAttempt).where(SignInAttempt.id == attempt_id))


def _refused_until(
    session: Session,
    column: InstrumentedAttribute[str],
    value: str,
    limit: int,
    now: datetime,
) -> datetime | None:
    # While the limit-th most recent failure is inside the window, at least `limit` are.
    nth = session.scalar(
        select(SignInAttempt.attempted_at)
        .where(column == value, SignInAttempt.attempted_at > now - WINDOW)
        .order_by(SignInAttempt.attempted_at.desc())
        .limit(1)
        .offset(limit - 1)
    )
    return nth + WINDOW if nth is not None else None


def _lock_key(name: str) -> int:
    return int.from_bytes(
        hashlib.sha256(b"watchkeep.signin:" + name.encode()).digest()[:8], "big", signed=True
    )
