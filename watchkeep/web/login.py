"""Signing in and out, and the front door (`/`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from watchkeep.core import accounts
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
    runtime = runtime_of(request)
    with runtime.db.read() as db:
        user = accounts.find_user_by_email(db, email) if email.strip() else None
        ok = user is not None and accounts.verify_password(user, password)
    if not ok or user is None:
        context = {
            "next": safe_next(next),
            "email": email,
            "error": "Wrong email or password, or the account is disabled.",
        }
        return render(request, "login.html", context, status_code=400)
    session = web_session.current(request).logged_in(user.id, user.password_hash)
    web_session.replace_session(request, session)
    return redirect(request, safe_next(next))


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request) -> Response:
    web_session.replace_session(request, web_session.WebSession.anonymous())
    request.state.web_user = None
    return redirect(request, "/login", notice="You are signed out.")
