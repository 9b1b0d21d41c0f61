"""`/api/v1/tokens`: the caller's own API tokens; admins manage anyone's.

A token is answered once, when made (only its hash is stored). `last_used_at` is
at most a minute stale; an expired token is refused (401) and stays listed,
`expired`, until deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import AwareDatetime, Field

from watchkeep.api.deps import PageDep, Principal, Principals, Reader, RuntimeDep
from watchkeep.api.schemas import OutModel, Paged, StrictModel
from watchkeep.core import accounts, tokens
from watchkeep.core.ids import Id
from watchkeep.core.models import ApiToken, Role

router = APIRouter(prefix="/tokens", tags=["tokens"])


class TokenIn(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    expires_at: AwareDatetime | None = Field(default=None, description="Default: never")
    user_id: Id | None = Field(default=None, description="Admins only: another user's token")


class TokenOut(OutModel):
    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None = Field(description="At most a minute stale")
    expires_at: datetime | None
    expired: bool


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown only now: it is not stored")


def _out(row: ApiToken, now: datetime) -> TokenOut:
    return TokenOut(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        expired=row.expires_at is not None and row.expires_at <= now,
    )


def _owner(caller: Principal, user_id: int | None) -> int:
    """Whose tokens the caller may handle: their own, or (admins) anyone's."""
    if user_id is None or user_id == caller.user_id:
        return caller.user_id
    if caller.role is not Role.ADMIN:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="only admins manage others' tokens")
    return user_id


@router.post("", status_code=status.HTTP_201_CREATED, response_model=NewTokenOut)
def create_token(body: TokenIn, runtime: RuntimeDep, caller: Reader) -> NewTokenOut:
    now = runtime.clock.now()
    with runtime.db.write() as session:
        user = accounts.get_user(session, _owner(caller, body.user_id))
        row, token = tokens.create_token(
            session, user, name=body.name, now=now, expires_at=body.expires_at
        )
        return NewTokenOut(**_out(row, now).model_dump(), token=token)


@router.get("", response_model=Paged[TokenOut])
def list_tokens(
    runtime: RuntimeDep,
    caller: Reader,
    page: PageDep,
    user_id: Annotated[Id | None, Query(description="Admins: another user's")] = None,
) -> Paged[TokenOut]:
    """The caller's tokens, newest first (admins: `user_id`'s)."""
    now = runtime.clock.now()
    with runtime.db.read() as session:
        found, total = tokens.list_tokens(
            session, _owner(caller, user_id), limit=page.limit, offset=page.offset
        )
        items = [_out(row, now) for row in found]
    return Paged(items=items, total=total, limit=page.limit, offset=page.offset)


@router.delete("/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_token(
    token_id: Id, runtime: RuntimeDep, caller: Reader, principals: Principals
) -> Response:
    """Revoke a token at once in this process (others: within five seconds)."""
    owner = None if caller.role is Role.ADMIN else caller.user_id
    with runtime.db.write() as session:
        tokens.delete_token(session, tokens.get_token(session, token_id, user_id=owner))
    principals.clear()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
