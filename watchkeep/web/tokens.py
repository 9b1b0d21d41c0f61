"""Settings → API tokens (`/settings/tokens`): everyone manages their own tokens.

A new token is shown once, on the page that made it; only its hash is stored, and
it is never put in the session cookie. Deleting a token refuses it at once in
this process (other processes: within five seconds, their token cache).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from watchkeep.core import accounts, tokens
from watchkeep.core.ids import Id
from watchkeep.web.auth import Viewer, WebUser, runtime_of, verify_csrf
from watchkeep.web.rendering import fields, redirect, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
PAGE = "/settings/tokens"
# The choices the form offers, in days; "" is never.
LIFETIMES = {"": "Never", "7": "7 days", "30": "30 days", "90": "90 days", "365": "1 year"}


def _page(
    request: Request, user: WebUser, extra: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    runtime = runtime_of(request)
    with runtime.db.read() as db:
        found, _ = tokens.list_tokens(db, user.id, limit=200, offset=0)
    context = {
        "nav": "tokens",
        "tokens": found,
        "lifetimes": LIFETIMES,
        "entered": fields(),
        "problems": fields(),
        "shown": None,
        **(extra or {}),
    }
    return render(request, "settings/tokens.html", context, status_code=status_code)


@router.get(PAGE)
def token_page(request: Request, user: Viewer) -> Response:
    return _page(request, user)


@router.post(PAGE)
def create_token(
    request: Request,
    user: Viewer,
    name: Annotated[str, Form(max_length=300)] = "",
    lifetime: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "must not be empty"
    elif len(name.strip()) > 200:
        errors["name"] = "must be at most 200 characters"
    if lifetime not in LIFETIMES:
        errors["lifetime"] = "choose one of the offered lifetimes"
    if errors:
        entered = {"entered": fields({"name": name}), "problems": fields(errors)}
        return _page(request, user, entered, status_code=422)
    runtime = runtime_of(request)
    now = runtime.clock.now()
    expires_at = now + timedelta(days=int(lifetime)) if lifetime else None
    with runtime.db.write() as db:
        owner = accounts.get_user(db, user.id)
        row, token = tokens.create_token(db, owner, name=name, now=now, expires_at=expires_at)
        shown = {"name": row.name, "token": token}
    return _page(request, user, {"shown": shown}, status_code=201)


@router.post(PAGE + "/{token_id}/delete")
def delete_token(request: Request, token_id: Id, user: Viewer) -> Response:
    with runtime_of(request).db.write() as db:
        row = tokens.get_token(db, token_id, user_id=user.id)
        name = row.name
        tokens.delete_token(db, row)
    request.app.state.principals.clear()
    return redirect(request, PAGE, notice=f"Token {name} deleted: it no longer works.")
