"""The browser session: a cookie signed with the secret key, and its CSRF token.

The cookie carries a CSRF token and, once signed in, the token of a session row
(`watchkeep.core.sessions`), signed and timestamped (itsdangerous): nothing in it
can be forged without WATCHKEEP_SECRET_KEY, and deleting the row (signing out, a
new password, a disabled user) ends it in every web process, copies included.
Anonymous visitors get a cookie-only session, so that the login form carries a
CSRF token; signing in issues a fresh one (no session fixation).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, replace
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from watchkeep.core import sessions

COOKIE = "watchkeep_session"
MAX_AGE_SECONDS = int(sessions.LIFETIME.total_seconds())


@dataclass(frozen=True)
class WebSession:
    csrf: str
    token: str | None = None  # the signed-in session's row, by its token
    flash: str | None = None  # a one-time notice for the next page ("Incident acknowledged")

    @classmethod
    def anonymous(cls) -> WebSession:
        return cls(csrf=secrets.token_urlsafe(24))

    @classmethod
    def signed_in(cls, token: str) -> WebSession:
        return replace(cls.anonymous(), token=token)

    def csrf_matches(self, candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(self.csrf, str(candidate))


class SessionCodec:
    def __init__(self, secret_key: str, *, secure: bool) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="watchkeep.web.session")
        self.secure = secure

    def load(self, request: Request) -> WebSession | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data: dict[str, Any] = self._serializer.loads(raw, max_age=MAX_AGE_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        token = data.get("s")
        return WebSession(
            csrf=data["c"],
            token=token if isinstance(token, str) else None,
            flash=data.get("m") if isinstance(data.get("m"), str) else None,
        )

    def store(self, response: Response, session: WebSession) -> None:
        value = self._serializer.dumps({"c": session.csrf, "s": session.token, "m": session.flash})
        response.set_cookie(
            COOKIE,
            value,
            max_age=MAX_AGE_SECONDS,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure)


def current(request: Request) -> WebSession:
    """This request's session, loaded once; a visitor without one gets a new one."""
    cached = getattr(request.state, "web_session", None)
    if cached is not None:
        return cached
    codec: SessionCodec = request.app.state.web_sessions
    session = codec.load(request)
    if session is None:
        session = WebSession.anonymous()
        request.state.web_session_dirty = True
    request.state.web_session = session
    return session


def replace_session(request: Request, session: WebSession) -> None:
    request.state.web_session = session
    request.state.web_session_dirty = True


def flash(request: Request, message: str) -> None:
    replace_session(request, replace(current(request), flash=message))


def pop_flash(request: Request) -> str | None:
    session = current(request)
    if session.flash is None:
        return None
    replace_session(request, replace(session, flash=None))
    return session.flash


def attach(request: Request, response: Response) -> Response:
    """Write the session cookie if this request created or changed the session."""
    if getattr(request.state, "web_session_dirty", False):
        codec: SessionCodec = request.app.state.web_sessions
        session = request.state.web_session
        if session is None:
            codec.clear(response)
        else:
            codec.store(response, session)
    return response
