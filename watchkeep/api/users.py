"""`/api/v1/users`: people who respond, and their roles."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import EmailStr, Field

from watchkeep.api.deps import Admin, PageDep, Principals, Reader, RuntimeDep
from watchkeep.api.schemas import OutModel, Paged, StrictModel
from watchkeep.core import accounts
from watchkeep.core.ids import Id
from watchkeep.core.models import Role, UserStatus

router = APIRouter(prefix="/users", tags=["users"])

Name = Field(min_length=1, max_length=200)
Password = Field(default=None, min_length=8, max_length=200)


class UserIn(StrictModel):
    email: EmailStr
    name: str = Name
    role: Role = Role.RESPONDER
    password: str | None = Password


class UserPatch(StrictModel):
    email: EmailStr | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    status: UserStatus | None = None
    password: str | None = Password


class UserOut(OutModel):
    id: int
    email: str
    name: str
    role: Role
    status: UserStatus
    created_at: datetime


@router.post("", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def create_user(body: UserIn, runtime: RuntimeDep, _: Admin) -> UserOut:
    with runtime.db.write() as session:
        user = accounts.create_user(
            session,
            email=body.email,
            name=body.name,
            role=body.role,
            password=body.password,
            now=runtime.clock.now(),
        )
        return UserOut.model_validate(user)


@router.get("", response_model=Paged[UserOut])
def list_users(runtime: RuntimeDep, _: Reader, page: PageDep) -> Paged[UserOut]:
    with runtime.db.read() as session:
        users, total = accounts.list_users(session, limit=page.limit, offset=page.offset)
        items = [UserOut.model_validate(user) for user in users]
    return Paged(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{user_id}", response_model=UserOut)
def get_user(user_id: Id, runtime: RuntimeDep, _: Reader) -> UserOut:
    with runtime.db.read() as session:
        return UserOut.model_validate(accounts.get_user(session, user_id))


@router.patch("/{user_id}", response_model=UserOut)
def update_user(
    user_id: Id, body: UserPatch, runtime: RuntimeDep, _: Admin, principals: Principals
) -> UserOut:
    with runtime.db.write() as session:
        user = accounts.get_user(session, user_id)
        accounts.update_user(session, user, **body.model_dump(exclude_unset=True))
        changed = UserOut.model_validate(user)
    principals.clear()
    return changed


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(user_id: Id, runtime: RuntimeDep, _: Admin, principals: Principals) -> Response:
    with runtime.db.write() as session:
        accounts.delete_user(session, accounts.get_user(session, user_id))
    principals.clear()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
