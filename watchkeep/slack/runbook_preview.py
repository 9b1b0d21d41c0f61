"""A runbook's steps rendered for an incident (or a sample) without calling Slack."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from watchkeep.core import incidents
from watchkeep.core.models import Incident, IncidentStatus, Service, Source, Urgency
from watchkeep.runbooks import audience, summary
from watchkeep.runbooks.context import incident_context, render_step
from watchkeep.slack import runbook_blocks
from watchkeep.slack.runbook_steps import SlackRunbookSteps


def sample_incident(now: datetime) -> Incident:
    """A made-up incident, never stored, for previews without a real one."""
    return Incident(
        id=0,
        number=42,
        title="Sample: disk full on db-1",
        description="Sample description of the impact",
        urgency=Urgency.HIGH,
        status=IncidentStatus.TRIGGERED,
        source=Source.API,
        created_at=now,
        updated_at=now,
        created_by_name="Watchkeep",
        alert_count=1,
        details={"labels": {"alertname": "DiskFull", "severity": "critical"}},
        service=Service(name="sample-service"),
    )


def preview_steps(
    session: Session,
    document: dict[str, Any],
    incident_id: int | None,
    steps: SlackRunbookSteps,
    *,
    now: datetime,
) -> list[dict[str, Any]]:
    stored = incident_id is not None
    incident = incidents.get_incident(session, incident_id) if stored else sample_incident(now)
    fallback = steps.notification_channel(session, incident.id) if stored else None
    values = incident_context(
        session if stored else None, incident, fallback, url=steps.incident_url(incident.id)
    )
    if not values["channel"]:
        values["channel"] = f"incident-{incident.number}"
    rendered = []
    for position, step in enumerate(document["steps"]):
        params = render_step(step, values)
        if "add_users" in step:
            params["add_users"] = audience.resolve(
                session, incident, step["add_users"], now
            ).as_dict()
        if step["operation"] == "post_summary":
            params["summary"] = summary.build(session, incident).as_dict()
        entry: dict[str, Any] = {"position": position, "operation": step["operation"], **params}
        if step["operation"] in ("send_message", "create_thread", "post_summary"):
            entry["slack_message"] = runbook_blocks.preview(step["operation"], params)
        rendered.append(entry)
    return rendered
