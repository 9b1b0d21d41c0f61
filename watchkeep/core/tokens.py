"""API tokens: bearer credentials for the JSON API, each named, maybe expiring, and
stamped with when it was last used.

Only a token's SHA-256 is stored (tokens are 256-bit random, so a slow hash adds
nothing), so a token is shown once, when made. An expired token, or one whose
user is disabled, authenticates nobody. `last_used_at` is written at most once a
`USE_RESOLUTION` per token, so authenticating stays a read nearly always.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from watchkeep.core.errors import InvalidInputError, NotFoundError
from watchkeep.core.models import ApiToken, Role, User, UserStatus

TOKEN_PREFIX = "wk_"  # noqa: S105 - a public prefix, not a secret
USE_RESOLUTION = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, user: User, *, name: str, now: datetime, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Mint a bearer token for `user`: the row, and the token itself (show it once)."""
    if expires_at is not None and expires_at <= now:
        raise InvalidInputError("expires_at", "must be in the future")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name.strip(),
        token_hash=_digest(token),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row, token


def list_tokens(
    session: Session, user_id: int | None, *, limit: int, offset: int
) -> tuple[Sequence[ApiToken], int]:
    """The user's tokens (everyone's when `user_id` is None), newest first."""
    where = [] if user_id is None else [ApiToken.user_id == user_id]
    total = session.scalar(select(func.count()).select_from(ApiToken).where(*where)) or 0
    found = session.scalars(
        select(ApiToken).where(*where).order_by(ApiToken.id.desc()).limit(limit).offset(offset)
    ).all()
    return found, total


def get_token(session: Session, token_id: int, *, user_id: int | None) -> ApiToken:
    """The token, if it belongs to `user_id` (any owner when None); else not found,
    so that nobody learns which ids other people's tokens have."""
    row = session.get(ApiToken, token_id)
    if row is None or (user_id is not None and row.user_id != user_id):
        raise NotFoundError("token", token_id)
    return row


def delete_token(session: Session, row: ApiToken) -> None:
    session.delete(row)
    session.flush()


@dataclass(frozen=True)
class TokenOwner:
    token_id: int
    user_id: int
    name: str
    email: str
    role: Role
    expires_at: datetime | None
    last_used_at: datetime | None

    def is_stale(self, now: datetime) -> bool:
        """Whether `last_used_at` is due to be written again."""
        return self.last_used_at is None or self.last_used_at <= now - USE_RESOLUTION


def authenticate_token(session: Session, token: str, *, now: datetime) -> TokenOwner | None:
    """The active user an unexpired bearer token belongs to, or None.

    One lean query: it runs on every API request the cache does not answer.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    query = (
        select(
            ApiToken.id,
            User.id,
            User.name,
            User.email,
            User.role,
            ApiToken.expires_at,
            ApiToken.last_used_at,
        )
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == _digest(token),
            User.status == UserStatus.ACTIVE,
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
    )
    row = session.execute(query).first()
    return TokenOwner(*row) if row else None


def mark_used(session: Session, token_id: int, *, now: datetime) -> None:
    """Stamp the token as used now, unless another process did within USE_RESOLUTION."""
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - USE_RESOLUTION),
        )
        .values(last_used_at=now)
    )
