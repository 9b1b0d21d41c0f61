"""The outbox table: one row per unit of work, due at a time, in order per key."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from watchkeep.db.base import Base, BigId


class OutboxState(enum.StrEnum):
    PENDING = "PENDING"
    FAILED = "FAILED"


class OutboxRow(Base):
    """A unit of work due at `due_at`. Done rows are deleted; failed ones stay."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_due", "state", "due_at"),
        # state in the middle: PostgreSQL's generic plan for the claim then checks a key's
        # earlier pending rows from the index alone (7 s → 30 ms a claim on 10,000 rows).
        Index("ix_outbox_ordering", "ordering_key", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Rows sharing a key run one at a time, in id order (e.g. one incident's messages).
    ordering_key: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[OutboxState] = mapped_column(
        Enum(OutboxState, native_enum=False, length=10, create_constraint=True),
        default=OutboxState.PENDING,
    )
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    # The request whose change enqueued the row (`watchkeep.request_id`), for the logs.
    request_id: Mapped[str | None] = mapped_column(String(64))


class WorkerHeartbeat(Base):
    """Each running worker says it is alive; `/readyz` asks for a recent one."""

    __tablename__ = "worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)
