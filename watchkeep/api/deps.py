"""Request dependencies: the runtime, the caller, and role checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from watchkeep.core import accounts
from watchkeep.core.actors import Actor
from watchkeep.core.models import Role, Source
from watchkeep.core.permissions import Permission, allows
from watchkeep.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="An API token from `watchkeep create-token`")


# Dependencies that do no I/O are async: a sync one costs a thread-pool hop per request.
async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, detached from any session."""

    user_id: int
    name: str
    email: str
    role: Role

    def actor(self, source: Source = Source.API) -> Actor:
        return Actor(name=self.name, source=source, user_id=self.user_id, role=self.role)


def authenticate(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise _unauthorized("missing bearer token")
    with runtime.db.read() as session:
        owner = accounts.authenticate_token(session, credentials.credentials)
    if owner is None:
        raise _unauthorized("invalid or revoked token, or disabled user")
    return Principal(owner.user_id, owner.name, owner.email, owner.role)


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=reason, headers={"WWW-Authenticate": "Bearer"}
    )


def requires(permission: Permission) -> Callable[[Principal], Principal]:
    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not allows(principal.role, permission):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {principal.role.value} may not {permission.value}",
            )
        return principal

    return check


Reader = Annotated[Principal, Depends(requires(Permission.READ))]
Responder = Annotated[Principal, Depends(requires(Permission.RESPOND))]
Admin = Annotated[Principal, Depends(requires(Permission.CONFIGURE))]


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


async def page(
    limit: Annotated[int, Query(ge=1, le=200, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, description="Items to skip")] = 0,
) -> Page:
    return Page(limit, offset)


PageDep = Annotated[Page, Depends(page)]
