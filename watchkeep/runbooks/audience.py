"""AddUsers resolved to people: `@oncall`, `@<team-name>`, emails and Slack user ids.

`@oncall` is whoever the incident's escalation policy pages now: the targets of
its current step (the last one paged, or the first), through schedules. People
become emails here; the Slack adapter maps emails to Slack users. Anything that
names nobody is kept as a note for the run log, never a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core.models import Incident, Team
from watchkeep.oncall import paging
from watchkeep.oncall.models import EscalationPolicy, IncidentEscalation

ONCALL = "@oncall"


@dataclass
class Audience:
    emails: list[str] = field(default_factory=list)
    slack_ids: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # "@sre: no such team"

    def as_dict(self) -> dict[str, list[str]]:
        return {"emails": self.emails, "slack_ids": self.slack_ids, "unresolved": self.unresolved}


def resolve(session: Session, incident: Incident, entries: list[str], now: datetime) -> Audience:
    audience = Audience()
    for entry in entries:
        if entry.lower() == ONCALL:
            emails = _on_call(session, incident, now)
            if not emails:
                audience.unresolved.append(f"{entry}: nobody is on call for this service")
            audience.emails += emails
        elif entry.startswith("@"):
            team = session.scalar(select(Team).where(func.lower(Team.name) == entry[1:].lower()))
            members = [user.email for user in team.members if user.is_active] if team else []
            if team is None:
                audience.unresolved.append(f"{entry}: no such team")
            elif not members:
                audience.unresolved.append(f"{entry}: the team has no active members")
            audience.emails += members
        elif "@" in entry:
            audience.emails.append(entry.lower())
        elif entry[:1] in ("U", "W") and entry.isalnum() and entry.isupper():
            audience.slack_ids.append(entry)
        else:
            audience.unresolved.append(f"{entry}: not @oncall, @team, an email or a Slack id")
    audience.emails = list(dict.fromkeys(audience.emails))
    audience.slack_ids = list(dict.fromkeys(audience.slack_ids))
    return audience


def _on_call(session: Session, incident: Incident, now: datetime) -> list[str]:
    policy_id = incident.service.escalation_policy_id
    policy = session.get(EscalationPolicy, policy_id) if policy_id else None
    if policy is None or not policy.steps:
        return []
    state = session.get(IncidentEscalation, incident.id)
    position = 0
    if state is not None and state.steps_paged:
        position = (state.step_index - 1) % len(policy.steps)
    page = paging.resolve_step(session, policy.steps[position], now)
    return [user.email for user in page.users]
