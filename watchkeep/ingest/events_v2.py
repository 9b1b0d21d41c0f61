"""PagerDuty Events API v2, so that existing clients work by changing the host.

    POST /v2/enqueue {routing_key, event_action, dedup_key?, payload?, links?, images?,
                      client?, client_url?}

The body is checked field by field as PagerDuty documents it: a typo is a 400
naming the field rather than a silently lost alert. A trigger without a
dedup_key gets a fresh one (answered, so the client can resolve it later).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from watchkeep.ingest.alert import AlertAction, AlertEvent, Severity
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
    severity: Severity
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


@dataclass(frozen=True)
class Enqueued:
    """What a request carries once checked: the key, and the alert it reports."""

    routing_key: str
    alert: AlertEvent


def parse(body: bytes) -> Enqueued:
    try:
        event = Event.model_validate_json(body)
    except ValidationError as exc:
        raise BadEventError.from_validation(exc) from None
    if event.event_action is not AlertAction.TRIGGER:
        if event.dedup_key is None:
            raise BadEventError([("dedup_key", f"required to {event.event_action.value}")])
        return Enqueued(
            routing_key=event.routing_key,
            alert=AlertEvent(action=event.event_action, dedup_key=event.dedup_key),
        )
    if event.payload is None:
        raise BadEventError([("payload", "required to trigger")])
    try:
        payload = Payload.model_validate(event.payload)
    except ValidationError as exc:
        raise BadEventError.from_validation(exc, prefix="payload") from None
    details = {
        "source": payload.source,
        "severity": payload.severity.value,
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
    return Enqueued(
        routing_key=event.routing_key,
        alert=AlertEvent(
            action=AlertAction.TRIGGER,
            dedup_key=event.dedup_key or uuid.uuid4().hex,
            summary=payload.summary,
            severity=payload.severity,
            details={key: value for key, value in details.items() if value not in (None, "", [])},
        ),
    )
