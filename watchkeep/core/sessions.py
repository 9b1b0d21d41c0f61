"""Signed-in browser sessions, kept in the database so that ending one ends it everywhere.

A session is a random token, carried in the signed cookie, whose SHA-256 is a
row of `user_sessions`. Every page request looks it up together with its user
(the one query that finding the user costs anyway). Signing out deletes the
row; a password change or disabling the user deletes all of the user's rows,
and deleting the user cascades: every web process refuses the cookie at its
next request, even a copy taken before.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from watchkeep.core.models import User, UserSession, UserStatus

LIFETIME = timedelta(hours=12)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: User, *, now: datetime) -> str:
    """A new session for `user`; answers the token for the cookie (only its hash is kept)."""
    # Expired rows go here, where a write happens anyway; the index makes it cheap.
    session.execute(delete(UserSession).where(UserSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=_digest(token), user_id=user.id, created_at=now, expires_at=now + LIFETIME
        )
    )
    session.flush()
    return token


def user_of(session: Session, token: str, *, now: datetime) -> User | None:
    """The active user whose unexpired session `token` names, or None."""
    return session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.token_hash == _digest(token),
            UserSession.expires_at > now,
            User.status == UserStatus.ACTIVE,
        )
    )


def end(session: Session, token: str) -> None:
    session.execute(delete(UserSession).where(UserSession.token_hash == _digest(token)))


def end_all(session: Session, user_id: int) -> None:
    """End every session of the user (a new password, a disabled account)."""
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))
