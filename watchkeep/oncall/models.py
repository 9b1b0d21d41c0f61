"""ORM models of on-call: schedules, escalation policies, and per-incident timer state."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchkeep.core.models import Team, User
from watchkeep.db.base import Base


class Schedule(Base):
    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # An IANA zone name: handoffs and restrictions are wall-clock times in it.
    time_zone: Mapped[str] = mapped_column(String(64))
    # A Slack user group handle ("payments-oncall") kept equal to who is on call.
    slack_user_group: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    # Not eager: escalation targets load schedules, and the roster reads rotations itself.
    layers: Mapped[list[ScheduleLayer]] = relationship(
        order_by="ScheduleLayer.position", cascade="all, delete-orphan", passive_deletes=True
    )


class ScheduleLayer(Base):
    """A rotation; a layer with a higher `position` wins where layers overlap."""

    __tablename__ = "schedule_layers"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    # The first handoff; later handoffs keep its wall-clock time in the schedule's zone.
    start: Mapped[datetime]
    rotation_length_hours: Mapped[int]
    # {"days": ["mon", …], "start_time": "09:00", "end_time": "17:00"}, or None for always.
    restrictions: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    members: Mapped[list[ScheduleLayerMember]] = relationship(
        order_by="ScheduleLayerMember.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )


class ScheduleLayerMember(Base):
    """One turn in a layer's rotation (a user may hold several turns)."""

    __tablename__ = "schedule_layer_members"

    layer_id: Mapped[int] = mapped_column(
        ForeignKey("schedule_layers.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    # Deleting a user takes their turns out of the rotation rather than failing.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship(lazy="joined")


class ScheduleOverride(Base):
    """Someone on call for a window, over every layer; a later override wins over an earlier."""

    __tablename__ = "schedule_overrides"
    __table_args__ = (Index("ix_schedule_overrides_schedule_end", "schedule_id", "end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    start: Mapped[datetime]
    end: Mapped[datetime]
    created_at: Mapped[datetime]
    created_by_name: Mapped[str] = mapped_column(String(200))

    user: Mapped[User] = relationship(lazy="joined")


class ScheduleHandoff(Base):
    """The timer of a followed schedule's next handoff (`watchkeep.oncall.handoffs`):
    a timer row carries the generation it was made for; any other does nothing."""

    __tablename__ = "schedule_handoffs"

    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), primary_key=True
    )
    generation: Mapped[int] = mapped_column(default=0)
    next_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class EscalationPolicy(Base):
    __tablename__ = "escalation_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # How many more times to run the steps from the first after the last one.
    repeat: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    steps: Mapped[list[EscalationStep]] = relationship(
        order_by="EscalationStep.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )


class EscalationStep(Base):
    __tablename__ = "escalation_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    # How long after this step pages before the next one does.
    delay_minutes: Mapped[int]

    targets: Mapped[list[EscalationTarget]] = relationship(
        order_by="EscalationTarget.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="selectin",
    )


class EscalationTarget(Base):
    """Exactly one of a user, a schedule (whoever is on call) or a team (its active members)."""

    __tablename__ = "escalation_targets"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN user_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN schedule_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN team_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(
        ForeignKey("escalation_steps.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    # Users and teams that go away leave their steps; a schedule in use cannot be deleted.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )

    user: Mapped[User | None] = relationship(lazy="joined")
    schedule: Mapped[Schedule | None] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")

    @property
    def type(self) -> str:
        if self.user_id is not None:
            return "user"
        return "schedule" if self.schedule_id is not None else "team"

    @property
    def target_id(self) -> int:
        return self.user_id or self.schedule_id or self.team_id or 0

    @property
    def target_name(self) -> str:
        target = self.user or self.schedule or self.team
        return target.name if target is not None else "?"


class EscalationStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"  # a step timer is pending
    PAUSED = "PAUSED"  # snoozed: the time left to the next step is kept
    STOPPED = "STOPPED"  # acknowledged, resolved, or nothing to escalate to
    EXHAUSTED = "EXHAUSTED"  # every step (and repeat) has paged


class IncidentEscalation(Base):
    """Where an incident's escalation stands. `generation` changes with every step and
    every pause, resume, stop or restart; a timer row carries the generation it was
    made for, so a stale or duplicated timer finds a different one and does nothing."""

    __tablename__ = "incident_escalations"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[EscalationStatus] = mapped_column(
        Enum(
            EscalationStatus,
            native_enum=False,
            length=20,
            validate_strings=True,
            create_constraint=True,
        )
    )
    generation: Mapped[int] = mapped_column(default=0)
    # The next step to page (0-based), and how many times the steps have restarted.
    step_index: Mapped[int] = mapped_column(default=0)
    cycle: Mapped[int] = mapped_column(default=0)
    next_step_at: Mapped[datetime | None]
    paused_remaining_seconds: Mapped[int | None]
    steps_paged: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]


class IncidentSla(Base):
    """An incident's SLA due times, fixed when it was triggered, and when each was missed."""

    __tablename__ = "incident_slas"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    ack_due_at: Mapped[datetime | None]
    resolve_due_at: Mapped[datetime | None]
    ack_breached_at: Mapped[datetime | None]
    resolve_breached_at: Mapped[datetime | None]
