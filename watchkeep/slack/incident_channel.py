"""The incident's channel as pages and the API show it: name, id and a link into Slack."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from watchkeep.core.connector_models import Connector
from watchkeep.runbooks.models import IncidentChannel
from watchkeep.slack.models import SlackWorkspace


@dataclass(frozen=True)
class ChannelView:
    id: str
    name: str
    workspace_id: int | None
    url: str | None
    archived: bool


def incident_channel(session: Session, incident_id: int) -> ChannelView | None:
    row = session.get(IncidentChannel, incident_id)
    if row is None:
        return None
    # The channel lives in the Slack team of whoever made it: a workspace or a connector.
    made_by: SlackWorkspace | Connector | None = None
    if row.workspace_id is not None:
        made_by = session.get(SlackWorkspace, row.workspace_id)
    elif row.connector_id is not None:
        made_by = session.get(Connector, row.connector_id)
    team_url = getattr(made_by, "slack_team_url", None) or getattr(made_by, "team_url", None)
    url = f"{team_url.rstrip('/')}/archives/{row.channel_id}" if team_url else None
    return ChannelView(row.channel_id, row.name, row.workspace_id, url, row.archived_at is not None)
