"""OAuth install states kept server-side, in Watchkeep's database.

`slack_sdk.oauth`'s `OAuthStateStore` interface over a small table: a state is
issued when an admin clicks Add Workspace, bound to that admin, valid for ten
minutes, and consumed at most once (one atomic DELETE … RETURNING, so two
callbacks racing with one state cannot both succeed). Only a hash of each
state is stored. Any web replica can finish an install another one started.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.oauth.state_store import OAuthStateStore
from sqlalchemy import ForeignKey, String, delete
from sqlalchemy.orm import Mapped, mapped_column

from watchkeep.clock import Clock
from watchkeep.db.base import Base
from watchkeep.db.engine import Database

STATE_LIFETIME = timedelta(minutes=10)


class SlackOAuthState(Base):
    __tablename__ = "slack_oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


@dataclass(frozen=True)
class IssuedState:
    user_id: int | None
    created_at: datetime


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


class DatabaseOAuthStateStore(OAuthStateStore):
    def __init__(self, db: Database, clock: Clock, lifetime: timedelta = STATE_LIFETIME) -> None:
        self.db = db
        self.clock = clock
        self.lifetime = lifetime
        self._logger = logging.getLogger(__name__)

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    def issue(self, *args: Any, user_id: int | None = None, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.db.write() as session:
            # Housekeeping: states nobody came back with.
            session.execute(delete(SlackOAuthState).where(SlackOAuthState.expires_at <= now))
            session.add(
                SlackOAuthState(
                    state_hash=_hash(state),
                    user_id=user_id,
                    created_at=now,
                    expires_at=now + self.lifetime,
                )
            )
        return state

    def take(self, state: str) -> IssuedState | None:
        """Consume `state`: who it was issued to, or None if unknown, used or expired."""
        if not state or len(state) > 200:
            return None
        with self.db.write() as session:
            row = session.execute(
                delete(SlackOAuthState)
                .where(SlackOAuthState.state_hash == _hash(state))
                .returning(
                    SlackOAuthState.user_id,
                    SlackOAuthState.created_at,
                    SlackOAuthState.expires_at,
                )
            ).first()
        if row is None or row.expires_at <= self.clock.now():
            return None
        return IssuedState(row.user_id, row.created_at)

    def consume(self, state: str) -> bool:
        return self.take(state) is not None
