"""PagerDuty Events API v2, so that existing clients work by changing the host.

    POST /v2/enqueue {routing_key, event_action, dedup_key?, payload?, links?, images?,
                      client?, client_url?}
    POST /v2/change/enqueue {routing_key, payload: {summary, source?, timestamp?,
                             custom_details?}, links?, images?}

The body is checked field by field as PagerDuty documents it: a typo is a 400
naming the field rather than a silently lost alert. A trigger without a
dedup_key gets a fresh one (answered, so the client can resolve it later).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from watchkeep.ingest.alert import AlertAction, AlertEvent, ChangeReport, Severity
from watchkeep.ingest.errors import BadEventError

Text = Field(default=None, max_length=1024)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)


class Link(_Strict):
    href: str = Field(min_length=1, max_length=2048)
    text: str | None = Text


class Image(_Strict):
    src: str = Field(min_length=1, max_length=2048)
    href: str | None = Field(default=None, max_length=2048)
    alt: str | None = Text


class Payload(_Strict):
    # Longer summaries are cut to the incident title's 1,024 characters, not refused.
    summary: str = Field(min_length=1, max_length=65_536)
    source: str = Field(min_length=1, max_length=1024)
    # Checked once the integration's options are known (`EventsConfig.unknown_severity`).
    severity: str = Field(min_length=1, max_length=100)
    timestamp: datetime | None = None
    component: str | None = Text
    group: str | None = Text
    class_: str | None = Field(default=None, max_length=1024, alias="class")
    custom_details: Any = None


class Event(_Strict):
    routing_key: str = Field(min_length=1, max_length=64)
    event_action: AlertAction
    dedup_key: str | None = Field(default=None, min_length=1, max_length=255)
    # Checked as a Payload below: only a trigger needs one, and the others may send it.
    payload: dict[str, Any] | None = None
    links: list[Link] = Field(default_factory=list, max_length=100)
    images: list[Image] = Field(default_factory=list, max_length=100)
    client: str | None = Text
    client_url: str | None = Field(default=None, max_length=2048)


class EventsConfig(BaseModel):
    """An Events API v2 integration's options."""

    model_config = ConfigDict(extra="forbid")

    # None: a severity PagerDuty does not know is a 400, as PagerDuty answers. Set, it
    # is taken instead (Alertmanager's `pagerduty_configs` send whatever a template makes).
    unknown_severity: Severity | None = None


@dataclass(frozen=True)
class Enqueued:
    """What a request carries once checked: the key, the alert's dedup key, and how
    to read its alert once the integration's options are known."""

    routing_key: str
    dedup_key: str
    read: Callable[[dict[str, Any]], list[AlertEvent]]


def parse(body: bytes) -> Enqueued:
    try:
        event = Event.model_validate_json(body)
    except ValidationError as exc:
        raise BadEventError.from_validation(exc) from None
    if event.event_action is not AlertAction.TRIGGER:
        if event.dedup_key is None:
            raise BadEventError([("dedup_key", f"required to {event.event_action.value}")])
        alert = AlertEvent(action=event.event_action, dedup_key=event.dedup_key)
        return Enqueued(event.routing_key, alert.dedup_key, lambda _: [alert])
    if event.payload is None:
        raise BadEventError([("payload", "required to trigger")])
    try:
        payload = Payload.model_validate(event.payload)
    except ValidationError as exc:
        raise BadEventError.from_validation(exc, prefix="payload") from None
    dedup_key = event.dedup_key or uuid.uuid4().hex

    def read(config: dict[str, Any]) -> list[AlertEvent]:
        severity = _severity(payload.severity, EventsConfig.model_validate(config))
        return [_trigger(event, payload, dedup_key, severity)]

    return Enqueued(event.routing_key, dedup_key, read)


def _severity(word: str, config: EventsConfig) -> Severity:
    try:
        return Severity(word)
    except ValueError:
        if config.unknown_severity is not None:
            return config.unknown_severity
        raise BadEventError([("payload.severity", _SEVERITIES)]) from None


_SEVERITIES = "Input should be 'critical', 'error', 'warning' or 'info'"


def _trigger(event: Event, payload: Payload, dedup_key: str, severity: Severity) -> AlertEvent:
    details = {
        "source": payload.source,
        "severity": severity.value,
        "severity_sent": payload.severity if payload.severity != severity.value else None,
        "timestamp": payload.timestamp.isoformat() if payload.timestamp else None,
        "component": payload.component,
        "group": payload.group,
        "class": payload.class_,
        "custom_details": payload.custom_details,
        "links": [link.model_dump(exclude_none=True) for link in event.links],
        "images": [image.model_dump(exclude_none=True) for image in event.images],
        "client": event.client,
        "client_url": event.client_url,
    }
    return AlertEvent(
        action=AlertAction.TRIGGER,
        dedup_key=dedup_key,
        summary=payload.summary,
        severity=severity,
        details={key: value for key, value in details.items() if value not in (None, "", [])},
    )


class ChangePayload(_Strict):
    summary: str = Field(min_length=1, max_length=1024)
    source: str | None = Text
    timestamp: datetime | None = None
    custom_details: Any = None


class Change(_Strict):
    routing_key: str = Field(min_length=1, max_length=64)
    payload: ChangePayload
    links: list[Link] = Field(default_factory=list, max_length=100)
    # python-pagerduty sends them; PagerDuty shows none for a change, nor do we.
    images: list[Image] = Field(default_factory=list, max_length=100)


def parse_change(body: bytes) -> tuple[str, ChangeReport]:
    """A Change Event (`POST /v2/change/enqueue`): its key, and the change it reports."""
    try:
        change = Change.model_validate_json(body)
    except ValidationError as exc:
        raise BadEventError.from_validation(exc) from None
    report = ChangeReport(
        summary=change.payload.summary,
        source=change.payload.source,
        occurred_at=change.payload.timestamp,
        links=[link.model_dump(exclude_none=True) for link in change.links],
        custom_details=change.payload.custom_details,
    )
    return change.routing_key, report
