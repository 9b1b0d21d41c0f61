"""Prometheus Alertmanager's webhook (payload version 4), and Grafana's (version 1).

    POST /ingest/alertmanager/{key}   (a `webhook_configs` receiver's `url`)
    POST /ingest/grafana/{key}        (a Grafana webhook contact point's URL)

Grafana's webhook contact point posts Alertmanager's notification with extra
fields (`version: "1"`, per alert `silenceURL`, `dashboardURL`, `panelURL`,
`values`, `valueString`, `imageURL`), so one parser reads both, on either URL.
Each alert in a notification is keyed by its fingerprint: `firing` triggers (a
re-sent notification counts as a repeat), `resolved` resolves (with
`send_resolved: true`). Labels, annotations and links become the incident's
details. Fields the tools may add in later versions are ignored; the ones read
here are checked, and a bad one is a 400 naming it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from watchkeep.ingest.alert import AlertAction, AlertEvent, Severity
from watchkeep.ingest.errors import BadEventError

Labels = dict[str, str]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Alert(_Lenient):
    status: Literal["firing", "resolved"]
    labels: Labels
    annotations: Labels = Field(default_factory=dict)
    starts_at: str = Field(default="", alias="startsAt")
    ends_at: str = Field(default="", alias="endsAt")
    generator_url: str = Field(default="", alias="generatorURL")
    fingerprint: str = Field(min_length=1, max_length=255)
    # Grafana's additions.
    silence_url: str = Field(default="", alias="silenceURL")
    dashboard_url: str = Field(default="", alias="dashboardURL")
    panel_url: str = Field(default="", alias="panelURL")
    image_url: str = Field(default="", alias="imageURL")
    values: dict[str, Any] | None = None
    value_string: str = Field(default="", alias="valueString")


class Notification(_Lenient):
    # "4": Alertmanager's; "1": Grafana's contact point (the same shape, more fields).
    version: Literal["4", "1"]
    status: Literal["firing", "resolved"]
    receiver: str = ""
    group_key: str = Field(default="", alias="groupKey")
    external_url: str = Field(default="", alias="externalURL")
    alerts: list[Alert] = Field(max_length=10_000)


def parse(body: bytes) -> list[AlertEvent]:
    try:
        notification = Notification.model_validate_json(body)
    except ValidationError as exc:
        raise BadEventError.from_validation(exc) from None
    return [_event(alert, notification) for alert in notification.alerts]


def _event(alert: Alert, notification: Notification) -> AlertEvent:
    if alert.status == "resolved":
        return AlertEvent(action=AlertAction.RESOLVE, dedup_key=alert.fingerprint)
    details = {
        "labels": alert.labels,
        "annotations": alert.annotations,
        "starts_at": alert.starts_at,
        "generator_url": alert.generator_url,
        "fingerprint": alert.fingerprint,
        "receiver": notification.receiver,
        "group_key": notification.group_key,
        "external_url": notification.external_url,
        # Grafana's, kept only where sent.
        "silence_url": alert.silence_url,
        "dashboard_url": alert.dashboard_url,
        "panel_url": alert.panel_url,
        "image_url": alert.image_url,
        "values": alert.values,
        "value_string": alert.value_string,
    }
    details = {
        key: value for key, value in details.items() if key in _ALWAYS or value not in ("", None)
    }
    return AlertEvent(
        action=AlertAction.TRIGGER,
        dedup_key=alert.fingerprint,
        summary=_summary(alert),
        severity=_severity(alert.labels.get("severity", "")),
        description=alert.annotations.get("description", ""),
        details=details,
    )


_ALWAYS = {
    "labels",
    "annotations",
    "starts_at",
    "generator_url",
    "fingerprint",
    "receiver",
    "group_key",
    "external_url",
}


def _summary(alert: Alert) -> str:
    if summary := alert.annotations.get("summary", "").strip():
        return summary
    name = alert.labels.get("alertname") or f"Alert {alert.fingerprint}"
    instance = alert.labels.get("instance")
    return f"{name} on {instance}" if instance else name


def _severity(label: str) -> Severity:
    # Alertmanager's own PagerDuty receiver defaults to critical; so does an unknown label,
    # since paging too loudly is the safer mistake.
    try:
        return Severity(label.strip().lower())
    except ValueError:
        return Severity.CRITICAL
