"""What every format is read into: one alert event, with a severity and an action."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from watchkeep.core.models import Urgency
from watchkeep.core.text import storable, storable_document


class Severity(enum.StrEnum):
    """PagerDuty's severities, which the other formats are mapped onto."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class AlertAction(enum.StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


DEFAULT_URGENCY: dict[Severity, Urgency] = {
    Severity.CRITICAL: Urgency.HIGH,
    Severity.ERROR: Urgency.MEDIUM,
    Severity.WARNING: Urgency.MEDIUM,
    Severity.INFO: Urgency.LOW,
}


@dataclass(frozen=True)
class AlertEvent:
    """One alert, as every receiver reads it. Its text is made storable here, the one
    point all receivers pass: a NUL (which PostgreSQL refuses) becomes U+FFFD rather
    than costing the alert, and so does anything else no database can store."""

    action: AlertAction
    dedup_key: str
    summary: str = ""
    severity: Severity = Severity.CRITICAL
    description: str = ""
    details: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        for name in ("dedup_key", "summary", "description"):
            object.__setattr__(self, name, storable(getattr(self, name)))
        object.__setattr__(self, "details", storable_document(self.details))


@dataclass(frozen=True)
class ChangeReport:
    """A change (deploy, config change) a tool reports: kept on the service, never an
    incident. Made storable as alerts are."""

    summary: str
    source: str | None = None
    occurred_at: datetime | None = None
    links: Sequence[dict[str, Any]] = field(default_factory=tuple)
    custom_details: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "summary", storable(self.summary))
        if self.source is not None:
            object.__setattr__(self, "source", storable(self.source))
        object.__setattr__(self, "links", storable_document(list(self.links)))
        object.__setattr__(self, "custom_details", storable_document(self.custom_details))
