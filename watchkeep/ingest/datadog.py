"""Datadog's webhook integration, with the payload Watchkeep documents.

    POST /ingest/datadog/{key}

A Datadog webhook posts the payload its template makes; the README gives the
template (Datadog's `$VARIABLES`) whose fields are read here. An alert is keyed by
`aggregate` ($AGGREG_KEY, one per monitor and group), else `alert_id` and
`scope`. `transition` ($ALERT_TRANSITION) "Recovered" resolves; every other
("Triggered", "Re-Triggered", "Warn", "No Data", "Renotify", …) triggers, since a
word Datadog adds later must page rather than vanish. `priority` P1-P5 sets the
severity, else `alert_type` ($ALERT_TYPE: error, warning, info). `tags` ($TAGS,
"env:prod,service:checkout") become labels; `link` is a button and `snapshot`
the graph.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from watchkeep.ingest.alert import AlertAction, AlertEvent, Severity
from watchkeep.ingest.errors import BadEventError
from watchkeep.ingest.opsgenie import PRIORITY_SEVERITY

Text = Field(default="", max_length=4000)
TYPE_SEVERITY = {
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
    "success": Severity.INFO,
}


class Notification(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=65_536)
    body: str = Field(default="", max_length=65_536)
    alert_id: str = Field(default="", max_length=100)
    aggregate: str = Field(default="", max_length=100)
    scope: str = Text
    transition: str = Field(default="Triggered", max_length=100)
    alert_type: str = Field(default="", max_length=100)
    priority: str = Field(default="", max_length=100)
    hostname: str = Text
    tags: str = Field(default="", max_length=10_000)
    link: str = Field(default="", max_length=2048)
    snapshot: str = Field(default="", max_length=2048)


def parse(body: bytes) -> list[AlertEvent]:
    try:
        note = Notification.model_validate_json(body)
    except ValidationError as exc:
        raise BadEventError.from_validation(exc) from None
    dedup_key = note.aggregate or ":".join(part for part in (note.alert_id, note.scope) if part)
    if not dedup_key:
        raise BadEventError([("aggregate", "give aggregate ($AGGREG_KEY) or alert_id")])
    if len(dedup_key) > 255:
        raise BadEventError([("scope", "alert_id and scope must be at most 255 characters")])
    if note.transition.lower() == "recovered":
        return [AlertEvent(action=AlertAction.RESOLVE, dedup_key=dedup_key)]
    details = {
        "labels": _labels(note.tags),
        "transition": note.transition,
        "alert_type": note.alert_type,
        "priority": note.priority,
        "hostname": note.hostname,
        "scope": note.scope,
        "alert_id": note.alert_id,
        "links": [{"href": note.link, "text": "View in Datadog"}] if note.link else [],
        "image_url": note.snapshot,
    }
    return [
        AlertEvent(
            action=AlertAction.TRIGGER,
            dedup_key=dedup_key,
            summary=note.title,
            severity=_severity(note),
            description=note.body,
            details={key: value for key, value in details.items() if value not in ("", [], {})},
        )
    ]


def _severity(note: Notification) -> Severity:
    if note.priority.upper() in PRIORITY_SEVERITY:
        return PRIORITY_SEVERITY[note.priority.upper()]
    return TYPE_SEVERITY.get(note.alert_type.lower(), Severity.CRITICAL)


def _labels(tags: str) -> dict[str, str]:
    labels = {}
    for tag in tags.split(","):
        name, _, value = tag.strip().partition(":")
        if name:
            labels[name] = value
    return labels
