"""Who may write a runbook: organisation admins any; a team admin those its team owns."""

from __future__ import annotations

from sqlalchemy.orm import Session

from watchkeep.core import teams
from watchkeep.core.errors import PermissionDeniedError
from watchkeep.core.models import Role


def may_write(
    session: Session, role: Role | None, user_id: int | None, *team_ids: int | None
) -> None:
    """Refuse unless the caller may manage every team named (a runbook before and after
    the change). A runbook owned by no team is the organisation admins' alone."""
    if role is Role.ADMIN:
        return
    for team_id in team_ids or (None,):
        if team_id is None or not teams.may_manage_team(session, role, user_id, team_id):
            raise PermissionDeniedError(
                "only organisation admins, or admins of the runbook's owner team, may change it"
            )
