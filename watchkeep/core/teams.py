"""Teams and their members: each membership is a plain member or a team admin.

Team admins manage their team's connectors and runbooks; organisation admins
manage everything (`may_manage_team`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core import naming
from watchkeep.core.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from watchkeep.core.models import Role, Team, TeamMember, TeamRole, User


def get_team(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFoundError("team", team_id)
    return team


def list_teams(session: Session, *, limit: int, offset: int) -> tuple[Sequence[Team], int]:
    total = session.scalar(select(func.count()).select_from(Team)) or 0
    teams = session.scalars(select(Team).order_by(Team.name).limit(limit).offset(offset)).all()
    return teams, total


def create_team(
    session: Session,
    *,
    name: str,
    now: datetime,
    description: str = "",
    member_ids: Sequence[int] = (),
    members: Sequence[tuple[int, TeamRole]] | None = None,
    private: bool = False,
) -> Team:
    name = naming.free_name(session, Team, name, "a team")
    team = Team(name=name, description=description, private=private, created_at=now)
    session.add(team)
    session.flush()
    _set_members(session, team, _wanted(member_ids, members or ()), _field(members))
    return team


def update_team(
    session: Session,
    team: Team,
    *,
    name: str | None = None,
    description: str | None = None,
    member_ids: Sequence[int] | None = None,
    members: Sequence[tuple[int, TeamRole]] | None = None,
    private: bool | None = None,
) -> Team:
    """`member_ids` and `members` each replace the whole membership when given (both:
    their union, a role in `members` winning)."""
    naming.rename(session, team, name, description, "a team")
    if private is not None:
        team.private = private
    if member_ids is not None or members is not None:
        _set_members(session, team, _wanted(member_ids or (), members or ()), _field(members))
    session.flush()
    return team


def delete_team(session: Session, team: Team) -> None:
    session.delete(team)
    session.flush()


def role_in(session: Session, team_id: int, user_id: int) -> TeamRole | None:
    """The user's role in the team, or None when not a member."""
    row = session.get(TeamMember, (team_id, user_id))
    return row.role if row is not None else None


def admin_team_ids(session: Session, user_id: int) -> set[int]:
    """The teams this user is an admin of."""
    rows = session.scalars(
        select(TeamMember.team_id).where(
            TeamMember.user_id == user_id, TeamMember.role == TeamRole.ADMIN
        )
    )
    return set(rows)


def may_manage_team(session: Session, role: Role | None, user_id: int | None, team_id: int) -> bool:
    """Organisation admins manage every team's things; a team admin their own team's."""
    if role is Role.ADMIN:
        return True
    if role is None or user_id is None or role is Role.VIEWER:
        return False
    return role_in(session, team_id, user_id) is TeamRole.ADMIN


def require_team_admin(
    session: Session, role: Role | None, user_id: int | None, team_id: int
) -> None:
    if not may_manage_team(session, role, user_id, team_id):
        raise PermissionDeniedError(
            f"only an admin of team {team_id} (or an organisation admin) may"
        )


def _wanted(
    member_ids: Sequence[int], members: Sequence[tuple[int, TeamRole]]
) -> dict[int, TeamRole]:
    wanted = dict.fromkeys(member_ids, TeamRole.MEMBER)
    wanted.update(dict(members))
    return wanted


def _field(members: Sequence[tuple[int, TeamRole]] | None) -> str:
    return "members" if members else "member_ids"


def _set_members(session: Session, team: Team, wanted: dict[int, TeamRole], field: str) -> None:
    users = session.scalars(select(User).where(User.id.in_(wanted))).all() if wanted else []
    missing = set(wanted) - {user.id for user in users}
    if missing:
        raise InvalidInputError(field, f"unknown user ids: {sorted(missing)}")
    current = {row.user_id: row for row in team.memberships}
    for user_id, row in current.items():
        if user_id not in wanted:
            team.memberships.remove(row)
    for user_id, role in wanted.items():
        if user_id in current:
            current[user_id].role = role
        else:
            team.memberships.append(TeamMember(team_id=team.id, user_id=user_id, role=role))
    session.flush()
    session.expire(team, ["members"])
