"""Request dependencies: the runtime, the caller, and role checks."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from watchkeep.core import tokens
from watchkeep.core.access import Scope
from watchkeep.core.actors import Actor
from watchkeep.core.ids import MAX_ID
from watchkeep.core.models import Role, Source
from watchkeep.core.permissions import Permission, allows
from watchkeep.core.text import PROBLEM, first_unstorable, storable
from watchkeep.runtime import Runtime

_bearer = HTTPBearer(auto_error=False, description="An API token from `watchkeep create-token`")
# The bearer credentials a request carries, if any (checked by `authenticate`).
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


# Dependencies that do no I/O are async: a sync one costs a thread-pool hop per request.
async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def storable_input(request: Request) -> None:
    """Refuse text no database can store (NUL, lone surrogates) anywhere in the query or
    the JSON body: 422 naming the field, before any handler, so nothing is written."""
    for name, value in request.query_params.multi_items():
        if first_unstorable([name, value]) is not None:
            raise _unstorable(("query", name))
    content_type = request.headers.get("content-type", "")
    body = await request.body()  # read once: FastAPI parses the same cached bytes
    if not body or (content_type and "json" not in content_type):
        return
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON: FastAPI answers that itself
    path = first_unstorable(document)
    if path is not None:
        raise _unstorable(("body", *path))


def _unstorable(loc: tuple[str | int, ...]) -> RequestValidationError:
    safe = tuple(storable(part) if isinstance(part, str) else part for part in loc)
    return RequestValidationError([{"loc": safe, "msg": PROBLEM, "type": "value_error"}])


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, detached from any session."""

    user_id: int
    name: str
    email: str
    role: Role
    token_id: int
    token_expires_at: datetime | None

    def actor(self, source: Source = Source.API) -> Actor:
        return Actor(name=self.name, source=source, user_id=self.user_id, role=self.role)

    def scope(self) -> Scope:
        """Whose incidents the caller sees (`core.access`)."""
        return Scope.for_user(self.user_id, self.role)


class PrincipalCache:
    """Tokens recently proven good, so most requests skip a query and a thread hop.

    Cleared at once when this process changes users; another process's change
    (disabling a user, deleting a token) takes effect within `ttl` seconds.
    """

    def __init__(self, ttl: float = 5.0, size: int = 10_000) -> None:
        self.ttl, self.size = ttl, size
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, token: str, principal: Principal) -> None:
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[token] = (time.monotonic() + self.ttl, principal)

    def clear(self) -> None:
        self._entries.clear()


def principal_cache(request: Request) -> PrincipalCache:
    return request.app.state.principals


Principals = Annotated[PrincipalCache, Depends(principal_cache)]


async def authenticate(
    runtime: RuntimeDep,
    cache: Annotated[PrincipalCache, Depends(principal_cache)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise _unauthorized("missing bearer token")
    token = credentials.credentials
    now = runtime.clock.now()
    principal = cache.get(token)
    if principal is not None and not _expired(principal, now):
        return principal

    def lookup() -> tokens.TokenOwner | None:
        with runtime.db.read() as session:
            owner = tokens.authenticate_token(session, token, now=now)
        if owner is not None and owner.is_stale(now):
            with runtime.db.write() as session:
                tokens.mark_used(session, owner.token_id, now=now)
        return owner

    owner = await run_in_threadpool(lookup)
    if owner is None:
        raise _unauthorized("invalid, expired or revoked token, or disabled user")
    principal = Principal(
        owner.user_id, owner.name, owner.email, owner.role, owner.token_id, owner.expires_at
    )
    cache.put(token, principal)
    return principal


def _expired(principal: Principal, now: datetime) -> bool:
    return principal.token_expires_at is not None and principal.token_expires_at <= now


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
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Items to skip")] = 0,
) -> Page:
    return Page(limit, offset)


PageDep = Annotated[Page, Depends(page)]
