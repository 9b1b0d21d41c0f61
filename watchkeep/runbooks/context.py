"""The incident as templates see it, and a step rendered with it.

Outside values (title, description, service, labels) are escaped for mrkdwn in
text that Slack renders; a channel name is rendered from the raw values and
then made a valid Slack channel name.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from watchkeep.core.models import Incident
from watchkeep.runbooks import templates
from watchkeep.runbooks.models import IncidentChannel

MAX_CHANNEL_NAME = 80
# Keys whose rendered text Slack shows as mrkdwn (or as plain text a reader sees).
_SHOWN = ("message", "description", "topic", "blocks")


def incident_context(
    session: Session | None,
    incident: Incident,
    notification_channel: str | None,
    *,
    url: str = "",
) -> dict[str, Any]:
    """Raw values; `render_step` escapes them where Slack would read them as mrkdwn."""
    channel = session.get(IncidentChannel, incident.id) if session is not None else None
    details = incident.details or {}
    labels = details.get("labels", details) if isinstance(details, dict) else {}
    return {
        "id": str(incident.number),
        "title": incident.title,
        "severity": incident.urgency.value,
        "urgency": incident.urgency.value,
        "status": incident.status.value,
        "service": incident.service.name,
        "description": incident.description or "",
        "channel": channel.name if channel is not None else (notification_channel or ""),
        "url": url,
        "details": {str(k): str(v) for k, v in labels.items() if not isinstance(v, dict | list)},
    }


def render_step(step: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Every template of a step rendered; AddUsers entries may be templates too."""
    raw = {"incident": _with_labels(values)}
    escaped = {
        "incident": _with_labels(
            {k: v if k == "details" else templates.escape_mrkdwn(v) for k, v in values.items()},
            escape=True,
        )
    }
    rendered: dict[str, Any] = {}
    for key, value in step.items():
        if key == "name":
            rendered[key] = channel_name(templates.render(value, raw))
        elif key in _SHOWN:
            rendered[key] = templates.render_all(value, escaped)
        elif key in ("channel", "add_users"):
            rendered[key] = templates.render_all(value, raw)
        else:
            rendered[key] = value
    return rendered


def _with_labels(values: dict[str, Any], *, escape: bool = False) -> dict[str, Any]:
    details = values.get("details", {})
    if escape:
        details = {k: templates.escape_mrkdwn(v) for k, v in details.items()}
    return {**values, "details": templates.Labels(details)}


def channel_name(text: str, *, suffix: str = "") -> str:
    """Slack's rules: lowercase, a-z 0-9 - _, at most 80 (room kept for `-2`, `-3`, …)."""
    name = re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-")
    name = re.sub(r"-{2,}", "-", name) or "incident"
    return name[: MAX_CHANNEL_NAME - len(suffix)].rstrip("-") + suffix
