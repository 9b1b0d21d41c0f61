"""Users and their passwords (API tokens: `tokens`; browser sessions: `sessions`).

A new password or a disabled account ends every browser session of the user at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core import sessions
from watchkeep.core.errors import ConflictError, NotFoundError
from watchkeep.core.models import Role, User, UserStatus

_hasher = PasswordHasher()
# Checked against when no such user exists, so that a wrong email costs as long as a
# wrong password and the time taken does not tell whether an account exists.
_NOBODY = _hasher.hash("no such user")


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
    if password is not None or disabled:
        sessions.end_all(session, user.id)
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


def verify_password(user: User | None, password: str) -> bool:
    """Whether `user` is active and `password` is theirs; as slow when there is no user."""
    stored = user.password_hash if user is not None else None
    try:
        matches = _hasher.verify(stored or _NOBODY, password)
    except (VerifyMismatchError, InvalidHashError):
        return False
    return matches and stored is not None and user is not None and user.is_active


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
    sessions.end_all(session, user.id)
    session.flush()
    return user, False
