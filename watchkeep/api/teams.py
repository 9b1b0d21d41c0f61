"""`/api/v1/teams`: teams and their members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import Field

from watchkeep.api.deps import Admin, PageDep, Reader, RuntimeDep
from watchkeep.api.schemas import OutModel, Paged, StrictModel
from watchkeep.core import teams
from watchkeep.core.ids import Id
from watchkeep.core.models import Team, TeamRole

router = APIRouter(prefix="/teams", tags=["teams"])


class MembershipIn(StrictModel):
    user_id: Id
    role: TeamRole = TeamRole.MEMBER


class TeamIn(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    member_ids: list[Id] = Field(default_factory=list, max_length=1000, description="Plain members")
    members: list[MembershipIn] | None = Field(
        default=None, max_length=1000, description="Members with their role (member or admin)"
    )
    private: bool = Field(
        default=False, description="Only members (and admins) see the team's services"
    )


class TeamPatch(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    member_ids: list[Id] | None = Field(default=None, max_length=1000)
    members: list[MembershipIn] | None = Field(default=None, max_length=1000)
    private: bool | None = None


class MemberOut(OutModel):
    id: int
    name: str
    email: str
    role: TeamRole


class TeamOut(OutModel):
    id: int
    name: str
    description: str
    private: bool
    members: list[MemberOut]
    created_at: datetime

    @classmethod
    def of(cls, team: Team) -> TeamOut:
        members = [
            MemberOut(id=m.user.id, name=m.user.name, email=m.user.email, role=m.role)
            for m in sorted(team.memberships, key=lambda m: (m.user.name, m.user.id))
        ]
        return cls(
            id=team.id,
            name=team.name,
            description=team.description,
            private=team.private,
            members=members,
            created_at=team.created_at,
        )


def _changes(body: TeamIn | TeamPatch, *, exclude_unset: bool) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=exclude_unset, exclude={"members"})
    if body.members is not None:
        changes["members"] = [(m.user_id, m.role) for m in body.members]
    return changes


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TeamOut)
def create_team(body: TeamIn, runtime: RuntimeDep, _: Admin) -> TeamOut:
    with runtime.db.write() as session:
        team = teams.create_team(
            session, **_changes(body, exclude_unset=False), now=runtime.clock.now()
        )
        return TeamOut.of(team)


@router.get("", response_model=Paged[TeamOut])
def list_teams(runtime: RuntimeDep, _: Reader, page: PageDep) -> Paged[TeamOut]:
    with runtime.db.read() as session:
        found, total = teams.list_teams(session, limit=page.limit, offset=page.offset)
        items = [TeamOut.of(team) for team in found]
    return Paged(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{team_id}", response_model=TeamOut)
def get_team(team_id: Id, runtime: RuntimeDep, _: Reader) -> TeamOut:
    with runtime.db.read() as session:
        return TeamOut.of(teams.get_team(session, team_id))


@router.patch("/{team_id}", response_model=TeamOut)
def update_team(team_id: Id, body: TeamPatch, runtime: RuntimeDep, _: Admin) -> TeamOut:
    with runtime.db.write() as session:
        team = teams.get_team(session, team_id)
        teams.update_team(session, team, **_changes(body, exclude_unset=True))
        return TeamOut.of(team)


@router.delete("/{team_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_team(team_id: Id, runtime: RuntimeDep, _: Admin) -> Response:
    with runtime.db.write() as session:
        teams.delete_team(session, teams.get_team(session, team_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
