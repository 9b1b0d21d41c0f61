"""Who is asking: the signed-in user, role checks, and CSRF checks.

Pages need a signed-in, active user (else the login page, keeping where they
were going); viewers read, responders act, admins configure
(`core.permissions`). Every unsafe request (POST) must carry the session's
CSRF token, as the `csrf_token` form field or the `X-CSRF-Token` header (htmx
sends the header on every request it makes), and no form field may hold text a
database cannot store (NUL, lone surrogates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError

from watchkeep.core import sessions
from watchkeep.core.access import Scope
from watchkeep.core.actors import Actor
from watchkeep.core.models import Role, Source
from watchkeep.core.permissions import Permission, allows
from watchkeep.core.text import PROBLEM, first_unstorable, storable
from watchkeep.runtime import Runtime
from watchkeep.web import session as web_session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class LoginRequired(Exception):
    """No signed-in user: answered with the login page."""


class Forbidden(Exception):
    """Signed in, but the role does not allow this: answered with a 403 page."""


class CsrfFailed(Exception):
    """A form without the session's CSRF token: answered with a 403 page."""


@dataclass(frozen=True)
class WebUser:
    id: int
    name: str
    email: str
    role: Role

    def can(self, permission: Permission | str) -> bool:
        return allows(self.role, Permission(permission))

    def actor(self) -> Actor:
        return Actor(name=self.name, source=Source.WEB, user_id=self.id, role=self.role)

    def scope(self) -> Scope:
        """Whose incidents the user sees (`core.access`)."""
        return Scope.for_user(self.id, self.role)


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


def optional_user(request: Request) -> WebUser | None:
    """The session's user while its session row lives and the user is active."""
    if hasattr(request.state, "web_user"):
        return request.state.web_user
    session = web_session.current(request)
    user = None
    if session.token is not None:
        runtime = runtime_of(request)
        with runtime.db.read() as db:
            row = sessions.user_of(db, session.token, now=runtime.clock.now())
            if row is not None:
                user = WebUser(row.id, row.name, row.email, row.role)
        if user is None:
            web_session.replace_session(request, web_session.WebSession.anonymous())
    request.state.web_user = user
    return user


def signed_in(request: Request) -> WebUser:
    user = optional_user(request)
    if user is None:
        raise LoginRequired
    return user


def requires(permission: Permission) -> Callable[..., WebUser]:
    def check(user: Annotated[WebUser, Depends(signed_in)]) -> WebUser:
        if not user.can(permission):
            raise Forbidden(f"Your role ({user.role.value}) may not {permission.value}.")
        return user

    return check


Viewer = Annotated[WebUser, Depends(requires(Permission.READ))]
Responder = Annotated[WebUser, Depends(requires(Permission.RESPOND))]
Admin = Annotated[WebUser, Depends(requires(Permission.CONFIGURE))]


async def verify_csrf(request: Request) -> None:
    """Refuse an unsafe request that does not carry this session's CSRF token, then one
    whose form holds text no database can store (422 naming the field)."""
    if request.method in SAFE_METHODS:
        return
    content_type = request.headers.get("content-type", "")
    form = None
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
    token = request.headers.get(CSRF_HEADER)
    if token is None and form is not None:
        token = form.get(CSRF_FIELD)  # type: ignore[assignment]
    if not web_session.current(request).csrf_matches(token if isinstance(token, str) else None):
        raise CsrfFailed
    for name, value in form.multi_items() if form is not None else ():
        if first_unstorable([name, value if isinstance(value, str) else ""]) is not None:
            loc = ("body", storable(name))
            raise RequestValidationError([{"loc": loc, "msg": PROBLEM, "type": "value_error"}])
