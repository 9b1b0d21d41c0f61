"""Managing integrations (create, list, revoke, rotate) and a service's alert settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core.errors import InvalidInputError, NotFoundError
from watchkeep.core.models import Urgency
from watchkeep.core.services import get_service
from watchkeep.ingest import keys
from watchkeep.ingest.alert import DEFAULT_URGENCY, Severity
from watchkeep.ingest.events_v2 import EventsConfig
from watchkeep.ingest.models import Integration, IntegrationType, ServiceAlertSettings
from watchkeep.ingest.webhook import WebhookConfig


def endpoint_path(integration_type: IntegrationType, key: str) -> str:
    """Where a monitoring tool posts; the Events API carries its key in the body instead."""
    if integration_type is IntegrationType.EVENTS_API_V2:
        return "/v2/enqueue"
    if integration_type is IntegrationType.OPSGENIE:
        return "/v2/alerts"
    return f"/ingest/{integration_type.value}/{key}"


def create_integration(
    session: Session,
    *,
    service_id: int,
    integration_type: IntegrationType,
    name: str,
    now: datetime,
    config: WebhookConfig | None = None,
    rate_limit_per_minute: int | None = None,
    unknown_severity: Severity | None = None,
) -> tuple[Integration, str]:
    """A new integration and its key, which is not stored and so is answered only here."""
    get_service(session, service_id)
    key = keys.new_key()
    integration = Integration(
        service_id=service_id,
        type=integration_type,
        name=name.strip(),
        key_id=keys.key_id(key),
        key_hash=keys.digest(key),
        config=_checked_config(integration_type, config, unknown_severity),
        rate_limit_per_minute=rate_limit_per_minute,
        created_at=now,
    )
    session.add(integration)
    session.flush()
    return integration, key


def list_integrations(
    session: Session, service_id: int, *, limit: int, offset: int
) -> tuple[Sequence[Integration], int]:
    get_service(session, service_id)
    where = Integration.service_id == service_id
    total = session.scalar(select(func.count()).select_from(Integration).where(where)) or 0
    query = select(Integration).where(where).order_by(Integration.id).limit(limit).offset(offset)
    return session.scalars(query).all(), total


def get_integration(session: Session, service_id: int, integration_id: int) -> Integration:
    integration = session.get(Integration, integration_id)
    if integration is None or integration.service_id != service_id:
        raise NotFoundError("integration", integration_id)
    return integration


def revoke(session: Session, integration: Integration) -> None:
    """Delete the integration: its key stops working at once. Its incidents stay."""
    session.delete(integration)
    session.flush()


def rotate(session: Session, integration: Integration, *, now: datetime) -> str:
    """A new key for the integration; the old one stops working at once."""
    key = keys.new_key()
    integration.key_id = keys.key_id(key)
    integration.key_hash = keys.digest(key)
    integration.rotated_at = now
    session.flush()
    return key


def severity_urgency(session: Session, service_id: int) -> dict[Severity, Urgency]:
    """How the service maps alert severities to urgencies: its settings over the defaults."""
    stored = session.scalar(
        select(ServiceAlertSettings.severity_urgency).where(
            ServiceAlertSettings.service_id == service_id
        )
    )
    return urgencies(stored or {})


def set_severity_urgency(
    session: Session,
    service_id: int,
    mapping: Mapping[Severity, Urgency],
    *,
    now: datetime,
    shown_labels: Sequence[str] | None = None,
) -> dict[Severity, Urgency]:
    """Replace the service's mapping (a severity it leaves out keeps its default) and
    the labels its Slack messages show (None: the default list)."""
    get_service(session, service_id)
    stored = {severity.value: urgency.value for severity, urgency in mapping.items()}
    labels = None if shown_labels is None else [label.strip() for label in shown_labels]
    settings = session.get(ServiceAlertSettings, service_id)
    if settings is None:
        session.add(
            ServiceAlertSettings(
                service_id=service_id,
                severity_urgency=stored,
                shown_labels=labels,
                updated_at=now,
            )
        )
    else:
        settings.severity_urgency = stored
        settings.shown_labels = labels
        settings.updated_at = now
    session.flush()
    return urgencies(stored)


def urgencies(stored: Mapping[str, str]) -> dict[Severity, Urgency]:
    """A service's stored mapping over the defaults."""
    return {
        severity: Urgency(stored.get(severity.value, default))
        for severity, default in DEFAULT_URGENCY.items()
    }


def _checked_config(
    integration_type: IntegrationType,
    config: WebhookConfig | None,
    unknown_severity: Severity | None,
) -> dict[str, Any]:
    if unknown_severity is not None:
        if integration_type is not IntegrationType.EVENTS_API_V2:
            raise InvalidInputError(
                "unknown_severity", "only events_api_v2 integrations map unknown severities"
            )
        return EventsConfig(unknown_severity=unknown_severity).model_dump(mode="json")
    if integration_type is IntegrationType.WEBHOOK:
        if config is None:
            raise InvalidInputError("config", "a webhook needs at least config.summary_path")
        return config.model_dump(mode="json")
    if config is not None:
        raise InvalidInputError("config", f"{integration_type.value} integrations take no config")
    return {}
