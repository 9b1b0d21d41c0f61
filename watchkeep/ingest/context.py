"""What an incident's alert carried, read once for every place that shows it.

The incident page and the Slack message both show an alert's context: its
labels and annotations, its links (a runbook, the graph that fired, a
dashboard, Events API v2 `links` and `client_url`), its images, the changes
made to the service just before it, and who sent it. Each receiver stores its
format's fields in the incident's details under the same few names (`labels`,
`annotations`, `generator_url`, `links`, `images`, …); this module is the one
reader of those names, so a new receiver that uses them shows everywhere.

Only http(s) links and images are kept: a `javascript:` URL must never become a
button. Texts are left as sent; each renderer escapes them for its medium.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeep.core import alerts, changes
from watchkeep.core.models import ChangeEvent, Incident, IncidentAlert
from watchkeep.ingest.models import ServiceAlertSettings

# The labels the Slack message shows when the service names none: the few that say
# where and how bad, in this order, those the alert has.
SHOWN_LABELS = ("severity", "environment", "env", "cluster", "namespace", "service", "instance")
MAX_SHOWN_LABELS = 10
MAX_URL = 3000
MAX_LINKS = 10
MAX_IMAGES = 3

# Annotations (Alertmanager's and Grafana's conventions) that are links, as buttons.
_LINK_ANNOTATIONS = {
    "runbook_url": "Runbook",
    "runbook": "Runbook",
    "dashboard": "Dashboard",
    "dashboard_url": "Dashboard",
    "playbook": "Playbook",
}
# Links a receiver kept in the details under these names.
_LINK_DETAILS = {
    "dashboard_url": "Dashboard",
    "panel_url": "Panel",
    "silence_url": "Silence",
    "alert_url": "View alert",
}


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class Image:
    url: str
    alt: str
    href: str | None = None


@dataclass(frozen=True)
class RecentChange:
    summary: str
    before: str  # "12 min": how long before the incident triggered
    source: str | None
    url: str | None


@dataclass(frozen=True)
class AlertContext:
    # Who sent the alert: the integration's name ("Prometheus (alertmanager)"), or None
    # for an incident not made by an alert.
    sender: str | None
    labels: list[tuple[str, str]]
    shown_labels: list[tuple[str, str]]  # the service's few, for Slack
    annotations: list[tuple[str, str]]
    links: list[Link]
    images: list[Image]
    changes: list[RecentChange]


def alert_context(session: Session, incident: Incident) -> AlertContext:
    """The incident's alert context: from its first alert's details, its service's
    shown labels and its recent changes."""
    details = incident.details or {}
    labels = _pairs(details.get("labels"))
    sender = incident.created_by_name if _from_an_alert(session, incident) else None
    return AlertContext(
        sender=sender,
        labels=labels,
        shown_labels=_shown(labels, shown_labels(session, incident.service_id)),
        annotations=[
            (name, value)
            for name, value in _pairs(details.get("annotations"))
            if name not in ("summary", "description")
        ],
        links=links(details),
        images=images(details),
        changes=[_recent(change, incident) for change in changes.recent_changes(session, incident)],
    )


def shown_labels(session: Session, service_id: int) -> list[str]:
    stored = session.scalar(
        select(ServiceAlertSettings.shown_labels).where(
            ServiceAlertSettings.service_id == service_id
        )
    )
    return list(SHOWN_LABELS) if stored is None else list(stored)


def history(session: Session, incident: Incident) -> list[IncidentAlert]:
    """The incident's last alerts, newest first (first and last seen, and the count, are
    the incident's own `created_at`, `last_alert_at` and `alert_count`)."""
    return alerts.alert_history(session, incident.id)


def links(details: Mapping[str, Any]) -> list[Link]:
    """The links an alert carried, as buttons: annotations first (a runbook is what a
    responder wants first), then the sender's own, without repeats."""
    found: list[Link] = []
    for name, value in _pairs(details.get("annotations")):
        if name.lower() in _LINK_ANNOTATIONS:
            found.append(Link(_LINK_ANNOTATIONS[name.lower()], value))
    if details.get("generator_url"):
        found.append(Link(_generator_text(details), str(details["generator_url"])))
    for name, text in _LINK_DETAILS.items():
        if details.get(name):
            found.append(Link(text, str(details[name])))
    for link in _list(details.get("links")):
        if isinstance(link, dict) and link.get("href"):
            found.append(Link(str(link.get("text") or "Link"), str(link["href"])))
    if details.get("client_url"):
        client = str(details.get("client") or "").strip()
        found.append(
            Link(f"View in {client}" if client else "View in source", details["client_url"])
        )
    unique: dict[str, Link] = {}
    for link in found:
        if _web_url(link.url) and link.url not in unique:
            unique[link.url] = Link(link.text.strip() or "Link", link.url)
    return list(unique.values())[:MAX_LINKS]


def images(details: Mapping[str, Any]) -> list[Image]:
    found = []
    if details.get("image_url"):
        found.append(Image(str(details["image_url"]), "Alert graph"))
    for image in _list(details.get("images")):
        if isinstance(image, dict) and image.get("src"):
            href = str(image["href"]) if _web_url(image.get("href")) else None
            found.append(Image(str(image["src"]), str(image.get("alt") or "Alert image"), href))
    return [image for image in found if _web_url(image.url)][:MAX_IMAGES]


def _from_an_alert(session: Session, incident: Incident) -> bool:
    found = session.scalar(
        select(IncidentAlert.slot).where(IncidentAlert.incident_id == incident.id).limit(1)
    )
    return found is not None


def _generator_text(details: Mapping[str, Any]) -> str:
    # Grafana's alerts carry its extra fields; a plain Alertmanager alert is Prometheus'.
    if any(key in details for key in ("silence_url", "dashboard_url", "panel_url", "values")):
        return "View in Grafana"
    return "View in Prometheus"


def _recent(change: ChangeEvent, incident: Incident) -> RecentChange:
    urls = [link.get("href") for link in change.links or [] if isinstance(link, dict)]
    url = next((str(u) for u in urls if _web_url(u)), None)
    return RecentChange(change.summary, changes.before(change, incident), change.source, url)


def _shown(labels: Sequence[tuple[str, str]], names: Sequence[str]) -> list[tuple[str, str]]:
    by_name = dict(labels)
    return [(name, by_name[name]) for name in names if name in by_name][:MAX_SHOWN_LABELS]


def _pairs(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        return []
    return [
        (str(name), item if isinstance(item, str) else str(item))
        for name, item in value.items()
        if item is not None and not isinstance(item, dict | list)
    ]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _web_url(url: Any) -> bool:
    if not isinstance(url, str) or len(url) > MAX_URL:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)
