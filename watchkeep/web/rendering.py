"""Turning a page into a response: Jinja2 (autoescaped), security headers, the
session cookie, and htmx-aware redirects."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from watchkeep.web import session as web_session

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def format_time(value: datetime | None, zone: str | None = None) -> str:
    """A time in UTC, or in the IANA `zone` (a schedule's) with that zone's abbreviation."""
    if value is None:
        return "—"
    if zone:
        return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_duration(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def fields(values: dict[str, str] | None = None) -> defaultdict[str, str]:
    """Per-field messages or values for a form: a field not named reads as empty."""
    return defaultdict(str, values or {})


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        # Everything is escaped, whatever the file name: titles come from anyone with a webhook.
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["time"] = format_time
    env.filters["duration"] = format_duration
    return env


templates = Jinja2Templates(env=_environment())


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def security_headers(response: Response, oauth_origin: str | None = None) -> Response:
    form_action = "'self'" + (f" {oauth_origin}" if oauth_origin else "")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"form-action {form_action}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def oauth_origin(request: Request) -> str | None:
    url = urlsplit(request.app.state.runtime.settings.slack_oauth_url)
    return f"{url.scheme}://{url.netloc}" if url.scheme and url.netloc else None


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A page (or an htmx fragment) with the user, CSRF token and one-time notice."""
    full = {
        "user": getattr(request.state, "web_user", None),
        "csrf_token": web_session.current(request).csrf,
        "flash": None if template.startswith("fragments/") else web_session.pop_flash(request),
        "nav": "",
        "now": request.app.state.runtime.clock.now(),
        **(context or {}),
    }
    response = templates.TemplateResponse(
        request, template, full, status_code=status_code, headers=headers
    )
    return finish(request, response)


def finish(request: Request, response: Response) -> Response:
    security_headers(response, oauth_origin(request))
    return web_session.attach(request, response)


def redirect(request: Request, url: str, *, notice: str | None = None) -> Response:
    """303 to `url`; htmx follows an `HX-Redirect` header instead."""
    if notice:
        web_session.flash(request, notice)
    if is_htmx(request):
        response: Response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    return finish(request, response)


def safe_next(target: str | None, default: str = "/incidents") -> str:
    """Only a path on this site: never `//evil.example`, `https://…` or control characters."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return default
    return target


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="")
