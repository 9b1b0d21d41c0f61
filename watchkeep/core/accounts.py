"""Users, their passwords and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core.errors import ConflictError, NotFoundError
from watchkeep.core.models import ApiToken, Role, User, UserStatus

TOKEN_PREFIX = "wk_"  # noqa: S105 - a public prefix, not a secret
_hasher = PasswordHasher()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("user", user_id)
    return user


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def list_users(session: Session, *, limit: int, offset: int) -> tuple[Sequence[User], int]:
    total = session.scalar(select(func.count()).select_from(User)) or 0
    users = session.scalars(select(User).order_by(User.id).limit(limit).offset(offset)).all()
    return users, total


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role,
    now: datetime,
    password: str | None = None,
) -> User:
    email = normalize_email(email)
    if find_user_by_email(session, email) is not None:
        raise ConflictError(f"a user with email {email} already exists")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        status=UserStatus.ACTIVE,
        password_hash=_hasher.hash(password) if password else None,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def update_user(
    session: Session,
    user: User,
    *,
    email: str | None = None,
    name: str | None = None,
    role: Role | None = None,
    status: UserStatus | None = None,
    password: str | None = None,
) -> User:
    if email is not None and normalize_email(email) != user.email:
        if find_user_by_email(session, email) is not None:
            raise ConflictError(f"a user with email {normalize_email(email)} already exists")
        user.email = normalize_email(email)
    demoted = role is not None and role is not Role.ADMIN
    disabled = status is UserStatus.DISABLED
    if demoted or disabled:
        _keep_an_admin(session, user)
    if name is not None:
        user.name = name.strip()
    if role is not None:
        user.role = role
    if status is not None:
        user.status = status
    if password is not None:
        user.password_hash = _hasher.hash(password)
    session.flush()
    return user


def delete_user(session: Session, user: User) -> None:
    _keep_an_admin(session, user)
    session.delete(user)
    session.flush()


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse a change that would leave no active admin to configure Watchkeep."""
    if user.role is not Role.ADMIN or user.status is not UserStatus.ACTIVE:
        return
    others = session.scalar(
        select(func.count()).where(
            User.role == Role.ADMIN, User.status == UserStatus.ACTIVE, User.id != user.id
        )
    )
    if not others:
        raise ConflictError("this is the last active admin; promote another user first")


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash or not user.is_active:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def ensure_admin(
    session: Session, *, email: str, name: str, password: str, now: datetime
) -> tuple[User, bool]:
    """Create the admin, or make the existing user an active admin with this password.

    Answers the user and whether it was created, so repeated bootstraps are harmless.
    """
    user = find_user_by_email(session, email)
    if user is None:
        return create_user(
            session, email=email, name=name, role=Role.ADMIN, now=now, password=password
        ), True
    user.name = name.strip()
    user.role = Role.ADMIN
    user.status = UserStatus.ACTIVE
    user.password_hash = _hasher.hash(password)
    session.flush()
    return user, False


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, *, name: str, now: datetime) -> str:
    """Mint a bearer token for `user`; only its hash is stored, so show it once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, name=name, token_hash=_hash_token(token), created_at=now))
    session.flush()
    return token


@dataclass(frozen=True)
class TokenOwner:
    user_id: int
    name: str
    email: str
    role: Role


def authenticate_token(session: Session, token: str) -> TokenOwner | None:
    """The active user a bearer token belongs to, or None.

    One lean query: it runs on every API request.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    query = (
        select(User.id, User.name, User.email, User.role)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _hash_token(token), User.status == UserStatus.ACTIVE)
    )
    row = session.execute(query).first()
    return TokenOwner(*row) if row else None
