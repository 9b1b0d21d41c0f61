"""Runbooks, their versions, their runs, and what runs made (incident channels, threads)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from watchkeep.db.base import Base, BigId


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, validate_strings=True, create_constraint=True)


class RunStatus(enum.StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class StepStatus(enum.StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"  # failed, but the step says continue_on_error


class Runbook(Base):
    """A runbook as it is now: its current version's document, plus what is not versioned."""

    __tablename__ = "runbooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    owner_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    # The current version and its normalised document (a copy of that version's row).
    version: Mapped[int] = mapped_column(default=1)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RunbookVersion(Base):
    """Every saved document, kept: a run names the version it ran."""

    __tablename__ = "runbook_versions"
    __table_args__ = (UniqueConstraint("runbook_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    runbook_id: Mapped[int] = mapped_column(ForeignKey("runbooks.id", ondelete="CASCADE"))
    version: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]


class RunbookRun(Base):
    """One run of one runbook version for one incident."""

    __tablename__ = "runbook_runs"
    __table_args__ = (Index("ix_runbook_runs_runbook_incident", "runbook_id", "incident_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    runbook_id: Mapped[int] = mapped_column(ForeignKey("runbooks.id", ondelete="CASCADE"))
    version: Mapped[int]
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    # The event that started it (`incident.triggered`, …), `repeat` or `manual`.
    trigger: Mapped[str] = mapped_column(String(50))
    status: Mapped[RunStatus] = mapped_column(_enum(RunStatus))
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class RunbookStepRun(Base):
    """One step of a run: its state, what it did (`result`), or Slack's exact error."""

    __tablename__ = "runbook_step_runs"
    __table_args__ = (UniqueConstraint("run_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("runbook_runs.id", ondelete="CASCADE"))
    position: Mapped[int]
    operation: Mapped[str] = mapped_column(String(50))
    status: Mapped[StepStatus] = mapped_column(_enum(StepStatus))
    # What the step made so far (a channel id before anything else), kept across retries.
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class IncidentChannel(Base):
    """The channel a runbook opened for an incident: where the response happens."""

    __tablename__ = "incident_channels"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    # The organisation's workspace, or (when a connector made it) None and the connector.
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("slack_workspaces.id", ondelete="CASCADE"), index=True
    )
    connector_id: Mapped[int | None] = mapped_column(
        ForeignKey("connectors.id", ondelete="CASCADE"), index=True
    )
    channel_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(80))
    run_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("runbook_runs.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]


class RunbookThread(Base):
    """A thread a runbook started with `ThreadUpdates: true`: later changes reply in it."""

    __tablename__ = "runbook_threads"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    workspace_id: Mapped[int | None] = mapped_column(
        ForeignKey("slack_workspaces.id", ondelete="CASCADE")
    )
    connector_id: Mapped[int | None] = mapped_column(
        ForeignKey("connectors.id", ondelete="CASCADE")
    )
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
