"""The incident's channel as pages and the API show it: name, id and a link into Slack."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from watchkeep.runbooks.models import IncidentChannel
from watchkeep.slack.models import SlackWorkspace


@dataclass(frozen=True)
class ChannelView:
    id: str
    name: str
    workspace_id: int
    url: str | None
    archived: bool


def incident_channel(session: Session, incident_id: int) -> ChannelView | None:
    row = session.get(IncidentChannel, incident_id)
    if row is None:
        return None
    workspace = session.get(SlackWorkspace, row.workspace_id)
    url = None
    if workspace is not None and workspace.team_url:
        url = f"{workspace.team_url.rstrip('/')}/archives/{row.channel_id}"
    return ChannelView(row.channel_id, row.name, row.workspace_id, url, row.archived_at is not None)
