"""Signing in and out, and the front door (`/`)."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from watchkeep.core import accounts, sessions, signin
from watchkeep.web import session as web_session
from watchkeep.web.auth import optional_user, runtime_of, verify_csrf
from watchkeep.web.rendering import redirect, render, safe_next

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request) -> Response:
    return redirect(request, "/incidents" if optional_user(request) else "/login")


@router.get("/login")
def login_page(request: Request, next: str = "/incidents") -> Response:
    if optional_user(request) is not None:
        return redirect(request, safe_next(next))
    return render(request, "login.html", {"next": safe_next(next), "email": "", "error": None})


@router.post("/login", dependencies=[Depends(verify_csrf)])
def login(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/incidents",
) -> Response:
    """Sign in, unless this email or this address failed too often of late
    (`watchkeep.core.signin`): then 429, whatever the password."""
    runtime = runtime_of(request)
    now = runtime.clock.now()
    context = {"next": safe_next(next), "email": email}
    try:
        with runtime.db.write() as db:
            attempt = signin.begin(db, email=email, client=_client(request), now=now)
    except signin.SignInThrottledError as exc:
        minutes = math.ceil(exc.retry_after / 60)
        error = (
            "Too many failed sign-ins for this email or from this address. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        headers = {"Retry-After": str(exc.retry_after)}
        return render(
            request, "login.html", {**context, "error": error}, status_code=429, headers=headers
        )
    with runtime.db.read() as db:
        user = accounts.find_user_by_email(db, email) if email.strip() else None
    if user is None or not accounts.verify_password(user, password):
        error = "Wrong email or password, or the account is disabled."
        return render(request, "login.html", {**context, "error": error}, status_code=400)
    with runtime.db.write() as db:
        signin.succeeded(db, attempt)
        token = sessions.start(db, user, now=now)
    web_session.replace_session(request, web_session.WebSession.signed_in(token))
    return redirect(request, safe_next(next))


def _client(request: Request) -> str:
    # Behind a proxy, uvicorn (--proxy-headers) has already put the forwarded address here.
    return request.client.host if request.client else "unknown"


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request) -> Response:
    """End this session: its row goes, so a copy of the cookie stops working too."""
    token = web_session.current(request).token
    if token is not None:
        with runtime_of(request).db.write() as db:
            sessions.end(db, token)
    web_session.replace_session(request, web_session.WebSession.anonymous())
    request.state.web_user = None
    return redirect(request, "/login", notice="You are signed out.")
