"""`/api/v1/users`: people who respond, their roles, and how each wants to be paged
(`notification_rules`, which every user may change on their own record)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import EmailStr, Field

from watchkeep.api.deps import Admin, PageDep, Principals, Reader, RuntimeDep
from watchkeep.api.schemas import OutModel, Paged, StrictModel
from watchkeep.core import accounts, notification_rules
from watchkeep.core.ids import Id
from watchkeep.core.models import Role, User, UserStatus
from watchkeep.core.notification_rules import MAX_REPEAT_MINUTES, NotificationRules

router = APIRouter(prefix="/users", tags=["users"])

Name = Field(min_length=1, max_length=200)
Password = Field(default=None, min_length=8, max_length=200)


class RulesIn(StrictModel):
    """Fields left out keep their value; `repeat_after_minutes: null` turns the repeat off."""

    slack_dm: bool | None = None
    repeat_after_minutes: int | None = Field(default=None, ge=1, le=MAX_REPEAT_MINUTES)

    def applied_to(self, current: NotificationRules) -> NotificationRules:
        given = self.model_dump(exclude_unset=True)
        if given.get("slack_dm") is None:
            given.pop("slack_dm", None)
        return NotificationRules(**{**current.to_json(), **given})


class UserIn(StrictModel):
    email: EmailStr
    name: str = Name
    role: Role = Role.RESPONDER
    password: str | None = Password
    notification_rules: RulesIn | None = None


class UserPatch(StrictModel):
    email: EmailStr | None = None
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    status: UserStatus | None = None
    password: str | None = Password
    notification_rules: RulesIn | None = None


class RulesOut(OutModel):
    slack_dm: bool
    repeat_after_minutes: int | None


class UserOut(OutModel):
    id: int
    email: str
    name: str
    role: Role
    status: UserStatus
    notification_rules: RulesOut
    created_at: datetime


def _out(user: User) -> UserOut:
    rules = notification_rules.rules_of(user)
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        status=user.status,
        notification_rules=RulesOut(**rules.to_json()),
        created_at=user.created_at,
    )


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
        if body.notification_rules is not None:
            rules = body.notification_rules.applied_to(NotificationRules())
            notification_rules.set_rules(user, rules)
        return _out(user)


@router.get("", response_model=Paged[UserOut])
def list_users(runtime: RuntimeDep, _: Reader, page: PageDep) -> Paged[UserOut]:
    with runtime.db.read() as session:
        users, total = accounts.list_users(session, limit=page.limit, offset=page.offset)
        items = [_out(user) for user in users]
    return Paged(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{user_id}", response_model=UserOut)
def get_user(user_id: Id, runtime: RuntimeDep, _: Reader) -> UserOut:
    with runtime.db.read() as session:
        return _out(accounts.get_user(session, user_id))


@router.patch("/{user_id}", response_model=UserOut)
def update_user(
    user_id: Id, body: UserPatch, runtime: RuntimeDep, caller: Reader, principals: Principals
) -> UserOut:
    """Admins change anything; everyone may change their own `notification_rules`."""
    fields = body.model_dump(exclude_unset=True, exclude={"notification_rules"})
    own_rules_only = caller.user_id == user_id and not fields
    if caller.role is not Role.ADMIN and not own_rules_only:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"role {caller.role.value} may change only its own notification_rules",
        )
    with runtime.db.write() as session:
        user = accounts.get_user(session, user_id)
        accounts.update_user(session, user, **fields)
        if body.notification_rules is not None:
            rules = body.notification_rules.applied_to(notification_rules.rules_of(user))
            notification_rules.set_rules(user, rules)
        changed = _out(user)
    principals.clear()
    return changed


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(user_id: Id, runtime: RuntimeDep, _: Admin, principals: Principals) -> Response:
    with runtime.db.write() as session:
        accounts.delete_user(session, accounts.get_user(session, user_id))
    principals.clear()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
