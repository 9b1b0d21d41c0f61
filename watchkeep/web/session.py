"""The browser session: a cookie signed with the secret key, and its CSRF token.

The cookie carries the user id, a CSRF token and a fingerprint of the user's
password hash, signed and timestamped (itsdangerous). Nothing secret is in it;
nothing in it can be forged without WATCHKEEP_SECRET_KEY. Changing a password
(or disabling the user) ends every session of that user at its next request,
because the fingerprint or the status no longer matches. Anonymous visitors get
a session too, so that the login form carries a CSRF token; logging in issues a
fresh one (no session fixation).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "watchkeep_session"
MAX_AGE_SECONDS = 12 * 3600


@dataclass(frozen=True)
class WebSession:
    csrf: str
    user_id: int | None = None
    fingerprint: str | None = None
    flash: str | None = None  # a one-time notice for the next page ("Incident acknowledged")

    @classmethod
    def anonymous(cls) -> WebSession:
        return cls(csrf=secrets.token_urlsafe(24))

    def logged_in(self, user_id: int, password_hash: str | None) -> WebSession:
        return replace(
            WebSession.anonymous(), user_id=user_id, fingerprint=fingerprint(password_hash)
        )

    def csrf_matches(self, candidate: str | None) -> bool:
        return bool(candidate) and hmac.compare_digest(self.csrf, str(candidate))


def fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


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
        user_id = data.get("u")
        return WebSession(
            csrf=data["c"],
            user_id=user_id if isinstance(user_id, int) else None,
            fingerprint=data.get("f"),
            flash=data.get("m") if isinstance(data.get("m"), str) else None,
        )

    def store(self, response: Response, session: WebSession) -> None:
        value = self._serializer.dumps(
            {"c": session.csrf, "u": session.user_id, "f": session.fingerprint, "m": session.flash}
        )
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
