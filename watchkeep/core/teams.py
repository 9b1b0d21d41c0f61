"""Teams and their members."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchkeep.core import naming
from watchkeep.core.errors import InvalidInputError, NotFoundError
from watchkeep.core.models import Team, User


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
    private: bool = False,
) -> Team:
    name = naming.free_name(session, Team, name, "a team")
    team = Team(name=name, description=description, private=private, created_at=now)
    team.members = _members(session, member_ids)
    session.add(team)
    session.flush()
    return team


def update_team(
    session: Session,
    team: Team,
    *,
    name: str | None = None,
    description: str | None = None,
    member_ids: Sequence[int] | None = None,
    private: bool | None = None,
) -> Team:
    naming.rename(session, team, name, description, "a team")
    if private is not None:
        team.private = private
    if member_ids is not None:
        team.members = _members(session, member_ids)
    session.flush()
    return team


def delete_team(session: Session, team: Team) -> None:
    session.delete(team)
    session.flush()


def _members(session: Session, member_ids: Sequence[int]) -> list[User]:
    wanted = set(member_ids)
    users = session.scalars(select(User).where(User.id.in_(wanted))).all() if wanted else []
    missing = wanted - {user.id for user in users}
    if missing:
        raise InvalidInputError("member_ids", f"unknown user ids: {sorted(missing)}")
    return list(users)
