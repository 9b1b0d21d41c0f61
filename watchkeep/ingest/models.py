"""ORM models of ingestion: integrations and each service's alert settings."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String, text
from sqlalchemy.orm import Mapped, mapped_column

from watchkeep.db.base import Base


class IntegrationType(enum.StrEnum):
    EVENTS_API_V2 = "events_api_v2"
    ALERTMANAGER = "alertmanager"
    WEBHOOK = "webhook"
    GRAFANA = "grafana"
    OPSGENIE = "opsgenie"
    DATADOG = "datadog"
    SENTRY = "sentry"
    CLOUDWATCH = "cloudwatch"


class Integration(Base):
    """A way into one service, authenticated by a key the monitoring tool holds.

    The key is 32 hex characters (PagerDuty's routing-key shape, so clients that
    check it accept ours). Its first 12 characters find the row;
    the SHA-256 of the whole key is compared in constant time. The key itself is
    never stored, so it is shown only when made or rotated.
    """

    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[IntegrationType] = mapped_column(
        Enum(
            IntegrationType,
            native_enum=False,
            length=20,
            validate_strings=True,
            create_constraint=True,
        )
    )
    name: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(12), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    # Per-format options, e.g. the generic webhook's field paths.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # None: the installation's default (WATCHKEEP_INGEST_RATE_PER_MINUTE).
    rate_limit_per_minute: Mapped[int | None]
    # A fixed one-minute window, counted in the row so that every web process shares it.
    rate_window: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    rate_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]


class ServiceAlertSettings(Base):
    """How a service turns alert severities into incident urgencies (absent: the defaults)."""

    __tablename__ = "service_alert_settings"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    severity_urgency: Mapped[dict[str, str]] = mapped_column(JSON)
    # The alert labels the Slack message shows (None: `context.SHOWN_LABELS`).
    shown_labels: Mapped[list[str] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime]
