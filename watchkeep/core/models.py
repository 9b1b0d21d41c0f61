"""ORM models of the core domain (SQLAlchemy 2 typed mappings)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchkeep.db.base import Base, BigId


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings with a CHECK so that adding a value is a small migration.
    return Enum(cls, native_enum=False, length=20, validate_strings=True, create_constraint=True)


class Role(enum.StrEnum):
    ADMIN = "admin"
    RESPONDER = "responder"
    VIEWER = "viewer"


class UserStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


class Urgency(enum.StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class IncidentStatus(enum.StrEnum):
    TRIGGERED = "TRIGGERED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    SNOOZED = "SNOOZED"
    RESOLVED = "RESOLVED"


class Source(enum.StrEnum):
    """Where a change came from."""

    WEB = "web"
    API = "api"
    SLACK = "slack"
    SYSTEM = "system"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Always stored lower-cased: the unique index is then case-insensitive on both databases.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.RESPONDER)
    status: Mapped[UserStatus] = mapped_column(_enum(UserStatus), default=UserStatus.ACTIVE)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # How the user wants to be paged (`watchkeep.core.notification_rules`); None: the defaults.
    notification_rules: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]

    @property
    def is_active(self) -> bool:
        return self.status is UserStatus.ACTIVE


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the token: tokens are 256-bit random, so a slow hash adds nothing.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    # Written at most once a minute per token (`watchkeep.core.tokens.USE_RESOLUTION`).
    last_used_at: Mapped[datetime | None]
    # None: never expires.
    expires_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class UserSession(Base):
    """A signed-in browser. The session cookie carries a random token; only its SHA-256
    is kept, so deleting the row ends the session in every web process at once."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SignInAttempt(Base):
    """A sign-in that failed, or is being checked, within the throttle's window
    (`watchkeep.core.signin`). Keyed by a digest of the email typed, whether or not
    such a user exists, and by the client's address."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_email", "email_digest", "attempted_at"),
        Index("ix_sign_in_attempts_client", "client", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email_digest: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(index=True)


class TeamRole(enum.StrEnum):
    """A membership: a plain member, or a team admin (manages the team's connectors and
    runbooks; organisation admins manage everything)."""

    MEMBER = "member"
    ADMIN = "admin"


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[TeamRole] = mapped_column(
        _enum(TeamRole), default=TeamRole.MEMBER, server_default=TeamRole.MEMBER.name
    )

    user: Mapped[User] = relationship(lazy="joined")


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Private: only its members (and admins) see its services (`watchkeep.core.access`).
    private: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[datetime]

    # Read-only view of who is in the team; memberships (with their roles) are written.
    members: Mapped[list[User]] = relationship(
        secondary="team_members", order_by="User.name", lazy="selectin", viewonly=True
    )
    memberships: Mapped[list[TeamMember]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    # Filled in by the escalation and Slack work; the columns exist from the start.
    # Set by on-call (watchkeep.oncall.policies.assign_policy), which also refuses to
    # delete a policy in use.
    escalation_policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_policies.id"), index=True
    )
    slack_channel: Mapped[str | None] = mapped_column(String(100))
    ack_sla_minutes: Mapped[int | None]
    resolve_sla_minutes: Mapped[int | None]
    created_at: Mapped[datetime]

    team: Mapped[Team | None] = relationship(lazy="joined")


# The rows of the one-open-incident-per-dedup-key index; upserts name it to find that index.
OPEN_DEDUP_KEY = "status != 'RESOLVED' AND dedup_key IS NOT NULL"


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        # One open incident per (service, dedup key): the database, not the code, decides races.
        Index(
            "uq_incidents_open_dedup_key",
            "service_id",
            "dedup_key",
            unique=True,
            sqlite_where=text(OPEN_DEDUP_KEY),
            postgresql_where=text(OPEN_DEDUP_KEY),
        ),
        Index("ix_incidents_status_created", "status", "created_at"),
        # The lists' order within a status: a page is then read from the index, newest
        # first, without sorting every match (core/incidents.list_incidents).
        Index("ix_incidents_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(String(1024))
    description: Mapped[str] = mapped_column(Text, default="")
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency))
    status: Mapped[IncidentStatus] = mapped_column(_enum(IncidentStatus))
    dedup_key: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[Source] = mapped_column(_enum(Source))

    created_at: Mapped[datetime]
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_by_name: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]

    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    acknowledged_by_name: Mapped[str | None] = mapped_column(String(200))

    snoozed_at: Mapped[datetime | None]
    snoozed_until: Mapped[datetime | None]
    snoozed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    snoozed_by_name: Mapped[str | None] = mapped_column(String(200))

    resolved_at: Mapped[datetime | None]
    resolved_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    resolved_by_name: Mapped[str | None] = mapped_column(String(200))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    # Alerts from monitoring tools: how many arrived for this incident (the first and every
    # repeat of its dedup key), the latest, and the first one's details (labels, payload).
    alert_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_alert_at: Mapped[datetime | None]
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    service: Mapped[Service] = relationship(lazy="joined")


class TimelineEvent(Base):
    __tablename__ = "timeline_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(50))
    message: Mapped[str] = mapped_column(Text)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(200))
    source: Mapped[Source] = mapped_column(_enum(Source))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(200))
    source: Mapped[Source] = mapped_column(_enum(Source))
    created_at: Mapped[datetime]


class IncidentPagedUser(Base):
    """Someone an escalation step paged for an incident: they see it (and may act on it,
    by their role) whatever their teams, or they could not answer the page."""

    __tablename__ = "incident_paged_users"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    paged_at: Mapped[datetime]


class Counter(Base):
    """Named counters, such as the per-installation incident number."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class ChangeEvent(Base):
    """A change to a service (a deploy, a config change) a tool reported: never an
    incident, shown beside the service's incidents that follow it."""

    __tablename__ = "change_events"
    __table_args__ = (Index("ix_change_events_service_occurred", "service_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    summary: Mapped[str] = mapped_column(String(1024))
    source: Mapped[str | None] = mapped_column(String(1024))
    # When the change happened (the sender's timestamp), else when it was received.
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    sender: Mapped[str] = mapped_column(String(200))
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    custom_details: Mapped[Any] = mapped_column(JSON, nullable=True)


class IncidentAlert(Base):
    """One of the last alerts an incident received, kept for its history: a ring of
    `alerts.HISTORY` slots, the n-th alert written over slot n mod HISTORY, so that a
    storm costs one upsert per batch and the table never grows past a few rows each."""

    __tablename__ = "incident_alerts"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # Which alert of the incident this is (1: the first).
    number: Mapped[int]
    received_at: Mapped[datetime]
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
